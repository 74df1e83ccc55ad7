/* fakedns -- a misbehaving DNS server for the dnssec-doctor test world.
 *
 * usage: fakedns MODE ADDR PORT [PIDFILE]
 *
 * Answers UDP queries on ADDR:PORT (IPv4) according to MODE:
 *   delay:MS  a well-formed empty NOERROR answer (RA set, question
 *             repeated) sent MS milliseconds after the query arrived
 *   garbage   a reply with the query's ID and QR set whose body is not
 *             DNS: a header claiming records that are not there
 *   badid     a well-formed NOERROR answer whose ID is not the query's
 * With PIDFILE, fakedns detaches after binding (so bind errors reach the
 * caller) and writes the background process's pid there.
 * SIGTERM or SIGINT ends it. It never sends to anyone but the querier.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "detach.h"
#include "dnsmsg.h"

#define MAXPENDING 256
#define MAXMSG 512

enum mode { M_DELAY, M_GARBAGE, M_BADID };

struct pending {
	long long due_ms;
	struct sockaddr_in to;
	unsigned char msg[MAXMSG];
	size_t len;
};

static volatile sig_atomic_t stop;
static struct pending pend[MAXPENDING];
static int npend;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	enum mode mode;
	long delay = 0;
	struct sockaddr_in sa;
	struct sigaction act;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s delay:MS|garbage|badid ADDR PORT [PIDFILE]\n", argv[0]);
		return 2;
	}
	if (strncmp(argv[1], "delay:", 6) == 0) {
		char *end;
		mode = M_DELAY;
		delay = strtol(argv[1] + 6, &end, 10);
		if (*end != '\0' || delay < 0 || delay > 60000) {
			fprintf(stderr, "fakedns: bad delay '%s'\n", argv[1]);
			return 2;
		}
	} else if (strcmp(argv[1], "garbage") == 0) {
		mode = M_GARBAGE;
	} else if (strcmp(argv[1], "badid") == 0) {
		mode = M_BADID;
	} else {
		fprintf(stderr, "fakedns: unknown mode '%s'\n", argv[1]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
		fprintf(stderr, "fakedns: bad IPv4 address '%s'\n", argv[2]);
		return 2;
	}
	{
		char *end;
		long port = strtol(argv[3], &end, 10);
		if (*end != '\0' || port < 1 || port > 65535) {
			fprintf(stderr, "fakedns: bad port '%s'\n", argv[3]);
			return 2;
		}
		sa.sin_port = htons((unsigned short)port);
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "fakedns: bind %s:%s: %s\n", argv[2], argv[3], strerror(errno));
		return 1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	if (argc > 4)
		detach("fakedns", argv[4]);
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	while (!stop) {
		/* Wait until the next reply is due, or for a query. */
		int timeout = 1000;
		long long now = now_ms();
		for (int i = 0; i < npend; i++) {
			long long left = pend[i].due_ms - now;
			if (left < timeout)
				timeout = left < 0 ? 0 : (int)left;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout) < 0 && errno != EINTR)
			return 1;
		for (;;) {
			unsigned char q[MAXMSG];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			if (n < 0)
				break;
			unsigned char out[MAXMSG];
			size_t len = make_answer(q, (size_t)n, out, sizeof(out));
			if (len == 0)
				continue;
			if (mode == M_GARBAGE) {
				/* Says one answer record follows; what follows is not one. */
				out[7] = 1;
				memcpy(out + len, "\xff\xff\xff", 3);
				len += 3;
			} else if (mode == M_BADID) {
				out[1] ^= 0x5a;
			}
			if (mode == M_DELAY && delay > 0) {
				if (npend == MAXPENDING)
					continue; /* overloaded: drop */
				pend[npend].due_ms = now_ms() + delay;
				pend[npend].to = from;
				memcpy(pend[npend].msg, out, len);
				pend[npend].len = len;
				npend++;
				continue;
			}
			(void)sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
		}
		now = now_ms();
		for (int i = 0; i < npend; i++) {
			if (pend[i].due_ms > now)
				continue;
			(void)sendto(fd, pend[i].msg, pend[i].len, 0,
				     (struct sockaddr *)&pend[i].to, sizeof(pend[i].to));
			pend[i--] = pend[--npend];
		}
	}
	close(fd);
	return 0;
}

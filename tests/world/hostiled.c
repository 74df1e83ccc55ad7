/* hostiled -- a hostile name server for the dnssec-doctor test world.
 *
 * usage: hostiled MODE ADDR PORT UPSTREAM [PIDFILE]
 *
 * Listens on ADDR:PORT (IPv4, UDP and TCP) and forwards each query to the
 * real name server UPSTREAM (port 53; UDP to UDP, TCP to TCP), so the zones
 * it serves are real, signed zones; then it misbehaves according to MODE:
 *
 *   ok           forwards faithfully (a control)
 *   silent-edns  no answer to a query with EDNS (plain queries are forwarded)
 *   formerr-edns FORMERR to a query with EDNS (plain queries are forwarded)
 *   refused      REFUSED to everything        servfail   SERVFAIL to everything
 *   random       the query's ID, then random bytes
 *   badid        the real answer with another ID
 *   otherq       the real answer with another type in its question
 *   tc           UDP: an empty answer with TC=1, always; TCP: the real answer
 *   tc-notcp     like tc, and nothing listens on TCP (connection refused)
 *   oversize     UDP: the real answer padded with a TXT record to 2000 octets,
 *                whatever buffer size the query advertised
 *   ptrloop      an answer whose CNAME target is a compression pointer loop
 *   drip         UDP: TC=1; TCP: the real answer, one octet a second
 *
 * UDP is served one query at a time; each TCP connection gets its own
 * process (a dripping connection must not block the others). With PIDFILE
 * it detaches after binding. SIGTERM or SIGINT ends it (its TCP children
 * are in its session; world.sh stops the whole session).
 */
#define _DEFAULT_SOURCE
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
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "detach.h"
#include "dnsmsg.h"

enum mode {
	M_OK,
	M_SILENT_EDNS,
	M_FORMERR_EDNS,
	M_REFUSED,
	M_SERVFAIL,
	M_RANDOM,
	M_BADID,
	M_OTHERQ,
	M_TC,
	M_TC_NOTCP,
	M_OVERSIZE,
	M_PTRLOOP,
	M_DRIP
};

static const char *const mode_names[] = {
    "ok",     "silent-edns", "formerr-edns", "refused",	 "servfail", "random", "badid",
    "otherq", "tc",	     "tc-notcp",     "oversize", "ptrloop",  "drip",
};

#define OVERSIZE_LEN 2000

static volatile sig_atomic_t stop;
static struct sockaddr_in upstream;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Read (or write) exactly n octets, blocking with the socket's timeout. */
static int io_full(int fd, unsigned char *buf, size_t n, int out)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = out ? write(fd, buf + done, n - done) : read(fd, buf + done, n - done);
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

#define read_full(fd, buf, n) io_full(fd, buf, n, 0)
#define write_full(fd, buf, n) io_full(fd, (unsigned char *)(buf), n, 1)

/* Ask the upstream server; returns the answer's length or 0. */
static size_t forward(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap, int tcp)
{
	int fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	size_t n = 0;
	if (fd < 0)
		return 0;
	set_timeout(fd, 1000);
	if (connect(fd, (struct sockaddr *)&upstream, sizeof(upstream)) < 0)
		goto out;
	if (tcp) {
		unsigned char hdr[2];
		put16(hdr, (unsigned)qlen);
		if (write_full(fd, hdr, 2) || write_full(fd, q, qlen) || read_full(fd, hdr, 2))
			goto out;
		size_t len = ((size_t)hdr[0] << 8) | hdr[1];
		if (len > cap || read_full(fd, out, len))
			goto out;
		n = len;
	} else {
		if (send(fd, q, qlen, 0) != (ssize_t)qlen)
			goto out;
		ssize_t r = recv(fd, out, cap, 0);
		n = r > 0 ? (size_t)r : 0;
	}
out:
	close(fd);
	return n;
}

static int has_edns(const unsigned char *q, size_t qlen)
{
	return qlen >= 12 && (q[10] || q[11]);
}

/* Header and question of `q` with the given rcode (and TC when asked). */
static size_t error_answer(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap,
			   int rcode, int tc)
{
	size_t n = make_answer(q, qlen, out, cap);
	if (n) {
		out[3] = (unsigned char)rcode;
		if (tc)
			out[2] |= 0x02;
		else
			out[2] |= 0x04; /* AA: "authoritatively" refusing or failing */
	}
	return n;
}

/* Append a TXT record (owner: the question's name) to the additional
 * section until the message is OVERSIZE_LEN octets long. */
static size_t pad_oversize(unsigned char *m, size_t n, size_t cap)
{
	if (n < 12 || n + 12 + 8 > OVERSIZE_LEN || OVERSIZE_LEN > cap)
		return n;
	size_t rdlen = OVERSIZE_LEN - n - 12;
	unsigned char *p = m + n;
	put16(p, 0xC00C);
	put16(p + 2, 16); /* TXT */
	put16(p + 4, 1);
	put16(p + 6, 0);
	put16(p + 8, 0); /* TTL 0 */
	put16(p + 10, (unsigned)rdlen);
	p += 12;
	size_t left = rdlen;
	while (left) {
		size_t s = left - 1 > 255 ? 255 : left - 1;
		*p++ = (unsigned char)s;
		memset(p, 'x', s);
		p += s;
		left -= s + 1;
	}
	put16(m + 10, (((unsigned)m[10] << 8) | m[11]) + 1);
	return OVERSIZE_LEN;
}

/* An answer whose only record is a CNAME whose target points at itself. */
static size_t ptrloop_answer(const unsigned char *q, size_t qlen, unsigned char *out, size_t cap)
{
	size_t n = make_answer(q, qlen, out, cap);
	if (!n || n + 16 > cap || n + 12 > 0x3fff)
		return 0;
	out[2] |= 0x04; /* AA */
	put16(out + 6, 1);
	unsigned char *p = out + n;
	put16(p, 0xC00C);
	put16(p + 2, 5); /* CNAME */
	put16(p + 4, 1);
	put16(p + 6, 0);
	put16(p + 8, 300);
	put16(p + 10, 4);
	size_t target = n + 12; /* "a", then a pointer back to that "a" */
	p[12] = 1;
	p[13] = 'a';
	put16(p + 14, (unsigned)(0xC000 | target));
	return n + 16;
}

/* What to send for query `q` (over TCP when `tcp`); 0: send nothing. */
static size_t respond(enum mode mode, const unsigned char *q, size_t qlen, unsigned char *out,
		      size_t cap, int tcp)
{
	size_t n;
	if (!question_len(q, qlen))
		return 0;
	switch (mode) {
	case M_SILENT_EDNS:
		return has_edns(q, qlen) ? 0 : forward(q, qlen, out, cap, tcp);
	case M_FORMERR_EDNS:
		return has_edns(q, qlen) ? error_answer(q, qlen, out, cap, 1, 0)
					 : forward(q, qlen, out, cap, tcp);
	case M_REFUSED:
		return error_answer(q, qlen, out, cap, 5, 0);
	case M_SERVFAIL:
		return error_answer(q, qlen, out, cap, 2, 0);
	case M_RANDOM:
		if (cap < 120)
			return 0;
		memcpy(out, q, 2);
		for (size_t i = 2; i < 120; i++)
			out[i] = (unsigned char)random();
		out[2] |= 0x80;
		return 120;
	case M_BADID:
		n = forward(q, qlen, out, cap, tcp);
		if (n)
			out[1] ^= 0x5a;
		return n;
	case M_OTHERQ:
		n = forward(q, qlen, out, cap, tcp);
		if (n && question_len(out, n))
			out[12 + question_len(out, n) - 3] ^= 0x20; /* low octet of QTYPE */
		return n;
	case M_TC:
	case M_TC_NOTCP:
	case M_DRIP:
		return tcp ? forward(q, qlen, out, cap, tcp)
			   : error_answer(q, qlen, out, cap, 0, 1);
	case M_OVERSIZE:
		n = forward(q, qlen, out, cap, tcp);
		return tcp ? n : pad_oversize(out, n, cap);
	case M_PTRLOOP:
		return ptrloop_answer(q, qlen, out, cap);
	case M_OK:
	default:
		return forward(q, qlen, out, cap, tcp);
	}
}

/* One TCP connection, in its own process. */
static void serve_tcp(enum mode mode, int fd)
{
	static unsigned char q[DNSMSG_MAX], out[2 + DNSMSG_MAX];
	unsigned char hdr[2];
	set_timeout(fd, 3000);
	while (read_full(fd, hdr, 2) == 0) {
		size_t qlen = ((size_t)hdr[0] << 8) | hdr[1];
		if (qlen < 12 || read_full(fd, q, qlen))
			break;
		size_t n = respond(mode, q, qlen, out + 2, DNSMSG_MAX, 1);
		if (!n)
			continue;
		put16(out, (unsigned)n);
		if (mode == M_DRIP) {
			for (size_t i = 0; i < n + 2 && !stop; i++) {
				if (write_full(fd, out + i, 1))
					return;
				sleep(1);
			}
			return;
		}
		if (write_full(fd, out, n + 2))
			break;
	}
}

int main(int argc, char **argv)
{
	enum mode mode = M_OK;
	size_t nm = sizeof(mode_names) / sizeof(mode_names[0]);
	struct sockaddr_in sa;
	struct sigaction act;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: %s MODE ADDR PORT UPSTREAM [PIDFILE]\n", argv[0]);
		return 2;
	}
	size_t i;
	for (i = 0; i < nm && strcmp(argv[1], mode_names[i]) != 0; i++)
		;
	if (i == nm) {
		fprintf(stderr, "hostiled: unknown mode '%s'\n", argv[1]);
		return 2;
	}
	mode = (enum mode)i;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	memset(&upstream, 0, sizeof(upstream));
	upstream.sin_family = AF_INET;
	upstream.sin_port = htons(53);
	char *end;
	long port = strtol(argv[3], &end, 10);
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 || *end != '\0' || port < 1 ||
	    port > 65535 || inet_pton(AF_INET, argv[4], &upstream.sin_addr) != 1) {
		fprintf(stderr, "hostiled: bad address, port or upstream\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	int one = 1;
	int ufd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ufd < 0 || bind(ufd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "hostiled: bind udp %s:%s: %s\n", argv[2], argv[3],
			strerror(errno));
		return 1;
	}
	int tfd = -1;
	if (mode != M_TC_NOTCP) {
		tfd = socket(AF_INET, SOCK_STREAM, 0);
		(void)setsockopt(tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (tfd < 0 || bind(tfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(tfd, 64) < 0) {
			fprintf(stderr, "hostiled: bind tcp %s:%s: %s\n", argv[2], argv[3],
				strerror(errno));
			return 1;
		}
	}
	if (argc > 5)
		detach("hostiled", argv[5]);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	memset(&act, 0, sizeof(act));
	act.sa_handler = SIG_IGN;
	act.sa_flags = SA_NOCLDWAIT; /* TCP children reap themselves */
	sigaction(SIGCHLD, &act, NULL);

	while (!stop) {
		struct pollfd p[2] = {{.fd = ufd, .events = POLLIN}, {.fd = tfd, .events = POLLIN}};
		if (poll(p, tfd >= 0 ? 2 : 1, 1000) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents & POLLIN) {
			static unsigned char q[DNSMSG_MAX], out[DNSMSG_MAX];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(ufd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
			size_t len = n > 0 ? respond(mode, q, (size_t)n, out, sizeof(out), 0) : 0;
			if (len)
				(void)sendto(ufd, out, len, 0, (struct sockaddr *)&from, fl);
		}
		if (tfd >= 0 && (p[1].revents & POLLIN)) {
			int c = accept(tfd, NULL, NULL);
			if (c < 0)
				continue;
			pid_t pid = fork();
			if (pid == 0) {
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				close(ufd);
				close(tfd);
				serve_tcp(mode, c);
				close(c);
				_exit(0);
			}
			close(c);
		}
	}
	return 0;
}

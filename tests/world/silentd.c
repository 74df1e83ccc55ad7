/* silentd -- a black-holed name server for the dnssec-doctor test world.
 *
 * usage: silentd ADDR [PORT [PIDFILE]]
 *
 * Binds UDP and TCP on ADDR:PORT (default port 53).  UDP datagrams are read
 * and dropped; TCP connections are accepted and read but never answered
 * (they are closed when the peer closes them).  Nothing is ever sent.
 * With PIDFILE, silentd detaches after binding (so bind errors are reported
 * to the caller) and writes the pid of the background process to PIDFILE.
 * SIGTERM or SIGINT ends it.
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
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "detach.h"

#define MAXCONN 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int bind_socket(int type, const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, type, 0);
	int one = 1;

	if (fd < 0) {
		perror("silentd: socket");
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		fprintf(stderr, "silentd: bind %s/%s: %s\n", inet_ntoa(sa->sin_addr),
			type == SOCK_STREAM ? "tcp" : "udp", strerror(errno));
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, 16) < 0) {
		perror("silentd: listen");
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct pollfd pfd[2 + MAXCONN];
	struct sigaction act;
	char buf[65536];
	long port = 53;
	int nconn = 0, udp, tcp, i;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s ADDR [PORT [PIDFILE]]\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "silentd: bad IPv4 address '%s'\n", argv[1]);
		return 2;
	}
	if (argc > 2) {
		char *end;
		port = strtol(argv[2], &end, 10);
		if (*end != '\0' || port < 1 || port > 65535) {
			fprintf(stderr, "silentd: bad port '%s'\n", argv[2]);
			return 2;
		}
	}
	sa.sin_port = htons((unsigned short)port);

	udp = bind_socket(SOCK_DGRAM, &sa);
	tcp = bind_socket(SOCK_STREAM, &sa);
	if (udp < 0 || tcp < 0)
		return 1;

	if (argc > 3)
		detach("silentd", argv[3]);

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	pfd[0].fd = udp;
	pfd[0].events = POLLIN;
	pfd[1].fd = tcp;
	pfd[1].events = POLLIN;

	while (!stop) {
		int n = poll(pfd, (nfds_t)(2 + nconn), 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("silentd: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			while (recv(udp, buf, sizeof(buf), 0) >= 0)
				; /* drop */
		if (pfd[1].revents & POLLIN) {
			int c;
			while ((c = accept(tcp, NULL, NULL)) >= 0) {
				if (nconn == MAXCONN) {
					/* drop the oldest to make room; still never answer */
					close(pfd[2].fd);
					memmove(&pfd[2], &pfd[3], sizeof(pfd[0]) * (MAXCONN - 1));
					nconn--;
				}
				(void)fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
				pfd[2 + nconn].fd = c;
				pfd[2 + nconn].events = POLLIN;
				pfd[2 + nconn].revents = 0;
				nconn++;
			}
		}
		for (i = 0; i < nconn; i++) {
			struct pollfd *p = &pfd[2 + i];
			ssize_t r;

			if (!(p->revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = recv(p->fd, buf, sizeof(buf), 0);
			if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
				continue;
			close(p->fd);
			pfd[2 + i] = pfd[2 + nconn - 1];
			nconn--;
			i--;
		}
	}
	for (i = 0; i < nconn; i++)
		close(pfd[2 + i].fd);
	close(udp);
	close(tcp);
	return 0;
}

/* detach.h -- shared by the test world's small daemons (silentd, fakedns).
 *
 * detach(PROG, PIDFILE): fork; the parent writes the child's pid to PIDFILE
 * and exits 0 (or 1, killing the child, when the file cannot be written);
 * the child starts a new session and points stdin/stdout/stderr at
 * /dev/null. Returns only in the child. Call it after binding the sockets,
 * so that bind errors still reach the caller.
 */
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void detach(const char *prog, const char *pidfile)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork failed\n", prog);
		exit(1);
	}
	if (pid > 0) {
		FILE *f = fopen(pidfile, "w");
		if (f == NULL || fprintf(f, "%ld\n", (long)pid) < 0 || fclose(f) != 0) {
			fprintf(stderr, "%s: cannot write pidfile %s\n", prog, pidfile);
			kill(pid, SIGTERM);
			exit(1);
		}
		exit(0);
	}
	(void)setsid();
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		(void)dup2(nul, 0);
		(void)dup2(nul, 1);
		(void)dup2(nul, 2);
		if (nul > 2)
			close(nul);
	}
}

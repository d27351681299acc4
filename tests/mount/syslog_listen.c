/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for the system logger, for the mounted tests: binds a Unix datagram socket at
 * PATH (as /dev/log is) and appends every message received to OUT, one per line, until
 * SIGTERM. OUT exists once the socket is ready.
 *
 *   syslog_listen PATH OUT
 *
 * Exit status 0 after SIGTERM, 1 on an error, 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct sigaction sa = { .sa_handler = on_term }; /* no SA_RESTART: recv returns EINTR */
	char msg[4096];
	FILE *out;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: %s SOCKET OUT\n", argv[0]);
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	strcpy(addr.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror(argv[1]);
		return 1;
	}
	chmod(argv[1], 0666);
	out = fopen(argv[2], "a");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	while (!stop) {
		ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("recv");
			return 1;
		}
		msg[n] = '\0';
		fprintf(out, "%s\n", msg);
		fflush(out);
	}
	fclose(out);
	close(fd);
	unlink(argv[1]);
	return 0;
}

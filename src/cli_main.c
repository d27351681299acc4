/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's life, shared by mcp2210fs (src/mcp2210fs.c) and the benchmark's baseline
 * (bench/naive.c): parse options, mount, daemonise (before any thread exists: libusb's and the
 * worker's threads would not survive fork), start the device, serve, and tear down in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "fs.h"
#include "cli_fuse_serve.h"
#include "util/log.h"
#include "cli_main.h"
#include "cli_mountpoint.h"
#include "cli_options.h"
#include "util/thread.h"
#include "worker.h"

/* SIGTERM/SIGINT/SIGHUP end the FUSE loop. Requests still queued or running for the device
 * would hold the stop up (a long SPI transaction), so the handler also wakes a watcher thread
 * that cancels the device's jobs: their callers get ECONNABORTED at once (not EINTR: they got
 * no signal), as the kernel answers requests of a daemon that is gone. */
static struct fuse_session *stop_session;
static int stop_pipe[2] = { -1, -1 };

/* Log "what: <errno's text>" and return -errno, read before logging may change it. */
static int fail_errno(const char *what)
{
	int err = errno;

	log_err("%s: %s", what, strerror(err));
	return -err;
}

static void on_stop_signal(int sig)
{
	int saved = errno;
	const char byte = 'S';

	(void)sig;
	if (stop_session)
		fuse_session_exit(stop_session);
	if (write(stop_pipe[1], &byte, 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = saved;
}

static int install_stop_handlers(struct fuse_session *se)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	if (pipe(stop_pipe) != 0)
		return fail_errno("cannot create a pipe");
	stop_session = se;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL) || sigaction(SIGHUP, &sa, NULL) ||
	    sigaction(SIGPIPE, &ign, NULL))
		return fail_errno("cannot install signal handlers");
	return 0;
}

static void remove_stop_handlers(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGHUP, &dfl, NULL);
	stop_session = NULL;
	for (int i = 0; i < 2; i++)
		if (stop_pipe[i] >= 0)
			close(stop_pipe[i]);
	stop_pipe[0] = stop_pipe[1] = -1;
}

/* Reads the stop pipe: 'S' from a signal cancels the device's jobs; 'Q' from main ends it. */
static void *stop_watcher(void *arg)
{
	struct mount *m = arg;
	char byte;
	ssize_t n;

	do {
		n = read(stop_pipe[0], &byte, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1 && byte == 'S')
		mount_cancel_all(m, -ECONNABORTED);
	return NULL;
}

static void stop_watcher_end(pthread_t thread)
{
	const char byte = 'Q';

	if (write(stop_pipe[1], &byte, 1) < 0)
		log_warn("cannot wake the stop watcher: %s", strerror(errno));
	pthread_join(thread, NULL);
}

/* -o exit_on_unplug: the same clean stop as SIGTERM. Sent to the process, so that it reaches
 * the main thread, the only one that does not block it. */
static void exit_on_unplug(struct mount *m)
{
	(void)m;
	kill(getpid(), SIGTERM);
}

/* fuse_daemonize() lets the parent exit 0 before the device is even looked for, and "no such
 * device" would go to /dev/null. Here the parent waits for the child's word on how the start
 * went and exits with it; the child opens the device (libusb starts its threads only now,
 * after the fork) with stderr still on the terminal, then detaches (daemon_started()). */
static int daemon_report_fd = -1;

static int daemonise(int foreground)
{
	int fds[2];
	char status = 1;
	pid_t pid;

	if (foreground)
		return chdir("/") == 0 ? 0 : -errno;
	if (pipe(fds) != 0)
		return fail_errno("cannot create a pipe");
	pid = fork();
	if (pid < 0) {
		int ret = fail_errno("cannot fork");

		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	if (pid > 0) {
		ssize_t n;

		close(fds[1]);
		do {
			n = read(fds[0], &status, 1);
		} while (n < 0 && errno == EINTR);
		_exit(n == 1 ? status : 1); /* the child exiting without a word has failed */
	}
	close(fds[0]);
	daemon_report_fd = fds[1];
	if (setsid() < 0 || chdir("/") != 0)
		return fail_errno("cannot detach");
	return 0;
}

/* Tell the waiting parent how it went (once); on success, leave the terminal for syslog. */
static void daemon_report(int status)
{
	const char byte = (char)status;

	if (daemon_report_fd < 0)
		return;
	if (status == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		log_to_syslog("mcp2210fs"); /* as FUSE daemons do: the log goes on in the journal */
	}
	if (write(daemon_report_fd, &byte, 1) != 1) {
		/* the parent is gone: nobody to tell */
	}
	close(daemon_report_fd);
	daemon_report_fd = -1;
}

int mcp2210fs_main(int argc, char *argv[], enum mount_policy policy)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	static struct mount m;
	static struct fs fs = { .mount = &m, .open_lock = PTHREAD_MUTEX_INITIALIZER };
	struct fuse_cmdline_opts cmd = { 0 };
	struct fuse_session *se;
	pthread_t watcher;
	int ret = 1;

	m.policy = policy;
	if (options_parse(&args, &m.opt) < 0 || fuse_parse_cmdline(&args, &cmd) != 0)
		goto out_args;
	if (m.opt.show_help || cmd.show_help) {
		options_show_help(argv[0]);
		ret = 0;
		goto out_args;
	}
	if (m.opt.show_version || cmd.show_version) {
		options_show_version();
		ret = 0;
		goto out_args;
	}
	if (m.opt.list) {
		ret = mount_list(&m.opt) < 0 ? 1 : 0;
		goto out_args;
	}
	if (!cmd.mountpoint) {
		fprintf(stderr, "usage: %s [options] MOUNTPOINT (try --help)\n", argv[0]);
		goto out_args;
	}
	if (cmd.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	if (mountpoint_check(cmd.mountpoint) < 0)
		goto out_args;
	if (m.opt.password_file) {
		if (options_read_password(&m.opt, m.opt.password) < 0)
			goto out_args;
		m.opt.have_password = true;
	}
	if (fs_tree_build(&fs.tree, &m) < 0) {
		log_err("the file tree does not fit its table");
		goto out_args;
	}
	/* Modes are the policy: the kernel checks them, also for other users with allow_other. */
	if (fuse_opt_add_arg(&args, "-odefault_permissions") != 0 || fuse_opt_add_arg(&args, "-ofsname=mcp2210fs") != 0 ||
	    fuse_opt_add_arg(&args, "-osubtype=mcp2210fs") != 0) {
		log_err("out of memory");
		goto out_args;
	}
	se = fuse_session_new(&args, &fs_lowlevel_ops, sizeof(fs_lowlevel_ops), &fs);
	if (!se)
		goto out_args;
	if (install_stop_handlers(se) != 0)
		goto out_signals;
	if (fuse_session_mount(se, cmd.mountpoint) != 0)
		goto out_signals;
	if (daemonise(cmd.foreground) != 0)
		goto out_unmount;
	m.on_unplug = exit_on_unplug;
	if (mount_start(&m) < 0)
		goto out_unmount;
	daemon_report(0);
	if (thread_start(&watcher, stop_watcher, &m) != 0) {
		log_err("cannot start the stop watcher thread");
		goto out_device;
	}
	/* The loop returns the number of the signal that ended it (SIGTERM, SIGINT): a clean stop. */
	if (fs_poll_start(&fs) == 0)
		ret = fuse_serve(se, &cmd) >= 0 ? 0 : 1;
	fs_poll_stop(&fs);
	stop_watcher_end(watcher);
out_device:
	/* Jobs still queued or running use open files: the worker answers them (ECONNABORTED)
	 * and ends before the files go. */
	mount_stop(&m);
	fs_close_all(&fs);
	fs_request_cleanup();
out_unmount:
	fuse_session_unmount(se);
out_signals:
	remove_stop_handlers();
	fuse_session_destroy(se);
out_args:
	daemon_report(1); /* a failed start, in a child whose parent still waits */
	explicit_bzero(m.opt.password, sizeof(m.opt.password)); /* if mount_start() never took it */
	options_free(&m.opt);
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}

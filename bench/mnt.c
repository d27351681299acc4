/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mounts for the benchmark and the soak test (see mnt.h): foreground daemons on temporary
 * mount points under one base directory, a signal handler that unmounts them all, files read
 * and written the way shell tools do, and /proc figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "mnt.h"

#define MAX_MOUNTS 20

extern char **environ;

/* ---- time ---------------------------------------------------------------------------------- */

double mnt_now_s(void) { return (double)mono_now_ns() / 1e9; }

/* Async-signal-safe: also used while cleaning up from a signal handler. */
void mnt_sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- mounts and the daemons behind them ----------------------------------------------------- */

/* The signal handler walks this table too, so a slot's pid is set once the child exists and
 * cleared once it is reaped. A slot is free while its dir is empty. */
static struct mnt mnts[MAX_MOUNTS];
static char base_dir[64];
static char prog_name[32] = "mcp2210fs-bench";
static char fusermount_path[PATH_MAX] = "/bin/fusermount3";
char mnt_last_log_line[200];

static bool is_mounted(const char *dir)
{
	struct stat st, base;

	return dir[0] && stat(dir, &st) == 0 && stat(base_dir, &base) == 0 && st.st_dev != base.st_dev;
}

bool mnt_is_mounted(const struct mnt *m) { return is_mounted(m->dir); }

/* Waits up to timeout_s for pid to end; true once it is reaped (or is not our child any more),
 * with its wait(2) status in *status (-1 when not known). */
static bool reap_status(pid_t pid, double timeout_s, int *status)
{
	double deadline = mnt_now_s() + timeout_s;

	*status = -1;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		if (mnt_now_s() >= deadline)
			return false;
		mnt_sleep_s(0.005);
	}
}

static bool reap(pid_t pid, double timeout_s)
{
	int status;

	return reap_status(pid, timeout_s, &status);
}

/* fusermount3 -u [-z] DIR, quietly. Only fork/execve/waitpid: callable from the signal handler. */
static void fusermount_u(const char *dir, bool lazy)
{
	char prog[] = "fusermount3", unmount[] = "-u", detach[] = "-z";
	char *argv[] = { prog, unmount, lazy ? detach : (char *)dir, lazy ? (char *)dir : NULL, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execve(fusermount_path, argv, environ);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

/* SIGTERM, then SIGKILL, to a daemon that does not end by itself. */
static void kill_daemon(pid_t pid)
{
	kill(pid, SIGTERM);
	if (!reap(pid, 3.0)) {
		kill(pid, SIGKILL);
		reap(pid, 2.0);
	}
}

void mnt_stop(struct mnt *m, bool gentle)
{
	pid_t pid = m->pid;

	if (pid > 0) {
		if (gentle && is_mounted(m->dir))
			fusermount_u(m->dir, false);
		if (!reap(pid, gentle ? 5.0 : 0.0))
			kill_daemon(pid);
		m->pid = 0;
	}
	if (is_mounted(m->dir) && umount2(m->dir, MNT_DETACH) != 0)
		fusermount_u(m->dir, true);
	rmdir(m->dir);
	unlink(m->log);
	m->dir[0] = '\0';
}

int mnt_unmount(struct mnt *m, double timeout_s)
{
	pid_t pid = m->pid;
	int status, ret;

	if (pid <= 0)
		return -ECHILD;
	fusermount_u(m->dir, false);
	if (reap_status(pid, timeout_s, &status)) {
		ret = status < 0 ? -ECHILD : status;
	} else {
		kill_daemon(pid);
		ret = -ETIMEDOUT;
	}
	m->pid = 0;
	return ret;
}

void mnt_log_tail(const struct mnt *m, unsigned lines, const char *prefix)
{
	char ring[16][240];
	unsigned n = 0;
	FILE *f = fopen(m->log, "r");

	if (!f)
		return;
	if (lines > 16)
		lines = 16;
	while (fgets(ring[n % 16], sizeof(ring[0]), f))
		n++;
	fclose(f);
	for (unsigned i = n > lines ? n - lines : 0; i < n; i++)
		fprintf(stderr, "%s%s%s", prefix, ring[i % 16], strchr(ring[i % 16], '\n') ? "" : "\n");
}

/* Every exit path ends here: SIGTERM all daemons first so they unmount in parallel. */
static void cleanup_all(void)
{
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (mnts[i].pid > 0)
			kill(mnts[i].pid, SIGTERM);
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (mnts[i].dir[0])
			mnt_stop(&mnts[i], false);
	if (base_dir[0])
		rmdir(base_dir);
	base_dir[0] = '\0';
}

static void say(const char *s) { (void)!write(STDERR_FILENO, s, strlen(s)); }

static void on_signal(int sig)
{
	say("\n");
	say(prog_name);
	say(sig == SIGALRM ? ": time limit reached; unmounting\n" : ": interrupted; unmounting\n");
	cleanup_all();
	_exit(128 + sig);
}

static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM };

static void signals_install(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++)
		sigaction(handled_signals[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void mnt_signals_block(bool block, sigset_t *saved)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++)
		sigaddset(&set, handled_signals[i]);
	pthread_sigmask(block ? SIG_BLOCK : SIG_SETMASK, block ? &set : saved, block ? saved : NULL);
}

/* The child dies with us (PDEATHSIG) and has its own process group, so a terminal's ^C reaches
 * only the bench, which then unmounts in order. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t parent = getpid(), pid = fork();
	sigset_t none;
	int fd;

	if (pid != 0)
		return pid;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void remember_log(const struct mnt *m)
{
	FILE *f = fopen(m->log, "r");

	mnt_last_log_line[0] = '\0';
	if (!f)
		return;
	if (fgets(mnt_last_log_line, sizeof(mnt_last_log_line), f))
		mnt_last_log_line[strcspn(mnt_last_log_line, "\n")] = '\0';
	fclose(f);
}

static bool wait_mounted(struct mnt *m)
{
	double deadline = mnt_now_s() + 10.0;

	while (mnt_now_s() < deadline) {
		if (is_mounted(m->dir))
			return true;
		if (waitpid(m->pid, NULL, WNOHANG) == m->pid) {
			m->pid = 0;
			return false;
		}
		mnt_sleep_s(0.005);
	}
	return false;
}

struct mnt *mnt_start(const char *const pre[], const char *tag)
{
	char *argv[16];
	struct mnt *m = NULL;
	size_t n = 0;

	for (int i = 0; i < MAX_MOUNTS && !m; i++)
		if (!mnts[i].dir[0])
			m = &mnts[i];
	if (!m)
		return NULL;
	snprintf(m->dir, sizeof(m->dir), "%s/%s-XXXXXX", base_dir, tag);
	if (!mkdtemp(m->dir)) {
		m->dir[0] = '\0';
		return NULL;
	}
	snprintf(m->log, sizeof(m->log), "%s.log", m->dir);
	m->harness_ctl[0] = '\0';
	while (pre[n] && n < 14) {
		argv[n] = (char *)pre[n];
		n++;
	}
	argv[n++] = m->dir;
	argv[n] = NULL;
	m->pid = spawn(argv, m->log);
	if (m->pid > 0 && wait_mounted(m))
		return m;
	remember_log(m);
	mnt_stop(m, false);
	return NULL;
}

static void find_fusermount(void)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s/fusermount3", (int)len, p);
		if (access(dir, X_OK) == 0) {
			snprintf(fusermount_path, sizeof(fusermount_path), "%s", dir);
			return;
		}
		p += len + (p[len] == ':');
	}
}

int mnt_setup(const char *prog, unsigned alarm_s)
{
	snprintf(prog_name, sizeof(prog_name), "%s", prog);
	snprintf(base_dir, sizeof(base_dir), "/tmp/%s-XXXXXX", prog_name);
	if (!mkdtemp(base_dir)) {
		fprintf(stderr, "%s: cannot create a temporary directory: %s\n", prog_name, strerror(errno));
		base_dir[0] = '\0';
		return -1;
	}
	find_fusermount();
	atexit(cleanup_all);
	signals_install();
	alarm(alarm_s);
	return 0;
}

/* ---- files ---------------------------------------------------------------------------------- */

static void path_of(const struct mnt *m, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", m->dir, rel);
}

ssize_t mnt_read(const struct mnt *m, const char *rel, char *buf, size_t size)
{
	char path[256];
	size_t len = 0;
	ssize_t n = 1;
	int fd;

	path_of(m, rel, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (n > 0 && len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n > 0)
			len += (size_t)n;
	}
	if (n < 0)
		n = -errno;
	close(fd);
	buf[len] = '\0';
	return n < 0 ? n : (ssize_t)len;
}

int mnt_write(const struct mnt *m, const char *rel, const char *value)
{
	char path[256];
	size_t len = strlen(value);
	ssize_t n;
	int fd, ret = 0;

	path_of(m, rel, path, sizeof(path));
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	if (close(fd) != 0 && !ret)
		ret = -errno;
	return ret;
}

int mnt_open(const struct mnt *m, const char *rel, int flags)
{
	char path[256];
	int fd;

	path_of(m, rel, path, sizeof(path));
	fd = open(path, flags);
	return fd < 0 ? -errno : fd;
}

long long mnt_kv_get(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return strtoll(p + klen + 1, NULL, 10);
	return -1;
}

void mnt_counters_parse(const char *text, struct mnt_counters *c)
{
	c->exchanges = mnt_kv_get(text, "exchanges");
	c->frames = mnt_kv_get(text, "frames");
	c->spi_bytes = mnt_kv_get(text, "spi_bytes");
	c->faults = mnt_kv_get(text, "faults");
	c->time_us = mnt_kv_get(text, "time_us");
}

/* One "status 1" to the USB harness's control FIFO (tests/usb_emu_run.c documents it), its
 * reply line ("ok ... exchanges=X frames=F spi_bytes=N") into buf. 0 or -errno. */
static int harness_status(const char *ctl, char *buf, size_t size)
{
	char reply_path[sizeof(((struct mnt *)0)->harness_ctl) + 8];
	struct pollfd pfd = { .events = POLLIN };
	size_t got = 0;
	int fd = open(ctl, O_WRONLY | O_NONBLOCK | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "status 1\n", 9) != 9)
		ret = -EIO;
	close(fd);
	snprintf(reply_path, sizeof(reply_path), "%s.reply", ctl);
	pfd.fd = ret ? -1 : open(reply_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pfd.fd < 0)
		return ret ? ret : -errno;
	while (got + 1 < size && !memchr(buf, '\n', got)) {
		ssize_t n;

		if (poll(&pfd, 1, 2000) <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		n = read(pfd.fd, buf + got, size - 1 - got);
		if (n <= 0 && errno != EAGAIN) {
			ret = -EIO;
			break;
		}
		got += n > 0 ? (size_t)n : 0;
		buf[got] = '\0';
	}
	close(pfd.fd);
	return ret ? ret : strncmp(buf, "ok plugged=1 ", 13) == 0 ? 0 : -ENODEV;
}

static long long reply_get(const char *reply, const char *key)
{
	const char *p = strstr(reply, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

int mnt_counters_get(const struct mnt *m, struct mnt_counters *c)
{
	char text[512] = "";
	ssize_t n;

	if (m->harness_ctl[0]) {
		int ret = harness_status(m->harness_ctl, text, sizeof(text));

		if (ret < 0)
			return ret;
		*c = (struct mnt_counters){ .exchanges = reply_get(text, " exchanges="),
					    .frames = reply_get(text, " frames="),
					    .spi_bytes = reply_get(text, " spi_bytes="), .faults = -1, .time_us = -1 };
		return c->exchanges < 0 || c->frames < 0 ? -EPROTO : 0;
	}
	n = mnt_read(m, "emulator/counters", text, sizeof(text));
	if (n < 0)
		return (int)n;
	mnt_counters_parse(text, c);
	return 0;
}

long long mnt_stats_get(const struct mnt *m, const char *key)
{
	char text[512];

	return mnt_read(m, "stats", text, sizeof(text)) < 0 ? -1 : mnt_kv_get(text, key);
}

/* ---- /proc ---------------------------------------------------------------------------------- */

double mnt_proc_cpu_s(pid_t pid)
{
	char path[64], text[1024];
	unsigned long long ut = 0, st = 0;
	const char *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return NAN;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strrchr(text, ')'); /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return NAN;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* One "Key:   n kB" line of /proc/PID/status, in MiB. */
static double proc_status_mib(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	double mib = NAN;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			mib = strtod(line + klen + 1, NULL) / 1024.0;
	fclose(f);
	return mib;
}

double mnt_proc_hwm_mib(pid_t pid) { return proc_status_mib(pid, "VmHWM"); }

double mnt_proc_rss_mib(pid_t pid) { return proc_status_mib(pid, "VmRSS"); }

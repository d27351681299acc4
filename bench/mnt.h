/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the benchmark and the soak test share: foreground daemons on temporary mount points
 * (cleaned up on every exit path, signals included), file I/O through a mount like cat(1) and
 * echo(1) do it, and the daemon's figures from /proc and from emulator/counters.
 */
#ifndef MCP2210FS_BENCH_MNT_H
#define MCP2210FS_BENCH_MNT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- time ---------------------------------------------------------------------------------- */

double mnt_now_s(void); /* CLOCK_MONOTONIC */
void mnt_sleep_s(double s); /* async-signal-safe */

/* ---- mounts and the daemons behind them ----------------------------------------------------- */

/* A mount point and the foreground daemon serving it. */
struct mnt {
	char dir[160];
	char log[168];
	volatile sig_atomic_t pid;
	/* A daemon on the USB path under tests/usb-emu-run: the harness's control FIFO, where
	 * mnt_counters_get asks for the chip's counters; "" for an emulated mount. */
	char harness_ctl[96];
};

/* The first line a daemon that failed to mount printed. */
extern char mnt_last_log_line[200];

/* Once, first: a temporary base directory /tmp/PROG-XXXXXX for the mount points, cleanup at
 * exit and on SIGINT/SIGTERM/SIGHUP, and SIGALRM after alarm_s as a last-resort time limit
 * (the program reports itself as PROG). 0 or -1 with a message. */
int mnt_setup(const char *prog, unsigned alarm_s);

/* Runs pre[] (up to 14 arguments) + a fresh mount point under the base directory, in its own
 * process group, output to a log file next to it; the mount, or NULL if the program ended
 * first (an unknown option) or did not mount within 10 s. */
struct mnt *mnt_start(const char *const pre[], const char *tag);
/* Unmounts, ends the daemon (politely when gentle, else at once) and removes the mount point. */
void mnt_stop(struct mnt *m, bool gentle);
/* fusermount3 -u, then waits up to timeout_s for the daemon to exit by itself. Its wait(2)
 * status, or -ETIMEDOUT (then it was killed) or -ECHILD. The mount point and the log stay for
 * the caller (mnt_log_tail) until mnt_stop or the exit. */
int mnt_unmount(struct mnt *m, double timeout_s);
bool mnt_is_mounted(const struct mnt *m);
/* The last lines of the daemon's log on stderr, each prefixed. */
void mnt_log_tail(const struct mnt *m, unsigned lines, const char *prefix);

/* Threads that do the work block the handled signals so that the cleanup runs on the main
 * thread: block (saving the old mask in *saved), or restore *saved. */
void mnt_signals_block(bool block, sigset_t *saved);

/* ---- files ---------------------------------------------------------------------------------- */

/* Reads like cat(1): until end of file. Bytes read (NUL-terminated) or -errno. */
ssize_t mnt_read(const struct mnt *m, const char *rel, char *buf, size_t size);
/* Writes like echo(1): the whole value in one write(2); a short write is -EIO. */
int mnt_write(const struct mnt *m, const char *rel, const char *value);
/* open(2) of a file below the mount: fd or -errno. */
int mnt_open(const struct mnt *m, const char *rel, int flags);

/* The value of a "key: n" line, or -1. */
long long mnt_kv_get(const char *text, const char *key);

/* What the emulated chip saw (emulator/counters: reading it costs no exchange). */
struct mnt_counters {
	long long exchanges, frames, spi_bytes, faults, time_us;
};

void mnt_counters_parse(const char *text, struct mnt_counters *c);
/* From emulator/counters, or for a mount under the USB harness from its "status 1" reply
 * (exchanges, frames and spi_bytes only). 0 or -errno. */
int mnt_counters_get(const struct mnt *m, struct mnt_counters *c);
/* One "key: n" line of stats, or -1. */
long long mnt_stats_get(const struct mnt *m, const char *key);

/* ---- /proc ---------------------------------------------------------------------------------- */

double mnt_proc_cpu_s(pid_t pid); /* utime + stime in seconds, NAN if unknown */
double mnt_proc_hwm_mib(pid_t pid); /* peak RSS (VmHWM) */
double mnt_proc_rss_mib(pid_t pid); /* RSS now (VmRSS) */

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usb-emu-run: present emulated MCP2210s (src/emu/) to libusb and hidapi-libusb as real USB
 * devices through a umockdev testbed (sysfs attributes, /dev/bus/usb nodes, uevents and a
 * usbdevfs ioctl handler), then run one command inside that testbed and exit with its status.
 *
 *   usb-emu-run [--devices N] [--state FILE] [--control FIFO] [--frame-us N] [-v] -- CMD [ARG...]
 *
 * Device K (1-based) has serial 0000000001, 0000000002, ... (ten digits, as a real chip's
 * factory serial: public libraries check that; unless its state file remembers
 * another), sits on bus 1 at sysfs name 1-K, starts with address K+1 (a replug takes the next
 * free one), is bound to "usbhid" until a client detaches it, and carries
 * EMU_DEFAULT_PERIPHERALS. With
 * --state FILE device 1 keeps NVRAM/EEPROM in FILE, device K>1 in FILE.K. --frame-us 0 (the
 * default) answers at once; --frame-us 1000 models full-speed frames with the in-process
 * emulator's own code (emu_follow, emu_out_framed): the chip's clock follows the wall clock,
 * and an answer whose IN URB was already waiting is reaped at the end of the frame that
 * carried the OUT report (one frame per exchange); an IN submitted after the OUT completed
 * gets it one frame later (two frames).
 *
 * Control channel (--control FIFO): commands to unplug, replug or power-cycle a device, drive
 * its pins from outside and more, each answered with a line on FIFO.reply; they are listed in
 * emu_run_control.c.
 *
 * Inside, any libusb-1.0 program (hidapi-libusb too, not hidapi-hidraw) works unmodified as
 * long as it starts after the testbed (it does: it is the command) and runs in the foreground
 * or at least exits within 5 s after the command: the testbed's sockets go with us, and
 * umockdev's preload aborts a process whose device ioctls lose them. /sys and the /dev/bus/usb
 * tree are the testbed's; other /dev nodes (/dev/fuse, /dev/null) are the real ones.
 *
 * This file is the program's lifecycle; emu_run.h says where its other three jobs are.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "emu_run.h"
#include "util/log.h"

#define USBEMU_PRELOAD_LIB "libumockdev-preload.so.0"
#define USBEMU_REEXEC_ENV "USB_EMU_RUN_REEXEC"
/* After SIGTERM the command gets this long before SIGKILL; after it exits, processes it left
 * behind (a daemonised child) get this long to close the devices before the testbed goes. */
#define USBEMU_GRACE_NS 5000000000ull

struct usbemu_state usbemu = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ctl_fd = -1,
	.reply_fd = -1,
	.wake_fd = -1,
};

static void usbemu_log_sink(enum log_level level, const char *msg)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };

	fprintf(stderr, "usb-emu-run: %s: %s\n", prefix[level], msg);
}

static bool preload_active(void)
{
	void *h = dlopen(USBEMU_PRELOAD_LIB, RTLD_NOLOAD | RTLD_LAZY);

	if (h)
		dlclose(h);
	return h != NULL;
}

/*
 * umockdev redirects /sys, /dev and netlink only inside processes that have its preload
 * library, and the testbed needs it too: its uevent sender reads the device through libudev
 * from the redirected /sys. Re-exec ourselves under it once; the command inherits it.
 */
static void ensure_preload(char **argv)
{
	const char *old = getenv("LD_PRELOAD"), *lib = getenv("USB_EMU_RUN_PRELOAD");
	char *preload;

	if (preload_active()) {
		unsetenv(USBEMU_REEXEC_ENV);
		return;
	}
	if (getenv(USBEMU_REEXEC_ENV)) {
		fprintf(stderr, "usb-emu-run: umockdev's preload library %s could not be loaded; install umockdev "
				"(or set USB_EMU_RUN_PRELOAD to its path)\n",
			USBEMU_PRELOAD_LIB);
		exit(77);
	}
	if (!lib)
		lib = USBEMU_PRELOAD_LIB;
	if (asprintf(&preload, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "") < 0)
		exit(1);
	setenv("LD_PRELOAD", preload, 1);
	free(preload);
	/* AddressSanitizer refuses to start when it is not first in the library list, and the
	 * preload now is, here and in every sanitized program the command starts. */
	old = getenv("ASAN_OPTIONS");
	if (!old || !strstr(old, "verify_asan_link_order")) {
		char *opts;

		if (asprintf(&opts, "%s%sverify_asan_link_order=0", old ? old : "", old && *old ? ":" : "") < 0)
			exit(1);
		setenv("ASAN_OPTIONS", opts, 1);
		free(opts);
	}
	setenv(USBEMU_REEXEC_ENV, "1", 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "usb-emu-run: cannot re-execute itself: %s\n", strerror(errno));
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: usb-emu-run [--devices N] [--state FILE] [--control FIFO] [--frame-us N] [-v] -- COMMAND [ARGS...]\n"
		"Run COMMAND with N emulated MCP2210s (default 1) attached as USB devices through umockdev.\n"
		"  --devices N    number of devices, 1..%d; serials 0000000001, 0000000002, ...\n"
		"  --state FILE   keep device 1's NVRAM and EEPROM in FILE, device K's in FILE.K\n"
		"  --control FIFO read unplug/replug/power_cycle/input/external_master/status commands from FIFO,\n"
		"                 answer each with one line on FIFO.reply\n"
		"  --frame-us N   USB frame length in microseconds (0: answer at once; 1000: full speed)\n"
		"  -v, --verbose  log plugging and control commands; twice: every URB and error\n",
		USBEMU_MAX_DEVICES);
}

static pid_t spawn(char **cmd, const sigset_t *mask)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	/* Only async-signal-safe calls until exec: the parent has threads. */
	sigprocmask(SIG_SETMASK, mask, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* the devices vanish with us; so should their users */
	if (getppid() != parent)
		_exit(127);
	execvp(cmd[0], cmd);
	{
		static const char msg[] = "usb-emu-run: cannot execute the command\n";

		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(127);
	}
	_exit(127);
}

static void on_sigchld(int sig) { (void)sig; }

/* Wait for the command; forward SIGTERM/SIGINT/SIGHUP and kill it if it ignores them. */
static int wait_child(pid_t pid, const sigset_t *waitset)
{
	uint64_t kill_at = 0;
	int status = 0;

	for (;;) {
		struct timespec ts = { .tv_sec = 1 };
		siginfo_t si;
		int sig;
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			log_err("waitpid: %s", strerror(errno));
			return 1;
		}
		if (kill_at && mono_now_ns() >= kill_at) {
			log_warn("the command ignored the signal; killing it");
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		sig = sigtimedwait(waitset, &si, &ts);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			kill(pid, sig);
			if (!kill_at)
				kill_at = mono_now_ns() + USBEMU_GRACE_NS;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Processes the command left behind may still hold devices open: give them a moment, since
 * their ioctls abort once the testbed is gone. */
static void linger(void)
{
	uint64_t end = mono_now_ns() + USBEMU_GRACE_NS;
	bool busy = true;

	while (mono_now_ns() < end) {
		pthread_mutex_lock(&usbemu.lock);
		clients_sweep();
		busy = usbemu.clients != NULL;
		pthread_mutex_unlock(&usbemu.lock);
		if (!busy)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	log_warn("a process still has an emulated device open; removing the testbed anyway");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "devices", required_argument, NULL, 'n' }, { "state", required_argument, NULL, 's' },
		{ "control", required_argument, NULL, 'c' }, { "frame-us", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },       { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL;
	unsigned long ndevs = 1, frame_us = 0;
	int verbose = 0, opt, status = 1;
	sigset_t waitset, oldmask;
	char *end;
	pid_t pid;

	ensure_preload(argv);
	while ((opt = getopt_long(argc, argv, "+n:s:c:f:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			ndevs = strtoul(optarg, &end, 10);
			if (*end || ndevs < 1 || ndevs > USBEMU_MAX_DEVICES) {
				fprintf(stderr, "usb-emu-run: --devices takes 1..%d\n", USBEMU_MAX_DEVICES);
				return 2;
			}
			break;
		case 's':
			state = optarg;
			break;
		case 'c':
			usbemu.ctl_path = optarg;
			break;
		case 'f':
			frame_us = strtoul(optarg, &end, 10);
			if (*end || frame_us > 1000000) {
				fprintf(stderr, "usb-emu-run: --frame-us takes 0..1000000\n");
				return 2;
			}
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	log_set_sink(usbemu_log_sink);
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	usbemu.frame_ns = (uint64_t)frame_us * 1000u;
	usbemu.next_devnum = 2;

	/* Threads inherit both: umockdev's worker, our control thread. The slack makes the many
	 * short sleeps of umockdev's socket round trips short (50 us by default per wakeup). */
	prctl(PR_SET_TIMERSLACK, 1UL);
	sigemptyset(&waitset);
	sigaddset(&waitset, SIGCHLD);
	sigaddset(&waitset, SIGTERM);
	sigaddset(&waitset, SIGINT);
	sigaddset(&waitset, SIGHUP);
	signal(SIGCHLD, on_sigchld); /* so that a blocked SIGCHLD stays pending */
	pthread_sigmask(SIG_BLOCK, &waitset, &oldmask);

	for (unsigned i = 0; i < ndevs; i++) {
		struct usbemu_dev *d = &usbemu.devs[i];
		char serial[32], *file = NULL;
		struct emu_config cfg = { .serial = serial, .frame_ns = usbemu.frame_ns };
		int ret;

		d->index = i + 1;
		snprintf(serial, sizeof(serial), "%010u", i + 1);
		if (state && i == 0)
			cfg.state_file = state;
		else if (state && asprintf(&file, "%s.%u", state, i + 1) >= 0)
			cfg.state_file = file;
		ret = emu_new(&cfg, &d->emu);
		free(file);
		if (ret < 0) {
			log_err("device %u: cannot create the emulator: %s", i + 1, strerror(-ret));
			goto out_emus;
		}
		usbemu.ndevs++;
		d->t0_ns = mono_now_ns() - emu_now(d->emu);
		if ((ret = emu_attach_spec(d->emu, EMU_DEFAULT_PERIPHERALS)) < 0) {
			log_err("device %u: cannot attach peripherals: %s", i + 1, strerror(-ret));
			goto out_emus;
		}
	}

	/* The testbed exists before anything in the command initialises libusb. */
	usbemu.testbed = umockdev_testbed_new();
	usbemu.root = umockdev_testbed_get_root_dir(usbemu.testbed);
	usbemu.handler = umockdev_ioctl_base_new();
	ioctl_handler_connect(usbemu.handler);
	pthread_mutex_lock(&usbemu.lock);
	for (unsigned i = 0; i < usbemu.ndevs; i++) {
		if (dev_plug(&usbemu.devs[i]) < 0) {
			pthread_mutex_unlock(&usbemu.lock);
			goto out_testbed;
		}
	}
	pthread_mutex_unlock(&usbemu.lock);

	if (ctl_start() < 0)
		goto out_testbed;

	pid = spawn(argv + optind, &oldmask);
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		goto out_testbed;
	}
	status = wait_child(pid, &waitset);
	linger();

out_testbed:
	ctl_stop();
	pthread_mutex_lock(&usbemu.lock);
	usbemu.stopping = true;
	while (usbemu.clients)
		client_drop(usbemu.clients->data);
	pthread_mutex_unlock(&usbemu.lock);
	/* Dropping the testbed removes its directory; our handler goes with it. */
	if (usbemu.testbed)
		g_object_unref(usbemu.testbed);
	if (usbemu.handler)
		g_object_unref(usbemu.handler);
	g_list_free_full(usbemu.nodes, (GDestroyNotify)node_free);
	g_free(usbemu.root);
	ctl_free();
out_emus:
	for (unsigned i = 0; i < usbemu.ndevs; i++)
		emu_free(usbemu.devs[i].emu);
	return status;
}

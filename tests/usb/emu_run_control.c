/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usb-emu-run's control channel (emu_run.h), and the thread that serves it.
 *
 * Control channel (--control FIFO): the harness creates FIFO (and FIFO.reply unless it exists
 * as a FIFO already) and reads commands from it, one per line:
 *   unplug K              remove uevent, pending URBs complete with -ENODEV, later ioctls fail
 *                         with ENODEV, the sysfs device and /dev node disappear (emu_unplug)
 *   replug K              emu_replug, then the device enumerates again with a new address,
 *                         same serial, identity re-read from NVRAM, "add" uevent
 *   power_cycle K         emu_power_cycle (no re-enumeration)
 *   host_died K           drop every client of K as the kernel does when their process dies
 *                         (claims released; a transfer left half done stays in the chip)
 *   input K PIN LEVEL     emu_set_input: drive PIN (0..8) to LEVEL (0/1) from outside
 *   external_master K 1|0 another SPI master asserts (1) or releases (0) the bus release request
 *                         on GP8 (emu_set_external_master): with GP8 in its dedicated function
 *                         it gets the bus once the transaction in progress is over, GP7 (if
 *                         dedicated) acknowledges low, 0x42 answers 0xF7 until it releases
 *   stale K N             N (1 or 2) status requests (0x10) are sent to the chip and nobody
 *                         reads the answers: one waits in its IN buffer, a second OUT in the
 *                         NAKing endpoint (what a program that left mid-exchange leaves behind)
 *   no_answer K N         the chip answers none of the next N requests (emu_fault_arm,
 *                         EMU_FAULT_NO_ANSWER): the host's exchange waits out its timeout
 *   status K              reply "ok plugged=0|1 bus=1 devnum=D driver=usbhid|usbfs|none clients=C
 *                         exchanges=X frames=F spi_bytes=N" (X: OUT reports so far, F: the USB
 *                         frames the frame model gave them, N: bytes the chip clocked on SPI)
 * Every command is processed completely (uevent sent) before its reply line, "ok" or
 * "error: ...", is written to FIFO.reply. A test that needs ordering reads that line:
 *   echo "unplug 1" >"$ctl"; read -r reply <"$ctl.reply"
 * A test that never reads replies may ignore FIFO.reply (replies beyond 64 KiB are dropped).
 *
 * The same thread completes, with --frame-us, the IN URBs whose answer is due at the end of a
 * USB frame (the ioctl thread wakes it through an eventfd when one starts waiting).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/clock.h"
#include "emu_run.h"
#include "util/log.h"

void usbemu_wake(void)
{
	uint64_t one = 1;

	if (usbemu.wake_fd >= 0 && write(usbemu.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("waking the control thread: %s", strerror(errno));
}

/* What the kernel does when the process holding the device dies: its claims and URBs go. We
 * are not always told (a process killed inside an ioctl can leave umockdev's client marked
 * connected), so a test that kills a host says so. */
static void node_drop_clients(struct usbemu_node *n)
{
	GList *l = usbemu.clients;

	while (l) {
		struct usbemu_client *c = l->data;

		l = l->next;
		if (c->node == n)
			client_drop(c);
	}
}

/* Clients of n still connected (a closed one is dropped at the next ioctl: clients_sweep). */
static unsigned clients_count(struct usbemu_node *n)
{
	unsigned k = 0;

	for (GList *l = usbemu.clients; l; l = l->next) {
		struct usbemu_client *c = l->data;

		k += c->node == n && umockdev_ioctl_client_get_connected(c->uc);
	}
	return k;
}

static void ctl_execute(const char *line, char *reply, size_t size)
{
	char cmd[32];
	unsigned k, pin, level;
	int fields = sscanf(line, "%31s %u %u %u", cmd, &k, &pin, &level);
	struct usbemu_dev *d;

	if (fields < 2 || k < 1 || k > usbemu.ndevs) {
		snprintf(reply, size,
			 "error: usage: unplug|replug|power_cycle|host_died|status K, input K PIN LEVEL, "
			 "external_master K 1|0, stale K N (K 1..%u)",
			 usbemu.ndevs);
		return;
	}
	d = &usbemu.devs[k - 1];
	snprintf(reply, size, "ok");
	pthread_mutex_lock(&usbemu.lock);
	clients_sweep();
	if (strcmp(cmd, "unplug") == 0 && fields == 2) {
		if (!d->node)
			snprintf(reply, size, "error: device %u is not plugged in", k);
		else
			dev_unplug(d);
	} else if (strcmp(cmd, "replug") == 0 && fields == 2) {
		if (d->node) {
			snprintf(reply, size, "error: device %u is plugged in", k);
		} else {
			emu_replug(d->emu);
			if (dev_plug(d) < 0)
				snprintf(reply, size, "error: device %u could not be added", k);
		}
	} else if (strcmp(cmd, "host_died") == 0 && fields == 2) {
		if (!d->node)
			snprintf(reply, size, "error: device %u is not plugged in", k);
		else
			node_drop_clients(d->node);
	} else if (strcmp(cmd, "power_cycle") == 0 && fields == 2) {
		dev_catch_up(d);
		emu_power_cycle(d->emu);
	} else if (strcmp(cmd, "input") == 0 && fields == 4) {
		dev_catch_up(d);
		if (level > 1 || emu_set_input(d->emu, pin, level) < 0)
			snprintf(reply, size, "error: bad pin %u or level %u", pin, level);
	} else if (strcmp(cmd, "external_master") == 0 && fields == 3) {
		dev_catch_up(d);
		if (pin > 1)
			snprintf(reply, size, "error: external_master takes 1 or 0, not %u", pin);
		else
			emu_set_external_master(d->emu, pin == 1);
	} else if (strcmp(cmd, "stale") == 0 && fields == 3) {
		mcp2210_report req;
		unsigned n = pin; /* the second number */

		dev_catch_up(d);
		proto_encode_get_status(req);
		if (n < 1 || n > 2)
			snprintf(reply, size, "error: stale: N must be 1 or 2 (answer buffer, waiting OUT)");
		for (unsigned i = 0; i < n && n <= 2; i++)
			if (emu_out(d->emu, req) < 0)
				snprintf(reply, size, "error: stale: the chip did not take request %u", i + 1);
	} else if (strcmp(cmd, "no_answer") == 0 && fields == 3) {
		dev_catch_up(d);
		emu_fault_arm(d->emu, EMU_FAULT_NO_ANSWER, pin); /* pin: the second number, N */
	} else if (strcmp(cmd, "status") == 0 && fields == 2) {
		struct emu_counters c;

		dev_catch_up(d);
		emu_counters_get(d->emu, &c);
		if (d->node)
			snprintf(reply, size,
				 "ok plugged=1 bus=%u devnum=%u driver=%s clients=%u exchanges=%llu frames=%llu spi_bytes=%llu",
				 USBEMU_BUS, d->node->devnum, driver_name(d->node->driver), clients_count(d->node),
				 (unsigned long long)c.exchanges, (unsigned long long)c.frames,
				 (unsigned long long)c.spi_bytes);
		else
			snprintf(reply, size, "ok plugged=0");
	} else {
		snprintf(reply, size, "error: unknown command '%.60s'", line);
	}
	pthread_mutex_unlock(&usbemu.lock);
}

static void ctl_line(const char *line)
{
	char reply[256];
	size_t len;

	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#')
		return;
	ctl_execute(line, reply, sizeof(reply) - 1);
	log_info("control: %s -> %s", line, reply);
	len = strlen(reply);
	reply[len++] = '\n';
	if (write(usbemu.reply_fd, reply, len) != (ssize_t)len)
		log_warn("control reply dropped (nobody reads %s)", usbemu.reply_path);
}

/* The nearest wall time at which a node has an answer due for a waiting IN URB, or 0. */
static uint64_t next_due_locked(void)
{
	uint64_t due = 0;

	for (unsigned i = 0; i < usbemu.ndevs; i++) {
		struct usbemu_node *n = usbemu.devs[i].node;

		if (!n || g_queue_is_empty(&n->in_pending))
			continue;
		node_pump(n);
		if (!g_queue_is_empty(&n->in_pending) && n->in_due_ns > mono_now_ns() &&
		    (!due || n->in_due_ns < due))
			due = n->in_due_ns;
	}
	return due;
}

/* Reads control commands and, with frame timing, completes IN URBs when their frame is over. */
static void *ctl_thread(void *arg)
{
	char buf[1024];
	size_t fill = 0;

	(void)arg;
	while (!atomic_load(&usbemu.stop)) {
		struct pollfd pfd[2] = { { .fd = usbemu.wake_fd, .events = POLLIN }, { .fd = usbemu.ctl_fd, .events = POLLIN } };
		struct timespec ts = { .tv_sec = 1 }; /* bounded, also without deadlines */
		uint64_t due, now, counter;

		pthread_mutex_lock(&usbemu.lock);
		due = next_due_locked();
		pthread_mutex_unlock(&usbemu.lock);
		now = mono_now_ns();
		if (due && due - now < MONO_NS_PER_S)
			ts = ns_timespec(due - now);
		if (ppoll(pfd, usbemu.ctl_fd >= 0 ? 2 : 1, &ts, NULL) < 0 && errno != EINTR) {
			log_err("control thread: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN && read(usbemu.wake_fd, &counter, sizeof(counter)) < 0 && errno != EAGAIN)
			log_warn("control thread: wake: %s", strerror(errno));
		if (usbemu.ctl_fd >= 0 && pfd[1].revents & POLLIN) {
			ssize_t got = read(usbemu.ctl_fd, buf + fill, sizeof(buf) - 1 - fill);
			char *nl;

			if (got > 0)
				fill += (size_t)got;
			buf[fill] = '\0';
			while ((nl = strchr(buf, '\n'))) {
				*nl = '\0';
				ctl_line(buf);
				fill -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, fill + 1);
			}
			if (fill == sizeof(buf) - 1) { /* a line that long is no command */
				log_warn("control: overlong line dropped");
				fill = 0;
			}
		}
	}
	return NULL;
}

static int ctl_open_fifo(const char *path, bool *made)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0) {
		if (!S_ISFIFO(st.st_mode)) {
			log_err("%s exists and is not a FIFO", path);
			return -EEXIST;
		}
	} else if (mkfifo(path, 0600) < 0) {
		int err = errno;

		log_err("cannot create FIFO %s: %s", path, strerror(err));
		return -err;
	} else {
		*made = true;
	}
	/* Read-write: the FIFO never reports end-of-file when a writer closes, and replies can be
	 * written before a reader opens it. */
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		log_err("cannot open FIFO %s: %s", path, strerror(err));
		return -err;
	}
	return fd;
}

int ctl_start(void)
{
	int ret;

	usbemu.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (usbemu.wake_fd < 0) {
		ret = -errno;
		log_err("eventfd: %s", strerror(-ret));
		return ret;
	}
	if (usbemu.ctl_path) {
		if (asprintf(&usbemu.reply_path, "%s.reply", usbemu.ctl_path) < 0) {
			usbemu.reply_path = NULL;
			return -ENOMEM;
		}
		if ((usbemu.ctl_fd = ctl_open_fifo(usbemu.ctl_path, &usbemu.made_ctl)) < 0)
			return usbemu.ctl_fd;
		if ((usbemu.reply_fd = ctl_open_fifo(usbemu.reply_path, &usbemu.made_reply)) < 0)
			return usbemu.reply_fd;
	}
	ret = pthread_create(&usbemu.thread, NULL, ctl_thread, NULL);
	if (ret != 0) {
		log_err("cannot start the control thread");
		return -ret;
	}
	usbemu.thread_started = true;
	return 0;
}

void ctl_stop(void)
{
	if (!usbemu.thread_started)
		return;
	atomic_store(&usbemu.stop, true);
	usbemu_wake();
	pthread_join(usbemu.thread, NULL);
	usbemu.thread_started = false;
}

void ctl_free(void)
{
	if (usbemu.ctl_fd >= 0)
		close(usbemu.ctl_fd);
	if (usbemu.reply_fd >= 0)
		close(usbemu.reply_fd);
	if (usbemu.wake_fd >= 0)
		close(usbemu.wake_fd);
	usbemu.ctl_fd = usbemu.reply_fd = usbemu.wake_fd = -1;
	if (usbemu.made_ctl)
		unlink(usbemu.ctl_path);
	if (usbemu.made_reply)
		unlink(usbemu.reply_path);
	free(usbemu.reply_path);
	usbemu.reply_path = NULL;
}

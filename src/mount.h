/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One mounted device: its options, its transport, the worker thread that owns the device
 * state, and the way FUSE threads run work on that thread (mount_run), honouring FUSE
 * interrupts and a deadline.
 */
#ifndef MCP2210FS_MOUNT_H
#define MCP2210FS_MOUNT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "proto/proto.h"
#include "transport.h"
#include "worker.h"

struct emu;

struct mount_options {
	int emulate;          /* --emulate given */
	char *state_file;     /* --emulate=FILE */
	char *peripherals;    /* -o peripherals= */
	unsigned emu_frame_us;
	char *serial;         /* -o serial=: the device to use, or the emulated chip's serial */
	char *device;         /* -o device=BUS:ADDR, as given */
	char *vid_arg, *pid_arg;
	uint16_t vid, pid;    /* parsed from the above; factory values by default */
	int bus, address;     /* parsed from device=; -1 when not given */
	int exit_on_unplug;
	unsigned timeout_ms;
	unsigned poll_interval_ms;
	int nvram_rw;
	int allow_permanent_lock;
	char *password_file;
	/* Its password, read before daemonising; mount_start() hands it to the device and wipes
	 * this copy. */
	char password[MCP2210_PASSWORD_LEN];
	bool have_password;
	int list;
	char *group;     /* -o gid=GROUP: name or number */
	char *trace_file; /* -o trace=FILE */
	long gid;        /* resolved, -1 for none */
	int source_seen; /* positional arguments seen (fstab source, then mount point) */
	int show_help;
	int show_version;
	char *emu_frame_us_arg, *timeout_arg, *poll_interval_arg; /* as given; parsed by text_number */
};

/* The last shared read (mount_run_shared) on the worker: jobs of the same batch take it. */
struct mount_share {
	bool valid;
	uint64_t batch;
	uintptr_t key;
	size_t size; /* bytes of out */
	int ret;
	unsigned char out[64];
};

/* How the daemon drives the chip, fixed before mount_start() and never by an option. */
enum mount_policy {
	MOUNT_OPTIMISED, /* mcp2210fs: IN submitted before OUT, the cache, coalescing */
	MOUNT_NAIVE,     /* the benchmark's baseline (bench/naive.c), what other drivers do: OUT before
			  * IN, nothing cached (SPI settings sent before every transaction), no coalescing */
};

struct mount {
	struct mount_options opt;
	enum mount_policy policy;
	struct emu *emu; /* the emulated chip with --emulate (the transport is then the emulator's), else NULL */
	struct transport *transport;
	struct transport *trace; /* -o trace: wraps transport; the device talks through it */
	struct worker *worker;

	/* A thread that notices the device going and brings it back when it returns (or calls
	 * on_unplug with -o exit_on_unplug), through the transport's table. */
	pthread_t monitor;
	bool monitor_started;
	_Atomic bool monitor_stop;
	void (*on_unplug)(struct mount *m); /* set before mount_start; any thread */

	/* Worker thread only: */
	struct device dev; /* the chip's state: caches, the NVRAM password */
	struct mount_share share;
	_Atomic bool changed; /* mount_changed(): invalidate before the next call */

	/* gpio/N/edge: which changes of a pin wake poll() on its value (enum mount_edge). */
	_Atomic unsigned char edge[MCP2210_PIN_COUNT];
	/* gpio/N/active_low: value reads and writes, and the rising/falling sense of edge, are
	 * inverted (sysfs GPIO ABI). Host-side only: kept for the mount's life (power cycles and
	 * replugs included), never written to the chip or a file. */
	_Atomic bool active_low[MCP2210_PIN_COUNT];

	/* spi/xfer: received bytes waiting unread in all open files together (fs_attr_spi.c) */
	_Atomic size_t xfer_held;
};

enum mount_edge { MOUNT_EDGE_NONE, MOUNT_EDGE_RISING, MOUNT_EDGE_FALLING, MOUNT_EDGE_BOTH };

/* A piece of work for the worker thread: runs with exclusive use of the device. */
typedef int (*mount_fn)(struct mount *m, void *arg);

#define MOUNT_DEADLINE_MS 30000u /* how long a job may run (and a mount_run() caller wait) */

/* Run fn(m, arg) with the device and return its result. On the worker thread (inside a job
 * the fs layer queued) it runs at once as part of that job; from other threads (start-up,
 * poll sampling, the device monitor) it is queued and waited for, at most MOUNT_DEADLINE_MS.
 * Never from a FUSE thread: those queue their requests with mount_queue(). */
int mount_run(struct mount *m, mount_fn fn, void *arg);
/* Same with a longer deadline (ms) of its own: a long SPI transaction extends the job it
 * runs in. */
int mount_run_for(struct mount *m, mount_fn fn, void *arg, unsigned deadline_ms);
/* A read that changes nothing, with commands the chip answers during an SPI transaction:
 * requests with the same key queued at the same time run it once (out_size bytes at arg,
 * at most 64, are shared), and it may run in a long transaction's idle time. */
int mount_run_shared(struct mount *m, uintptr_t key, mount_fn fn, void *arg, size_t out_size);
/* As mount_run(), also while the device is gone (when every other call fails with -ENODEV
 * before fn runs): for what works on a gone device, such as the emulator's power switch. */
int mount_run_offline(struct mount *m, mount_fn fn, void *arg);

/* The calling thread serves a FUSE request itself (on: a file with fs_node_ops.local) or no
 * longer does: mount_run() then asserts, since a FUSE thread never waits for the chip. */
void mount_serving_fuse(bool on);

/* Queue a FUSE request's job (worker_submit): its done() replies. run_ms 0 becomes
 * MOUNT_DEADLINE_MS. 0, or -errno when it was not queued (-EBUSY, -EINTR, -ECONNABORTED
 * while stopping, -ENODEV). */
int mount_queue(struct mount *m, struct worker_job *job);
/* An interrupted request: a queued job is withdrawn (its done() runs now, with -EINTR); a
 * running one is asked to stop, and an exchange waiting for a lost answer ends at once. */
enum worker_cancel_result mount_cancel(struct mount *m, struct worker_job *job);
/* Stopping (any thread): every queued or running job ends with err (-ECONNABORTED), and an
 * exchange waiting for a lost answer ends now. */
void mount_cancel_all(struct mount *m, int err);

/* Drop every cached value, the EEPROM's included (power cycle, replug). Worker thread only. */
void mount_invalidate(struct mount *m);
/* Any thread: the chip changed behind the worker (an emulated replug): every cached value is
 * dropped before the next call runs. */
void mount_changed(struct mount *m);

/* The USB identity the device enumerated with (descriptors read at open, or the emulated
 * chip's as of its last enumeration): never the NVRAM values still to come. Any thread. */
void mount_identity(struct mount *m, struct transport_identity *id);

/* Unplugged: the USB device went away, or the emulated chip was unplugged. Any thread. */
bool mount_gone(struct mount *m);

/* Open the device the options select (or create the emulated chip), start the worker.
 * Call after daemonising: libusb starts threads. 0, or -errno with the reason logged. */
int mount_start(struct mount *m);
void mount_stop(struct mount *m);

/* mcp2210fs --list: print the attached devices with the selected VID:PID. 0 or -errno. */
int mount_list(const struct mount_options *opt);

#endif

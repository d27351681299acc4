/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usb-emu-run (tests/usb-emu-run): what its four parts share.
 *
 *   emu_run.c          the program's lifecycle: options, the emulators, the testbed, running
 *                      the command and tearing everything down (usage in its opening comment)
 *   emu_run_ioctl.c    the usbdevfs ioctl handler umockdev calls: URBs, control requests on
 *                      endpoint 0, interface claims, the node's readiness for poll()
 *   emu_run_plug.c     plugging and unplugging: descriptors, the sysfs record, the /dev node
 *   emu_run_control.c  the control FIFO (its commands are listed there) and the thread that
 *                      reads it and completes IN URBs at the end of their USB frame
 *
 * Everything in struct usbemu_state but the configuration is guarded by usbemu.lock, taken by
 * umockdev's ioctl thread, the control thread and main; lock order: usbemu.lock, then an
 * emulator's own lock. Functions named *_locked, and all those below unless said otherwise,
 * are called with usbemu.lock held.
 */
#ifndef MCP2210FS_TESTS_USB_EMU_RUN_H
#define MCP2210FS_TESTS_USB_EMU_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <umockdev.h>

#include "emu/emu.h"
#include "proto/proto.h"

#define USBEMU_MAX_DEVICES 16
#define USBEMU_BUS 1

/* ---- USB descriptors of an MCP2210 -------------------------------------------------------- */

#define USBEMU_EP_OUT 0x01
#define USBEMU_EP_IN 0x81
#define USBEMU_CONFIG_LEN (9 + 9 + 9 + 7 + 7)

/* Vendor-defined HID collection with one 64-byte input and one 64-byte output report, no
 * report IDs: what hidapi and the kernel's usbhid expect from the chip. Its length goes into
 * the HID descriptor at plugging; the ioctl handler serves it. */
static const uint8_t usbemu_report_desc[] = {
	0x06, 0x00, 0xFF, /* Usage Page (Vendor 0xFF00) */
	0x09, 0x01,       /* Usage (1) */
	0xA1, 0x01,       /* Collection (Application) */
	0x19, 0x01,       /*   Usage Minimum (1) */
	0x29, 0x40,       /*   Usage Maximum (64) */
	0x15, 0x00,       /*   Logical Minimum (0) */
	0x26, 0xFF, 0x00, /*   Logical Maximum (255) */
	0x75, 0x08,       /*   Report Size (8) */
	0x95, 0x40,       /*   Report Count (64) */
	0x81, 0x00,       /*   Input (Data, Array, Absolute) */
	0x19, 0x01,       /*   Usage Minimum (1) */
	0x29, 0x40,       /*   Usage Maximum (64) */
	0x91, 0x00,       /*   Output (Data, Array, Absolute) */
	0xC0,             /* End Collection */
};

/* ---- state -------------------------------------------------------------------------------- */

enum usbemu_driver { USBEMU_DRV_NONE, USBEMU_DRV_USBHID, USBEMU_DRV_USBFS };

struct usbemu_dev;
struct usbemu_client;
struct usbemu_urb; /* one submitted URB: the ioctl handler's own (emu_run_ioctl.c) */

/* One enumeration of a device: an address, a sysfs directory and a /dev node. It outlives an
 * unplug as long as clients still hold the node open (they then get ENODEV). */
struct usbemu_node {
	struct usbemu_dev *dev;
	unsigned devnum;
	char devnode[32]; /* /dev/bus/usb/001/002 */
	char syspath[96]; /* /sys/devices/.../1-1 */
	int fifo;         /* our end of the FIFO that is the /dev node */
	bool ready;       /* FIFO empty: clients see POLLOUT, i.e. "URBs to reap" */
	bool gone;
	unsigned reapable; /* completed, unreaped URBs of all clients */
	enum usbemu_driver driver;
	struct usbemu_client *claimer; /* usbfs client owning interface 0 */
	GQueue in_pending;             /* interrupt IN URBs waiting for an answer, oldest first */
	uint64_t in_due_ns;            /* with frames: no answer is reaped before this wall time */
	/* What enumeration read from NVRAM: served for as long as this node exists. */
	uint8_t descriptors[18 + USBEMU_CONFIG_LEN];
	uint8_t strings[4][2 + 2 * 32];
	bool self_powered;
};

/* One open() of a node, i.e. one umockdev ioctl connection. */
struct usbemu_client {
	UMockdevIoctlClient *uc;
	struct usbemu_node *node;
	GQueue urbs; /* every unreaped URB, submit order */
	GQueue done; /* completed, unreaped, completion order */
};

struct usbemu_dev {
	unsigned index; /* K, 1-based */
	struct emu *emu;
	uint64_t t0_ns; /* wall clock at the emulator's virtual time 0 */
	struct usbemu_node *node; /* NULL while unplugged */
};

struct usbemu_state {
	/* Protects everything below except the immutable configuration, and our ends of the node
	 * FIFOs (see the opening comment). */
	pthread_mutex_t lock;
	UMockdevTestbed *testbed;
	UMockdevIoctlBase *handler;
	char *root; /* testbed root directory */
	struct usbemu_dev devs[USBEMU_MAX_DEVICES];
	unsigned ndevs;
	GList *nodes;   /* every node ever created, freed at exit */
	GList *clients; /* connected clients */
	bool devnum_used[128];
	unsigned next_devnum;
	bool stopping;

	/* configuration */
	uint64_t frame_ns;

	/* control channel */
	const char *ctl_path;
	char *reply_path;
	bool made_ctl, made_reply;
	int ctl_fd, reply_fd, wake_fd;
	pthread_t thread;
	bool thread_started;
	_Atomic bool stop;
};

/* The one instance (emu_run.c). */
extern struct usbemu_state usbemu;

/* ---- the ioctl handler (emu_run_ioctl.c) --------------------------------------------------- */

/* Connect the handler's signals: ioctls and new clients of every node it is attached to.
 * At start, without the lock. */
void ioctl_handler_connect(UMockdevIoctlBase *handler);
/* Whether clients see the node ready (POLLOUT: URBs to reap); see the FIFO trick there. */
void node_set_ready(struct usbemu_node *n, bool ready);
void node_update_ready(struct usbemu_node *n);
/* Complete u with status (0 or -errno) and actual bytes: its client may now reap it. */
void urb_complete(struct usbemu_urb *u, int status, int actual);
/* Bring d's virtual clock up to the wall clock (emu_follow). */
void dev_catch_up(struct usbemu_dev *d);
/* Hand the chip's queued answers to n's waiting IN URBs, oldest first, as far as their
 * frames are over. */
void node_pump(struct usbemu_node *n);
/* "usbhid", "usbfs" or "none", as USBDEVFS_GETDRIVER names them. */
const char *driver_name(enum usbemu_driver drv);
/* Forget c as usbfs's release() does: its URBs and its claim go. */
void client_drop(struct usbemu_client *c);
/* Drop the clients whose fd umockdev saw closed. */
void clients_sweep(void);

/* ---- plugging (emu_run_plug.c) -------------------------------------------------------------- */

/* Enumerate d: sysfs directory, FIFO /dev node, ioctl handler, "add" uevent. 0, -ENOMEM,
 * -ENOSPC (no free address) or -EIO (umockdev refused; logged). */
int dev_plug(struct usbemu_dev *d);
/* Pull the cable: URBs in flight fail with -ENODEV, the device leaves sysfs and /dev. */
void dev_unplug(struct usbemu_dev *d);
/* At exit, without the lock. */
void node_free(struct usbemu_node *n);

/* ---- the control channel (emu_run_control.c), all without the lock ------------------------ */

/* Wake the control thread: an IN URB waits for the end of its frame (any thread). */
void usbemu_wake(void);
/* Make the wake eventfd, the control FIFO and its reply FIFO (with --control), and start the
 * control thread. 0 or -errno (logged). */
int ctl_start(void);
/* Stop and join the control thread, if it runs. */
void ctl_stop(void);
/* Close what ctl_start() opened, remove the FIFOs it made; after the testbed is gone, as the
 * ioctl thread wakes the control thread through the eventfd. */
void ctl_free(void);

#endif

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
 *   status K              reply "ok plugged=0|1 bus=1 devnum=D driver=usbhid|usbfs|none clients=C
 *                         exchanges=X frames=F spi_bytes=N" (X: OUT reports so far, F: the USB
 *                         frames the frame model gave them, N: bytes the chip clocked on SPI)
 * Every command is processed completely (uevent sent) before its reply line, "ok" or
 * "error: ...", is written to FIFO.reply. A test that needs ordering reads that line:
 *   echo "unplug 1" >"$ctl"; read -r reply <"$ctl.reply"
 * A test that never reads replies may ignore FIFO.reply (replies beyond 64 KiB are dropped).
 *
 * Inside, any libusb-1.0 program (hidapi-libusb too, not hidapi-hidraw) works unmodified as
 * long as it starts after the testbed (it does: it is the command) and runs in the foreground
 * or at least exits within 5 s after the command: the testbed's sockets go with us, and
 * umockdev's preload aborts a process whose device ioctls lose them. /sys and the /dev/bus/usb
 * tree are the testbed's; other /dev nodes (/dev/fuse, /dev/null) are the real ones.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/usbdevice_fs.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <umockdev.h>

#include "emu/emu.h"
#include "log.h"
#include "proto.h"

#define USBEMU_MAX_DEVICES 16
#define USBEMU_BUS 1
#define USBEMU_MAX_URB_BYTES 4096
#define USBEMU_PRELOAD_LIB "libumockdev-preload.so.0"
#define USBEMU_REEXEC_ENV "USB_EMU_RUN_REEXEC"
/* After SIGTERM the command gets this long before SIGKILL; after it exits, processes it left
 * behind (a daemonised child) get this long to close the devices before the testbed goes. */
#define USBEMU_GRACE_NS 5000000000ull

/* ---- USB descriptors of an MCP2210 -------------------------------------------------------- */

#define USBEMU_EP_OUT 0x01
#define USBEMU_EP_IN 0x81
#define USBEMU_CONFIG_LEN (9 + 9 + 9 + 7 + 7)

/* Vendor-defined HID collection with one 64-byte input and one 64-byte output report, no
 * report IDs: what hidapi and the kernel's usbhid expect from the chip. */
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

/* One submitted URB, from SUBMITURB until it is reaped (or its client goes). */
struct usbemu_urb {
	struct usbemu_client *owner;
	UMockdevIoctlData *data; /* the client's struct usbdevfs_urb, resolved at submit */
	UMockdevIoctlData *buf;  /* its buffer (NULL when empty) */
	unsigned long uaddr;     /* client address of the struct: DISCARDURB names it so */
	uint8_t type, endpoint;
	int length;
	bool done;
	int status, actual;
};

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

static struct {
	/* Protects everything below except the immutable configuration, and our ends of the node
	 * FIFOs. Taken by umockdev's ioctl thread, the control thread and main; lock order:
	 * this, then an emulator's own lock. */
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
} usbemu = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ctl_fd = -1,
	.reply_fd = -1,
	.wake_fd = -1,
};

static uint64_t usbemu_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usbemu_log_sink(enum log_level level, const char *msg)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };

	fprintf(stderr, "usb-emu-run: %s: %s\n", prefix[level], msg);
}

static void usbemu_wake(void)
{
	uint64_t one = 1;

	if (usbemu.wake_fd >= 0 && write(usbemu.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("waking the control thread: %s", strerror(errno));
}

/* ---- readiness of a node: the FIFO trick -------------------------------------------------- */

/*
 * libusb polls a usbfs fd for POLLOUT, which the kernel raises while completed URBs wait to be
 * reaped. umockdev forwards ioctls but not poll(), and its default /dev node is a regular file,
 * which polls always-ready: libusb would spin on REAPURBNDELAY. So each node is a FIFO shrunk
 * to one page; one byte in it fills its only slot (no POLLOUT), an empty FIFO is writable
 * (POLLOUT). Clients never read or write it: umockdev routes their read()/write() to us.
 */
static void node_set_ready(struct usbemu_node *n, bool ready)
{
	char byte = 0;

	if (n->fifo < 0 || n->ready == ready)
		return;
	if (ready ? read(n->fifo, &byte, 1) != 1 : write(n->fifo, &byte, 1) != 1)
		log_warn("%s: cannot switch readiness: %s", n->devnode, strerror(errno));
	n->ready = ready;
}

static void node_update_ready(struct usbemu_node *n) { node_set_ready(n, n->reapable > 0); }

/* ---- URBs ----------------------------------------------------------------------------------- */

static void urb_free(struct usbemu_urb *u)
{
	if (u->buf)
		g_object_unref(u->buf);
	if (u->data)
		g_object_unref(u->data);
	free(u);
}

static void urb_complete(struct usbemu_urb *u, int status, int actual)
{
	struct usbemu_node *n = u->owner->node;

	u->done = true;
	u->status = status;
	u->actual = actual;
	g_queue_push_tail(&u->owner->done, u);
	n->reapable++;
	node_update_ready(n);
	log_debug("%s: URB ep 0x%02x done, status %d, %d bytes", n->devnode, u->endpoint, status, actual);
}

/* The IN data area of a URB: after the setup packet for control transfers. */
static uint8_t *urb_in_data(struct usbemu_urb *u)
{
	if (!u->buf)
		return NULL;
	return u->buf->data + (u->type == USBDEVFS_URB_TYPE_CONTROL ? 8 : 0);
}

/* Bring the chip's virtual clock up to the wall clock, the way the in-process transport does
 * (emu_follow: one model). Without frames the clock still follows the wall: a flash erase must
 * end some time. */
static void dev_catch_up(struct usbemu_dev *d) { emu_follow(d->emu, usbemu_mono_ns() - d->t0_ns); }

/* Hand the chip's queued answers to waiting IN URBs, oldest first. */
static void node_pump(struct usbemu_node *n)
{
	mcp2210_report resp;

	while (!n->gone && !g_queue_is_empty(&n->in_pending)) {
		struct usbemu_urb *u;
		int len;

		if (usbemu.frame_ns && usbemu_mono_ns() < n->in_due_ns)
			return; /* the control thread completes it when the frame is over */
		if (emu_in(n->dev->emu, resp) != 0)
			return;
		u = g_queue_pop_head(&n->in_pending);
		len = u->length < MCP2210_REPORT_SIZE ? u->length : MCP2210_REPORT_SIZE;
		if (len > 0)
			memcpy(urb_in_data(u), resp, (size_t)len);
		/* A buffer shorter than the report: the host controller reports babble. */
		urb_complete(u, u->length < MCP2210_REPORT_SIZE ? -EOVERFLOW : 0, len);
	}
}

/* From the ioctl thread: pump, and let the control thread watch a deadline still ahead. */
static void node_pump_wake(struct usbemu_node *n)
{
	node_pump(n);
	if (usbemu.frame_ns && !g_queue_is_empty(&n->in_pending))
		usbemu_wake();
}

/* One OUT report to the chip, in the emulator's own frame model (emu_out_framed, the code of
 * the in-process emu_exchange): when an IN URB is already waiting, the answer is due at the end
 * of the frame that carries the OUT (one frame per exchange); when the client submits its IN
 * only after this OUT completed, one frame later (two). The OUT URB itself completes at once. */
static int node_out(struct usbemu_node *n, const uint8_t *data, size_t len)
{
	struct usbemu_dev *d = n->dev;
	enum emu_order order = g_queue_is_empty(&n->in_pending) ? EMU_OUT_FIRST : EMU_IN_FIRST;
	mcp2210_report req;
	uint64_t answer_ns = 0;
	int ret;

	memset(req, 0, sizeof(req));
	memcpy(req, data, len < sizeof(req) ? len : sizeof(req));
	dev_catch_up(d);
	ret = emu_out_framed(d->emu, req, order, &answer_ns);
	if (usbemu.frame_ns && d->t0_ns + answer_ns > n->in_due_ns)
		n->in_due_ns = d->t0_ns + answer_ns;
	log_debug("%s: OUT report 0x%02x -> %d", n->devnode, req[0], ret);
	return ret;
}

/* ---- interface 0 ownership, as usbfs's claimintf()/checkintf() ------------------------------ */

static int intf_claim(struct usbemu_client *c, unsigned ifnum)
{
	struct usbemu_node *n = c->node;

	if (ifnum != 0)
		return -ENOENT;
	if (n->driver == USBEMU_DRV_USBFS && n->claimer == c)
		return 0;
	if (n->driver != USBEMU_DRV_NONE)
		return -EBUSY;
	n->driver = USBEMU_DRV_USBFS;
	n->claimer = c;
	return 0;
}

static int intf_release(struct usbemu_client *c, unsigned ifnum)
{
	struct usbemu_node *n = c->node;

	if (ifnum != 0 || n->driver != USBEMU_DRV_USBFS || n->claimer != c)
		return -EINVAL;
	/* As in the kernel, releasing does not bring usbhid back; USBDEVFS_CONNECT does. */
	n->driver = USBEMU_DRV_NONE;
	n->claimer = NULL;
	return 0;
}

/* usbfs's checkintf(): using an interface claims it implicitly, if nobody else has it. */
static int intf_check(struct usbemu_client *c, unsigned ifnum) { return intf_claim(c, ifnum); }

static const char *driver_name(enum usbemu_driver drv)
{
	return drv == USBEMU_DRV_USBHID ? "usbhid" : drv == USBEMU_DRV_USBFS ? "usbfs" : "none";
}

/* ---- control requests on endpoint 0 --------------------------------------------------------- */

static int ctrl_reply(uint8_t *data, unsigned wlength, const uint8_t *src, unsigned len)
{
	/* Answers are cut to the wLength asked: libusb asks for 4 bytes of string 0 first. */
	unsigned n = len < wlength ? len : wlength;

	memcpy(data, src, n);
	return (int)n;
}

/*
 * One control request. setup is the 8-byte setup packet, data the wLength bytes of the data
 * stage (filled for OUT, to fill for IN). Returns the data-stage length, -EPIPE for a stall,
 * or -errno before the request reaches the device (interface not claimable).
 */
static int ctrl_request(struct usbemu_client *c, const uint8_t setup[8], uint8_t *data)
{
	struct usbemu_node *n = c->node;
	uint8_t type = setup[0], req = setup[1];
	unsigned value = setup[2] | setup[3] << 8, index = setup[4] | setup[5] << 8,
		 wlength = setup[6] | setup[7] << 8;
	uint8_t tmp[2] = { 0, 0 };
	int ret;

	/* usbfs's check_ctrlrecip(): interface requests need the interface. */
	if ((type & 0x60) != 0x40 && (type & 0x1F) == 0x01 && (ret = intf_check(c, index & 0xFF)) < 0)
		return ret;

	switch (type << 8 | req) {
	case 0x8006: /* GET_DESCRIPTOR (device) */
		switch (value >> 8) {
		case 0x01:
			return ctrl_reply(data, wlength, n->descriptors, 18);
		case 0x02:
			if ((value & 0xFF) != 0)
				return -EPIPE;
			return ctrl_reply(data, wlength, n->descriptors + 18, USBEMU_CONFIG_LEN);
		case 0x03:
			if ((value & 0xFF) > 3)
				return -EPIPE;
			return ctrl_reply(data, wlength, n->strings[value & 0xFF], n->strings[value & 0xFF][0]);
		default: /* device qualifier and the rest: a full-speed-only device stalls */
			return -EPIPE;
		}
	case 0x8106: /* GET_DESCRIPTOR (interface): HID class descriptors */
		if (index != 0)
			return -EPIPE;
		if (value >> 8 == 0x22)
			return ctrl_reply(data, wlength, usbemu_report_desc, sizeof(usbemu_report_desc));
		if (value >> 8 == 0x21)
			return ctrl_reply(data, wlength, n->descriptors + 18 + 9 + 9, 9);
		return -EPIPE;
	case 0x8000: /* GET_STATUS (device) */
		tmp[0] = n->self_powered ? 1 : 0;
		return ctrl_reply(data, wlength, tmp, 2);
	case 0x8100: /* GET_STATUS (interface) */
	case 0x8200: /* GET_STATUS (endpoint) */
		return ctrl_reply(data, wlength, tmp, 2);
	case 0x8008: /* GET_CONFIGURATION */
		tmp[0] = 1;
		return ctrl_reply(data, wlength, tmp, 1);
	case 0x810A: /* GET_INTERFACE */
		return ctrl_reply(data, wlength, tmp, 1);
	case 0x0009: /* SET_CONFIGURATION */
		return value <= 1 ? 0 : -EPIPE;
	case 0x010B: /* SET_INTERFACE */
		return value == 0 && index == 0 ? 0 : -EPIPE;
	case 0x0001: /* CLEAR_FEATURE / SET_FEATURE (device, endpoint) */
	case 0x0003:
	case 0x0201:
	case 0x0203:
		return 0;
	case 0x210A: /* HID SET_IDLE */
		return 0;
	case 0xA102: /* HID GET_IDLE */
		return ctrl_reply(data, wlength, tmp, 1);
	case 0x2109: /* HID SET_REPORT: an output report is an OUT report by another road */
		if (value >> 8 != 0x02 || wlength == 0)
			return -EPIPE;
		if (node_out(n, data, wlength) < 0)
			return -EPIPE;
		node_pump_wake(n);
		return (int)wlength;
	case 0xA101: { /* HID GET_REPORT (input): the oldest queued answer, if any */
		mcp2210_report resp;

		if (value >> 8 != 0x01 || emu_in(n->dev->emu, resp) != 0)
			return -EPIPE;
		return ctrl_reply(data, wlength, resp, sizeof(resp));
	}
	default:
		return -EPIPE;
	}
}

/* ---- the ioctl handler (runs in umockdev's worker thread) ---------------------------------- */

static struct usbemu_node *node_by_devnode(const char *devnode)
{
	for (GList *l = usbemu.nodes; l; l = l->next) {
		struct usbemu_node *n = l->data;

		if (strcmp(n->devnode, devnode) == 0 && !n->gone)
			return n;
	}
	for (GList *l = usbemu.nodes; l; l = l->next) { /* an old client of an unplugged node */
		struct usbemu_node *n = l->data;

		if (strcmp(n->devnode, devnode) == 0)
			return n;
	}
	return NULL;
}

static struct usbemu_client *client_find(UMockdevIoctlClient *uc)
{
	for (GList *l = usbemu.clients; l; l = l->next) {
		struct usbemu_client *c = l->data;

		if (c->uc == uc)
			return c;
	}
	return NULL;
}

/* Closing the fd (or the process ending) releases everything, as usbfs's release(). */
static void client_drop(struct usbemu_client *c)
{
	struct usbemu_node *n = c->node;
	struct usbemu_urb *u;

	while ((u = g_queue_pop_head(&c->urbs))) {
		if (u->done)
			n->reapable--;
		else
			g_queue_remove(&n->in_pending, u);
		urb_free(u);
	}
	g_queue_clear(&c->done);
	node_update_ready(n);
	if (n->claimer == c) {
		n->claimer = NULL;
		n->driver = USBEMU_DRV_NONE;
		/* Its host is gone: a transfer it left half done stays stuck in the chip. */
		emu_host_vanished(n->dev->emu);
	}
	usbemu.clients = g_list_remove(usbemu.clients, c);
	log_debug("%s: client closed", n->devnode);
	g_object_unref(c->uc);
	free(c);
}

/* umockdev (0.17) emits no signal when a client closes its fd; its "connected" property just
 * turns false once the worker thread saw the socket's end. So look before each use. */
static void clients_sweep(void)
{
	GList *l = usbemu.clients;

	while (l) {
		struct usbemu_client *c = l->data;

		l = l->next;
		if (!umockdev_ioctl_client_get_connected(c->uc))
			client_drop(c);
	}
}

static void on_client_connected(UMockdevIoctlBase *base, UMockdevIoctlClient *uc, gpointer user)
{
	struct usbemu_client *c;
	struct usbemu_node *n;

	(void)base;
	(void)user;
	pthread_mutex_lock(&usbemu.lock);
	n = node_by_devnode(umockdev_ioctl_client_get_devnode(uc));
	c = n ? calloc(1, sizeof(*c)) : NULL;
	if (c) {
		c->uc = g_object_ref(uc);
		c->node = n;
		g_queue_init(&c->urbs);
		g_queue_init(&c->done);
		usbemu.clients = g_list_prepend(usbemu.clients, c);
		log_debug("%s: client opened", n->devnode);
	}
	pthread_mutex_unlock(&usbemu.lock);
}

/* Resolve the ioctl argument as a pointer to len bytes; NULL (and *err set) on failure. */
static UMockdevIoctlData *arg_resolve(UMockdevIoctlClient *uc, size_t len, int *err)
{
	GError *gerr = NULL;
	UMockdevIoctlData *d = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(uc), 0, len, &gerr);

	if (!d) {
		log_warn("cannot read ioctl argument: %s", gerr ? gerr->message : "null pointer");
		g_clear_error(&gerr);
		*err = -EFAULT;
	}
	return d;
}

static unsigned long arg_value(UMockdevIoctlClient *uc)
{
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(uc);
	unsigned long v = 0;

	memcpy(&v, arg->data, sizeof(v) <= (size_t)arg->data_len ? sizeof(v) : (size_t)arg->data_len);
	return v;
}

static int ioctl_submiturb(struct usbemu_client *c, UMockdevIoctlClient *uc)
{
	struct usbemu_node *n = c->node;
	struct usbemu_urb *u;
	struct usbdevfs_urb *k;
	GError *gerr = NULL;
	int ret = 0;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->owner = c;
	/* Reading the client's memory is a round trip to it, made with the lock held: the client
	 * is blocked in this ioctl and answers it from the calling thread, never needing us. */
	u->data = arg_resolve(uc, sizeof(struct usbdevfs_urb), &ret);
	if (u->data) {
		k = (struct usbdevfs_urb *)u->data->data;
		u->uaddr = u->data->client_addr;
		u->type = k->type;
		u->endpoint = k->endpoint;
		u->length = k->buffer_length;
		if (u->length < 0 || u->length > USBEMU_MAX_URB_BYTES)
			ret = -EINVAL;
		else if (u->length > 0) {
			u->buf = umockdev_ioctl_data_resolve(u->data, offsetof(struct usbdevfs_urb, buffer),
							     (size_t)u->length, &gerr);
			if (!u->buf) {
				g_clear_error(&gerr);
				ret = -EFAULT;
			}
		}
	}
	if (ret < 0)
		goto err;
	if (n->gone) {
		ret = -ENODEV;
		goto err;
	}

	switch (u->type) {
	case USBDEVFS_URB_TYPE_CONTROL: {
		unsigned wlength;

		if (u->endpoint != 0 || u->length < 8) {
			ret = -EINVAL;
			goto err;
		}
		wlength = u->buf->data[6] | u->buf->data[7] << 8;
		if (wlength > (unsigned)u->length - 8) {
			ret = -EINVAL;
			goto err;
		}
		ret = ctrl_request(c, u->buf->data, u->buf->data + 8);
		if (ret < 0 && ret != -EPIPE)
			goto err; /* refused at submit, as usbfs does */
		g_queue_push_tail(&c->urbs, u);
		urb_complete(u, ret < 0 ? ret : 0, ret < 0 ? 0 : ret);
		return 0;
	}
	case USBDEVFS_URB_TYPE_BULK: /* usbfs turns bulk on an interrupt endpoint into interrupt */
	case USBDEVFS_URB_TYPE_INTERRUPT:
		if (u->endpoint != USBEMU_EP_IN && u->endpoint != USBEMU_EP_OUT) {
			ret = -ENOENT;
			goto err;
		}
		if ((ret = intf_check(c, 0)) < 0)
			goto err;
		g_queue_push_tail(&c->urbs, u);
		if (u->endpoint == USBEMU_EP_IN) {
			g_queue_push_tail(&n->in_pending, u);
		} else {
			/* Longer than one report: the host controller sends 64-byte packets. */
			int status = 0;

			for (int off = 0; off < u->length && !status; off += MCP2210_REPORT_SIZE)
				if (node_out(n, u->buf->data + off, (size_t)(u->length - off)) < 0)
					status = -EPROTO; /* the chip dropped off the bus mid-transfer */
			urb_complete(u, status, status ? 0 : u->length);
		}
		node_pump_wake(n);
		return 0;
	default:
		ret = -EINVAL;
		goto err;
	}
err:
	urb_free(u);
	return ret;
}

static int ioctl_reapurb(struct usbemu_client *c, UMockdevIoctlClient *uc)
{
	struct usbemu_node *n = c->node;
	struct usbemu_urb *u = g_queue_pop_head(&c->done);
	struct usbdevfs_urb *k;
	UMockdevIoctlData *ptr;
	int ret = 0;

	if (!u) /* reaping stays allowed after a disconnect, until nothing is left */
		return n->gone ? -ENODEV : -EAGAIN;
	g_queue_remove(&c->urbs, u);
	n->reapable--;
	node_update_ready(n);

	k = (struct usbdevfs_urb *)u->data->data;
	k->status = u->status;
	k->actual_length = u->actual;
	k->error_count = 0;
	/* The argument is a void ** the client reads its URB back through: point it at the
	 * struct resolved at submit, so that flushing writes status, length and data back. */
	ptr = arg_resolve(uc, sizeof(void *), &ret);
	if (ptr) {
		umockdev_ioctl_data_set_ptr(ptr, 0, u->data);
		g_object_unref(ptr);
	}
	urb_free(u); /* ptr keeps the data it needs until umockdev has written it back */
	return ret;
}

static int ioctl_discardurb(struct usbemu_client *c, UMockdevIoctlClient *uc)
{
	unsigned long uaddr = arg_value(uc);

	for (GList *l = c->urbs.head; l; l = l->next) {
		struct usbemu_urb *u = l->data;

		if (u->uaddr != uaddr || u->done)
			continue;
		g_queue_remove(&c->node->in_pending, u);
		/* Unlinked: still to be reaped, with -ENOENT, or libusb waits for it at close. */
		urb_complete(u, -ENOENT, 0);
		return 0;
	}
	return -EINVAL;
}

static int ioctl_control(struct usbemu_client *c, UMockdevIoctlClient *uc)
{
	struct usbdevfs_ctrltransfer *t;
	UMockdevIoctlData *td, *dd = NULL;
	uint8_t setup[8], scratch[8] = { 0 };
	GError *gerr = NULL;
	int ret = 0;

	td = arg_resolve(uc, sizeof(*t), &ret);
	if (td) {
		t = (struct usbdevfs_ctrltransfer *)td->data;
		if (t->wLength > 0) {
			dd = umockdev_ioctl_data_resolve(td, offsetof(struct usbdevfs_ctrltransfer, data),
							 t->wLength, &gerr);
			if (!dd) {
				g_clear_error(&gerr);
				ret = -EFAULT;
			}
		}
	}
	if (ret == 0 && c->node->gone)
		ret = -ENODEV;
	if (ret == 0) {
		t = (struct usbdevfs_ctrltransfer *)td->data;
		setup[0] = t->bRequestType;
		setup[1] = t->bRequest;
		setup[2] = t->wValue & 0xFF;
		setup[3] = t->wValue >> 8;
		setup[4] = t->wIndex & 0xFF;
		setup[5] = t->wIndex >> 8;
		setup[6] = t->wLength & 0xFF;
		setup[7] = t->wLength >> 8;
		ret = ctrl_request(c, setup, dd ? dd->data : scratch);
	}
	if (dd)
		g_object_unref(dd);
	if (td)
		g_object_unref(td);
	return ret;
}

static int ioctl_getdriver(struct usbemu_client *c, UMockdevIoctlClient *uc)
{
	struct usbdevfs_getdriver *g;
	UMockdevIoctlData *d;
	int ret = 0;

	d = arg_resolve(uc, sizeof(*g), &ret);
	if (!d)
		return ret;
	g = (struct usbdevfs_getdriver *)d->data;
	if (g->interface != 0 || c->node->driver == USBEMU_DRV_NONE)
		ret = -ENODATA;
	else
		snprintf(g->driver, sizeof(g->driver), "%s", driver_name(c->node->driver));
	g_object_unref(d);
	return ret;
}

/* USBDEVFS_IOCTL: the kernel-driver dance (DISCONNECT before claiming, CONNECT at exit). */
static int ioctl_ioctl(struct usbemu_client *c, UMockdevIoctlClient *uc)
{
	struct usbemu_node *n = c->node;
	struct usbdevfs_ioctl *io;
	UMockdevIoctlData *d;
	int ret = 0;

	d = arg_resolve(uc, sizeof(*io), &ret);
	if (!d)
		return ret;
	io = (struct usbdevfs_ioctl *)d->data;
	if (io->ifno != 0) {
		ret = -EINVAL;
	} else if (io->ioctl_code == (int)USBDEVFS_DISCONNECT) {
		if (n->driver == USBEMU_DRV_NONE)
			ret = -ENODATA;
		n->driver = USBEMU_DRV_NONE;
		n->claimer = NULL;
	} else if (io->ioctl_code == (int)USBDEVFS_CONNECT) {
		/* device_attach() returns 1 when a driver bound, and libusb reads 0 as "none". */
		if (n->driver != USBEMU_DRV_NONE) {
			ret = -EBUSY;
		} else {
			n->driver = USBEMU_DRV_USBHID;
			ret = 1;
		}
	} else {
		ret = -ENOTTY;
	}
	g_object_unref(d);
	return ret;
}

static int ioctl_disconnect_claim(struct usbemu_client *c, UMockdevIoctlClient *uc)
{
	struct usbemu_node *n = c->node;
	struct usbdevfs_disconnect_claim *dc;
	UMockdevIoctlData *d;
	int ret = 0;

	d = arg_resolve(uc, sizeof(*dc), &ret);
	if (!d)
		return ret;
	dc = (struct usbdevfs_disconnect_claim *)d->data;
	dc->driver[sizeof(dc->driver) - 1] = '\0';
	if (dc->interface != 0) {
		ret = -ENOENT;
	} else if (n->driver == USBEMU_DRV_USBHID) {
		bool named = strcmp(dc->driver, "usbhid") == 0;

		if ((dc->flags & USBDEVFS_DISCONNECT_CLAIM_IF_DRIVER) && !named)
			ret = -EBUSY;
		else if ((dc->flags & USBDEVFS_DISCONNECT_CLAIM_EXCEPT_DRIVER) && named)
			ret = -EBUSY;
		else
			n->driver = USBEMU_DRV_NONE;
	}
	if (ret == 0)
		ret = intf_claim(c, 0);
	g_object_unref(d);
	return ret;
}

/* An ioctl whose argument points at an unsigned int the handler only reads. */
static int arg_uint(UMockdevIoctlClient *uc, unsigned *out)
{
	UMockdevIoctlData *d;
	int ret = 0;

	d = arg_resolve(uc, sizeof(unsigned), &ret);
	if (!d)
		return ret;
	memcpy(out, d->data, sizeof(*out));
	g_object_unref(d);
	return 0;
}

static int ioctl_dispatch(struct usbemu_client *c, UMockdevIoctlClient *uc, unsigned long req)
{
	struct usbemu_node *n = c->node;
	unsigned v = 0;
	int ret;

	/* Reaping stays allowed after a disconnect; everything else fails as usbfs does. */
	if (req == USBDEVFS_REAPURBNDELAY || req == USBDEVFS_REAPURB)
		return ioctl_reapurb(c, uc); /* REAPURB does not block here: no waiting in this thread */
	if (n->gone)
		return -ENODEV;

	switch (req) {
	case USBDEVFS_SUBMITURB:
		return ioctl_submiturb(c, uc);
	case USBDEVFS_DISCARDURB:
		return ioctl_discardurb(c, uc);
	case USBDEVFS_CONTROL:
		return ioctl_control(c, uc);
	case USBDEVFS_GET_CAPABILITIES: {
		UMockdevIoctlData *d;
		uint32_t caps = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
				USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT;

		ret = 0;
		d = arg_resolve(uc, sizeof(caps), &ret);
		if (d) {
			memcpy(d->data, &caps, sizeof(caps));
			g_object_unref(d);
		}
		return ret;
	}
	case USBDEVFS_GET_SPEED:
		return 2; /* USB_SPEED_FULL */
	case USBDEVFS_CONNECTINFO: {
		struct usbdevfs_connectinfo *ci;
		UMockdevIoctlData *d;

		ret = 0;
		d = arg_resolve(uc, sizeof(*ci), &ret);
		if (d) {
			ci = (struct usbdevfs_connectinfo *)d->data;
			ci->devnum = n->devnum;
			ci->slow = 0;
			g_object_unref(d);
		}
		return ret;
	}
	case USBDEVFS_GETDRIVER:
		return ioctl_getdriver(c, uc);
	case USBDEVFS_IOCTL:
		return ioctl_ioctl(c, uc);
	case USBDEVFS_DISCONNECT_CLAIM:
		return ioctl_disconnect_claim(c, uc);
	case USBDEVFS_CLAIMINTERFACE:
		if ((ret = arg_uint(uc, &v)) < 0)
			return ret;
		return intf_claim(c, v);
	case USBDEVFS_RELEASEINTERFACE:
		if ((ret = arg_uint(uc, &v)) < 0)
			return ret;
		return intf_release(c, v);
	case USBDEVFS_SETINTERFACE: {
		UMockdevIoctlData *d;
		struct usbdevfs_setinterface si;

		ret = 0;
		d = arg_resolve(uc, sizeof(si), &ret);
		if (!d)
			return ret;
		memcpy(&si, d->data, sizeof(si));
		g_object_unref(d);
		if ((ret = intf_check(c, si.interface)) < 0)
			return ret;
		return si.altsetting == 0 ? 0 : -EINVAL;
	}
	case USBDEVFS_SETCONFIGURATION:
		if ((ret = arg_uint(uc, &v)) < 0)
			return ret;
		return v == 1 || v == 0 || v == (unsigned)-1 ? 0 : -EINVAL;
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESETEP:
		if ((ret = arg_uint(uc, &v)) < 0)
			return ret;
		if (v != USBEMU_EP_IN && v != USBEMU_EP_OUT)
			return -ENOENT;
		return intf_check(c, 0);
	case USBDEVFS_RESET:
	case USBDEVFS_DROP_PRIVILEGES:
		return 0;
	default:
		return -ENOTTY;
	}
}

static gboolean on_handle_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *uc, gpointer user)
{
	unsigned long req = umockdev_ioctl_client_get_request(uc);
	struct usbemu_client *c;
	int ret;

	(void)base;
	(void)user;
	pthread_mutex_lock(&usbemu.lock);
	clients_sweep(); /* a closed fd gives up its claim before anyone else asks */
	c = client_find(uc);
	ret = c && !usbemu.stopping ? ioctl_dispatch(c, uc, req) : -ENODEV;
	pthread_mutex_unlock(&usbemu.lock);
	if (ret < 0 && ret != -EAGAIN)
		log_debug("ioctl 0x%lx on %s: %s", req, umockdev_ioctl_client_get_devnode(uc), strerror(-ret));
	umockdev_ioctl_client_complete(uc, ret < 0 ? -1 : ret, ret < 0 ? -ret : 0);
	return TRUE;
}

/* ---- plugging -------------------------------------------------------------------------------- */

static void put_le16(uint8_t *p, unsigned v)
{
	p[0] = v & 0xFF;
	p[1] = (v >> 8) & 0xFF;
}

static void string_desc(uint8_t *out, const uint16_t *units, unsigned len)
{
	out[0] = (uint8_t)(2 + 2 * len);
	out[1] = 0x03;
	for (unsigned i = 0; i < len; i++)
		put_le16(out + 2 + 2 * i, units[i]);
}

/* Device and configuration descriptors, as the kernel's sysfs "descriptors" file has them. */
static void node_build_descriptors(struct usbemu_node *n, const struct mcp2210_usb_key *key)
{
	uint8_t *d = n->descriptors, *cfg = d + 18;
	const uint8_t device[18] = { 18, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 64, 0, 0, 0, 0, 0x02, 0x00, 1, 2, 3, 1 };
	const uint8_t rest[USBEMU_CONFIG_LEN] = {
		/* configuration: attributes and power from the NVRAM USB key */
		9, 0x02, USBEMU_CONFIG_LEN, 0, 1, 1, 0, (uint8_t)(0x80 | (key->power & 0x60)), key->current_2ma,
		/* interface 0: HID, two endpoints, no boot protocol */
		9, 0x04, 0, 0, 2, 0x03, 0x00, 0x00, 0,
		/* HID 1.11, one report descriptor */
		9, 0x21, 0x11, 0x01, 0x00, 1, 0x22, sizeof(usbemu_report_desc) & 0xFF, sizeof(usbemu_report_desc) >> 8,
		/* interrupt IN and OUT, 64 bytes, every frame */
		7, 0x05, USBEMU_EP_IN, 0x03, 64, 0, 1,
		7, 0x05, USBEMU_EP_OUT, 0x03, 64, 0, 1,
	};

	memcpy(d, device, sizeof(device));
	put_le16(d + 8, key->vid);
	put_le16(d + 10, key->pid);
	memcpy(cfg, rest, sizeof(rest));
	n->self_powered = key->power & MCP2210_POWER_SELF;
}

/* A sysfs text attribute for add_from_string, which unescapes with g_strcompress(); the
 * kernel ends every attribute with a newline (libusb warns without one). */
static void __attribute__((format(printf, 3, 4))) record_attr(GString *rec, const char *name, const char *fmt, ...)
{
	char value[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	g_string_append_printf(rec, "A: %s=", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == '\\' || *p == 0x7F)
			g_string_append_printf(rec, "\\%03o", *p);
		else
			g_string_append_c(rec, (char)*p);
	}
	g_string_append(rec, "\\n\n");
}

static unsigned devnum_alloc(void)
{
	for (unsigned i = 0; i < 126; i++) {
		unsigned d = 2 + (usbemu.next_devnum - 2 + i) % 126;

		if (!usbemu.devnum_used[d]) {
			usbemu.devnum_used[d] = true;
			usbemu.next_devnum = d + 1 > 127 ? 2 : d + 1;
			return d;
		}
	}
	return 0;
}

/* Enumerate device d: sysfs directory, FIFO /dev node, ioctl handler, "add" uevent. */
static int dev_plug(struct usbemu_dev *d)
{
	struct mcp2210_usb_key key;
	struct mcp2210_usb_string manufacturer, product;
	char serial[32], manu_utf8[128], prod_utf8[128], path[PATH_MAX], hex[2 * sizeof(((struct usbemu_node *)0)->descriptors) + 1];
	uint16_t units[32];
	struct usbemu_node *n;
	GError *gerr = NULL;
	GString *rec;
	unsigned len;
	bool ok;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->dev = d;
	n->fifo = -1;
	n->driver = USBEMU_DRV_USBHID; /* the kernel binds usbhid at enumeration */
	g_queue_init(&n->in_pending);
	n->devnum = devnum_alloc();
	if (!n->devnum) {
		free(n);
		return -ENOSPC;
	}
	snprintf(n->devnode, sizeof(n->devnode), "/dev/bus/usb/%03u/%03u", USBEMU_BUS, n->devnum);
	snprintf(n->syspath, sizeof(n->syspath), "/sys/devices/pci0000:00/0000:00:14.0/usb%u/%u-%u", USBEMU_BUS,
		 USBEMU_BUS, d->index);

	/* Enumeration reads the identity the chip loaded from NVRAM at power-up. */
	emu_usb_identity(d->emu, &key, &manufacturer, &product, serial);
	serial[sizeof(serial) - 1] = '\0';
	node_build_descriptors(n, &key);
	n->strings[0][0] = 4;
	n->strings[0][1] = 0x03;
	put_le16(n->strings[0] + 2, 0x0409); /* English (US) */
	string_desc(n->strings[1], manufacturer.units, manufacturer.len);
	string_desc(n->strings[2], product.units, product.len);
	for (len = 0; serial[len] && len < 31; len++)
		units[len] = (unsigned char)serial[len];
	string_desc(n->strings[3], units, len);
	if (proto_usb_string_to_utf8(&manufacturer, manu_utf8, sizeof(manu_utf8)) < 0)
		manu_utf8[0] = '\0';
	if (proto_usb_string_to_utf8(&product, prod_utf8, sizeof(prod_utf8)) < 0)
		prod_utf8[0] = '\0';
	for (size_t i = 0; i < sizeof(n->descriptors); i++)
		snprintf(hex + 2 * i, 3, "%02X", n->descriptors[i]);

	/* What libusb reads: busnum, devnum, speed, descriptors, bConfigurationValue (without
	 * it libusb opens nothing); the rest is for tools like lsusb and for realism. */
	rec = g_string_new(NULL);
	g_string_append_printf(rec, "P: %s\n", n->syspath + strlen("/sys"));
	g_string_append_printf(rec, "N: %s\n", n->devnode + strlen("/dev/"));
	g_string_append_printf(rec,
			       "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: DEVNAME=%s\n"
			       "E: PRODUCT=%x/%x/2\nE: TYPE=0/0/0\nE: BUSNUM=%03u\nE: DEVNUM=%03u\n"
			       "E: MAJOR=189\nE: MINOR=%u\n",
			       n->devnode, key.vid, key.pid, USBEMU_BUS, n->devnum, (USBEMU_BUS - 1) * 128 + n->devnum - 1);
	record_attr(rec, "busnum", "%u", USBEMU_BUS);
	record_attr(rec, "devnum", "%u", n->devnum);
	record_attr(rec, "devpath", "%u", d->index);
	record_attr(rec, "speed", "12");
	record_attr(rec, "version", " 2.00");
	record_attr(rec, "idVendor", "%04x", key.vid);
	record_attr(rec, "idProduct", "%04x", key.pid);
	record_attr(rec, "bcdDevice", "0002");
	record_attr(rec, "bDeviceClass", "00");
	record_attr(rec, "bDeviceSubClass", "00");
	record_attr(rec, "bDeviceProtocol", "00");
	record_attr(rec, "bMaxPacketSize0", "64");
	record_attr(rec, "bNumConfigurations", "1");
	record_attr(rec, "bConfigurationValue", "1");
	record_attr(rec, "bNumInterfaces", " 1");
	record_attr(rec, "bmAttributes", "%02x", 0x80 | (key.power & 0x60));
	record_attr(rec, "bMaxPower", "%umA", key.current_2ma * 2u);
	record_attr(rec, "maxchild", "0");
	record_attr(rec, "removable", "removable");
	record_attr(rec, "authorized", "1");
	record_attr(rec, "quirks", "0x0");
	record_attr(rec, "manufacturer", "%s", manu_utf8);
	record_attr(rec, "product", "%s", prod_utf8);
	record_attr(rec, "serial", "%s", serial);
	/* No newline here: umockdev parses "dev" as MAJOR:MINOR for the node's stat(). */
	g_string_append_printf(rec, "A: dev=189:%u\n", (USBEMU_BUS - 1) * 128 + n->devnum - 1);
	g_string_append_printf(rec, "H: descriptors=%s\n", hex);
	/* The ioctl handler first: a client that finds the device in sysfs (a rescan) and opens
	 * the node at once must reach us, not a node without a handler. */
	if (!umockdev_testbed_attach_ioctl(usbemu.testbed, n->devnode, usbemu.handler, &gerr)) {
		log_err("%s: attaching the ioctl handler: %s", n->devnode, gerr->message);
		g_clear_error(&gerr);
		g_string_free(rec, TRUE);
		goto err;
	}
	ok = umockdev_testbed_add_from_string(usbemu.testbed, rec->str, &gerr);
	g_string_free(rec, TRUE);
	if (!ok) {
		log_err("adding device %u: %s", d->index, gerr->message);
		g_clear_error(&gerr);
		goto err_detach;
	}

	/* Replace umockdev's regular-file node by a FIFO we control (see node_set_ready). */
	snprintf(path, sizeof(path), "%s%s", usbemu.root, n->devnode);
	if (unlink(path) < 0 || mkfifo(path, 0666) < 0 ||
	    (n->fifo = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0 || fcntl(n->fifo, F_SETPIPE_SZ, 4096) < 0) {
		log_err("%s: cannot make the node a FIFO: %s", path, strerror(errno));
		goto err_remove;
	}
	n->ready = true;
	node_set_ready(n, false);

	usbemu.nodes = g_list_prepend(usbemu.nodes, n);
	d->node = n;
	umockdev_testbed_uevent(usbemu.testbed, n->syspath, "add");
	log_info("device %u: %04x:%04x serial %s at %s", d->index, key.vid, key.pid, serial, n->devnode);
	return 0;

err_remove:
	if (n->fifo >= 0)
		close(n->fifo);
	umockdev_testbed_remove_device(usbemu.testbed, n->syspath);
err_detach:
	umockdev_testbed_detach_ioctl(usbemu.testbed, n->devnode, NULL);
err:
	usbemu.devnum_used[n->devnum] = false;
	free(n);
	return -EIO;
}

/* Pull the cable: URBs in flight fail with -ENODEV, the device leaves sysfs and /dev. */
static void dev_unplug(struct usbemu_dev *d)
{
	struct usbemu_node *n = d->node;
	struct usbemu_urb *u;

	emu_unplug(d->emu);
	while ((u = g_queue_pop_head(&n->in_pending)))
		urb_complete(u, -ENODEV, 0);
	n->gone = true;
	n->driver = USBEMU_DRV_NONE;
	n->claimer = NULL;
	node_update_ready(n);
	/* The uevent sender reads the device from sysfs: send it before the device goes. */
	umockdev_testbed_uevent(usbemu.testbed, n->syspath, "remove");
	umockdev_testbed_remove_device(usbemu.testbed, n->syspath);
	/* Clients keep the node's FIFO (and our handler) until they close; the address is free. */
	usbemu.devnum_used[n->devnum] = false;
	d->node = NULL;
	log_info("device %u unplugged", d->index);
}

static void node_free(struct usbemu_node *n)
{
	if (n->fifo >= 0)
		close(n->fifo);
	g_queue_clear(&n->in_pending);
	free(n);
}

/* ---- control channel ------------------------------------------------------------------------ */

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
		if (!g_queue_is_empty(&n->in_pending) && n->in_due_ns > usbemu_mono_ns() &&
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
		now = usbemu_mono_ns();
		if (due && due - now < 1000000000ull)
			ts = (struct timespec){ .tv_sec = 0, .tv_nsec = (long)(due - now) };
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
		log_err("cannot create FIFO %s: %s", path, strerror(errno));
		return -errno;
	} else {
		*made = true;
	}
	/* Read-write: the FIFO never reports end-of-file when a writer closes, and replies can be
	 * written before a reader opens it. */
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		log_err("cannot open FIFO %s: %s", path, strerror(errno));
	return fd < 0 ? -errno : fd;
}

/* ---- process lifecycle ------------------------------------------------------------------------ */

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
		if (kill_at && usbemu_mono_ns() >= kill_at) {
			log_warn("the command ignored the signal; killing it");
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		sig = sigtimedwait(waitset, &si, &ts);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			kill(pid, sig);
			if (!kill_at)
				kill_at = usbemu_mono_ns() + USBEMU_GRACE_NS;
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
	uint64_t end = usbemu_mono_ns() + USBEMU_GRACE_NS;
	bool busy = true;

	while (usbemu_mono_ns() < end) {
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
		d->t0_ns = usbemu_mono_ns() - emu_now(d->emu);
		if ((ret = emu_attach_spec(d->emu, EMU_DEFAULT_PERIPHERALS)) < 0) {
			log_err("device %u: cannot attach peripherals: %s", i + 1, strerror(-ret));
			goto out_emus;
		}
	}

	/* The testbed exists before anything in the command initialises libusb. */
	usbemu.testbed = umockdev_testbed_new();
	usbemu.root = umockdev_testbed_get_root_dir(usbemu.testbed);
	usbemu.handler = umockdev_ioctl_base_new();
	g_signal_connect(usbemu.handler, "handle-ioctl", G_CALLBACK(on_handle_ioctl), NULL);
	g_signal_connect(usbemu.handler, "client-connected", G_CALLBACK(on_client_connected), NULL);
	pthread_mutex_lock(&usbemu.lock);
	for (unsigned i = 0; i < usbemu.ndevs; i++) {
		if (dev_plug(&usbemu.devs[i]) < 0) {
			pthread_mutex_unlock(&usbemu.lock);
			goto out_testbed;
		}
	}
	pthread_mutex_unlock(&usbemu.lock);

	usbemu.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (usbemu.wake_fd < 0) {
		log_err("eventfd: %s", strerror(errno));
		goto out_testbed;
	}
	if (usbemu.ctl_path) {
		if (asprintf(&usbemu.reply_path, "%s.reply", usbemu.ctl_path) < 0)
			goto out_testbed;
		if ((usbemu.ctl_fd = ctl_open_fifo(usbemu.ctl_path, &usbemu.made_ctl)) < 0 ||
		    (usbemu.reply_fd = ctl_open_fifo(usbemu.reply_path, &usbemu.made_reply)) < 0)
			goto out_testbed;
	}
	if (pthread_create(&usbemu.thread, NULL, ctl_thread, NULL) != 0) {
		log_err("cannot start the control thread");
		goto out_testbed;
	}
	usbemu.thread_started = true;

	pid = spawn(argv + optind, &oldmask);
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		goto out_testbed;
	}
	status = wait_child(pid, &waitset);
	linger();

out_testbed:
	if (usbemu.thread_started) {
		atomic_store(&usbemu.stop, true);
		usbemu_wake();
		pthread_join(usbemu.thread, NULL);
	}
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
	if (usbemu.ctl_fd >= 0)
		close(usbemu.ctl_fd);
	if (usbemu.reply_fd >= 0)
		close(usbemu.reply_fd);
	if (usbemu.wake_fd >= 0)
		close(usbemu.wake_fd);
	if (usbemu.made_ctl)
		unlink(usbemu.ctl_path);
	if (usbemu.made_reply)
		unlink(usbemu.reply_path);
	free(usbemu.reply_path);
out_emus:
	for (unsigned i = 0; i < usbemu.ndevs; i++)
		emu_free(usbemu.devs[i].emu);
	return status;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usb-emu-run's usbdevfs ioctl handler (emu_run.h): umockdev hands it every ioctl a client
 * makes on an emulated /dev/bus/usb node, in umockdev's worker thread, and it answers as the
 * kernel's usbfs would: URBs on the interrupt endpoints carry reports to and from the
 * emulated chip (with the emulator's frame model when --frame-us is set), control requests on
 * endpoint 0 serve the descriptors enumeration read, and interface 0 is claimed, released and
 * taken from "usbhid" as usbfs does.
 */
#include <errno.h>
#include <linux/usbdevice_fs.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/clock.h"
#include "emu_run.h"
#include "util/log.h"

#define USBEMU_MAX_URB_BYTES 4096

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

/* ---- readiness of a node: the FIFO trick -------------------------------------------------- */

/*
 * libusb polls a usbfs fd for POLLOUT, which the kernel raises while completed URBs wait to be
 * reaped. umockdev forwards ioctls but not poll(), and its default /dev node is a regular file,
 * which polls always-ready: libusb would spin on REAPURBNDELAY. So each node is a FIFO shrunk
 * to one page; one byte in it fills its only slot (no POLLOUT), an empty FIFO is writable
 * (POLLOUT). Clients never read or write it: umockdev routes their read()/write() to us.
 */
void node_set_ready(struct usbemu_node *n, bool ready)
{
	char byte = 0;

	if (n->fifo < 0 || n->ready == ready)
		return;
	if (ready ? read(n->fifo, &byte, 1) != 1 : write(n->fifo, &byte, 1) != 1)
		log_warn("%s: cannot switch readiness: %s", n->devnode, strerror(errno));
	n->ready = ready;
}

void node_update_ready(struct usbemu_node *n) { node_set_ready(n, n->reapable > 0); }

/* ---- URBs ----------------------------------------------------------------------------------- */

static void urb_free(struct usbemu_urb *u)
{
	if (u->buf)
		g_object_unref(u->buf);
	if (u->data)
		g_object_unref(u->data);
	free(u);
}

void urb_complete(struct usbemu_urb *u, int status, int actual)
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
void dev_catch_up(struct usbemu_dev *d) { emu_follow(d->emu, mono_now_ns() - d->t0_ns); }

/* Hand the chip's queued answers to waiting IN URBs, oldest first. */
void node_pump(struct usbemu_node *n)
{
	mcp2210_report resp;

	while (!n->gone && !g_queue_is_empty(&n->in_pending)) {
		struct usbemu_urb *u;
		int len;

		if (usbemu.frame_ns && mono_now_ns() < n->in_due_ns)
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

const char *driver_name(enum usbemu_driver drv)
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
void client_drop(struct usbemu_client *c)
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
void clients_sweep(void)
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

void ioctl_handler_connect(UMockdevIoctlBase *handler)
{
	g_signal_connect(handler, "handle-ioctl", G_CALLBACK(on_handle_ioctl), NULL);
	g_signal_connect(handler, "client-connected", G_CALLBACK(on_client_connected), NULL);
}

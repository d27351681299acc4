/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libusb transport. An exchange submits the IN transfer before the OUT one, so the host
 * controller polls for the answer from the very next frame, then runs libusb's events on the
 * calling (worker) thread until both are back or the deadline passes. Whatever is still in
 * flight then is cancelled and reaped before returning: no transfer outlives its exchange.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>

#include "util/clock.h"
#include "util/log.h"
#include "transport_usb.h"

#define USB_INTERFACE 0
#define USB_REAP_MS 1000      /* a cancelled transfer comes back well within this */
#define USB_DRAIN_MS 25       /* a report the chip already queued arrives within a frame or two */
#define USB_DRAIN_MAX 16      /* the chip queues one answer per request: more means trouble */
#define USB_CANDIDATES_MAX 32 /* devices one scan looks at */
/* An answer not back this long after its request was lost, not late: full-speed interrupt
 * endpoints answer within a frame or two (1 ms each). transport_abort() cuts only such waits. */
#define USB_LOST_NS 10000000u

struct usb_xfer {
	struct libusb_transfer *x;
	uint8_t buf[MCP2210_REPORT_SIZE];
	_Atomic bool busy; /* submitted, its callback not yet run */
};

struct transport_usb {
	struct transport base;
	libusb_context *ctx;

	/* Worker thread only (and the thread in usb_wait() while gone, when the worker
	 * has nothing in flight): */
	libusb_device_handle *h; /* NULL while gone */
	uint8_t ep_in, ep_out;
	bool claimed;
	bool reattach; /* a kernel driver had interface 0 before us: give it back at close */
	struct usb_xfer in, out;
	int stale_at_open; /* reports open_device() threw away, not yet counted by usb_drain() */

	bool hotplug; /* hotplug_handle is registered */
	libusb_hotplug_callback_handle hotplug_handle;
	_Atomic bool gone;
	_Atomic bool arrived; /* hotplug saw a matching device come */
	_Atomic bool left;    /* hotplug saw our device go */
	_Atomic bool woken;
	_Atomic unsigned aborts;  /* transport_abort() calls so far, any thread */
	unsigned aborts_seen;     /* worker: their number when the exchange began */
	uint64_t exchange_ns;     /* worker: when it began (mono_now_ns); 0 outside an exchange */

	pthread_mutex_t lock; /* protects id; `changed` goes with it */
	pthread_cond_t changed; /* gone set, or woken */
	struct transport_identity id;
};

/* A device seen by a scan, with what it says about itself. */
struct candidate {
	libusb_device *dev; /* referenced until scan_free() */
	struct transport_identity id;
	int err; /* -errno: it could not be opened to read its strings */
};

struct scan {
	struct candidate c[USB_CANDIDATES_MAX];
	size_t n;
	size_t unreadable; /* left out: could not be opened to compare the serial */
	int unreadable_err;
	size_t skipped;    /* left out: more than USB_CANDIDATES_MAX */
};

/* libusb's codes stop here. what: what failed, for the log. */
static int usb_errno(int err, const char *what)
{
	if (err == LIBUSB_ERROR_NO_DEVICE)
		log_info("%s: %s", what, libusb_error_name(err));
	else
		log_err("%s: %s", what, libusb_error_name(err));
	switch (err) {
	case LIBUSB_ERROR_NO_DEVICE:
		return -ENODEV;
	case LIBUSB_ERROR_TIMEOUT:
		return -ETIMEDOUT;
	case LIBUSB_ERROR_ACCESS:
		return -EACCES;
	case LIBUSB_ERROR_BUSY:
		return -EBUSY;
	case LIBUSB_ERROR_NO_MEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static void dump(const char *what, const uint8_t *report)
{
	char hex[MCP2210_REPORT_SIZE * 3 + 1];

	if (log_get_level() < LOG_LEVEL_DEBUG)
		return;
	for (size_t i = 0; i < MCP2210_REPORT_SIZE; i++)
		snprintf(hex + 3 * i, 4, " %02x", report[i]);
	log_debug("usb %s%s", what, hex);
}

/* libusb starts an event thread in its first libusb_init(): it inherits this thread's signal
 * mask, and must not take the SIGTERM meant to wake the FUSE loop. */
static int context_new(libusb_context **ctx)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = libusb_init(ctx);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err < 0) {
		*ctx = NULL;
		return usb_errno(err, "cannot initialise libusb");
	}
	return 0;
}

/* ---- transfers ----------------------------------------------------------------------------- */

static void LIBUSB_CALL on_transfer(struct libusb_transfer *x)
{
	struct usb_xfer *u = x->user_data;

	atomic_store(&u->busy, false);
}

static bool idle(struct transport_usb *t) { return !atomic_load(&t->in.busy) && !atomic_load(&t->out.busy); }

/* Run libusb's events on this thread until nothing is in flight, or the deadline. */
static int run_events(struct transport_usb *t, uint64_t deadline)
{
	while (!idle(t)) {
		uint64_t now = mono_now_ns(), until = deadline;
		struct timeval tv;
		int err;

		if (now >= deadline)
			return -ETIMEDOUT;
		/* abandoned (transport_abort): once the answer is lost rather than on its way */
		if (t->exchange_ns && atomic_load(&t->aborts) != t->aborts_seen) {
			if (now >= t->exchange_ns + USB_LOST_NS)
				return -EINTR;
			if (until > t->exchange_ns + USB_LOST_NS)
				until = t->exchange_ns + USB_LOST_NS;
		}
		tv = ns_timeval(until - now);
		err = libusb_handle_events_timeout_completed(t->ctx, &tv, NULL);
		if (err < 0 && err != LIBUSB_ERROR_INTERRUPTED)
			return usb_errno(err, "handling USB events");
	}
	return 0;
}

/* Cancel what is in flight and wait, bounded, for libusb to hand it back. */
static int reap(struct transport_usb *t)
{
	struct usb_xfer *all[] = { &t->in, &t->out };
	int ret;

	t->exchange_ns = 0; /* the exchange is over: an abort does not cut the cancelling */

	for (size_t i = 0; i < 2; i++) {
		int err;

		if (!atomic_load(&all[i]->busy))
			continue;
		err = libusb_cancel_transfer(all[i]->x);
		if (err < 0 && err != LIBUSB_ERROR_NOT_FOUND) /* NOT_FOUND: it is completing already */
			log_warn("cannot cancel a USB transfer: %s", libusb_error_name(err));
	}
	ret = run_events(t, mono_after_ms(USB_REAP_MS));
	if (ret < 0)
		log_err("a cancelled USB transfer did not come back within %d ms", USB_REAP_MS);
	return ret;
}

static int submit(struct transport_usb *t, struct usb_xfer *u)
{
	unsigned char ep = u == &t->in ? t->ep_in : t->ep_out;
	int err;

	libusb_fill_interrupt_transfer(u->x, t->h, ep, u->buf, MCP2210_REPORT_SIZE, on_transfer, u, 0);
	atomic_store(&u->busy, true);
	err = libusb_submit_transfer(u->x);
	if (err < 0) {
		atomic_store(&u->busy, false);
		return usb_errno(err, u == &t->in ? "submitting the IN transfer" : "submitting the OUT transfer");
	}
	return 0;
}

/* How a transfer that came back went. */
static int result(const struct transport_usb *t, const struct usb_xfer *u)
{
	const char *dir = u == &t->in ? "IN" : "OUT";

	switch (u->x->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		if (u->x->actual_length == MCP2210_REPORT_SIZE)
			return 0;
		log_err("%s report of %d bytes, not %d", dir, u->x->actual_length, MCP2210_REPORT_SIZE);
		return -EIO;
	case LIBUSB_TRANSFER_NO_DEVICE:
		return -ENODEV;
	case LIBUSB_TRANSFER_TIMED_OUT:
	case LIBUSB_TRANSFER_CANCELLED: /* by us, at the deadline */
		return -ETIMEDOUT;
	default:
		log_err("%s transfer failed: %s", dir, libusb_error_name((int)u->x->status));
		return -EIO;
	}
}

/* Submit n transfers in order and wait for all of them until the deadline. The first error
 * wins, except that a device gone is always reported as such. */
static int transfers(struct transport_usb *t, struct usb_xfer *const *seq, size_t n, uint64_t deadline)
{
	size_t sent = 0;
	int ret = 0;

	while (sent < n && ret == 0)
		if ((ret = submit(t, seq[sent])) == 0)
			sent++;
	if (ret == 0)
		ret = run_events(t, deadline);
	if (ret < 0 && !idle(t) && reap(t) < 0)
		return -EIO; /* still in flight: the next call tries to reap again */
	for (size_t i = 0; i < sent; i++) {
		int r = result(t, seq[i]);

		if (r == -ENODEV || (r < 0 && ret == 0))
			ret = r;
	}
	return ret;
}

/* Read and throw away IN reports until none comes within USB_DRAIN_MS. */
static int drain_in(struct transport_usb *t)
{
	struct usb_xfer *const seq[] = { &t->in };
	int n;

	for (n = 0; n < USB_DRAIN_MAX; n++) {
		int ret = transfers(t, seq, 1, mono_after_ms(USB_DRAIN_MS));
		if (ret == -ETIMEDOUT)
			return n;
		if (ret < 0)
			return ret;
		dump("IN (stale)", t->in.buf);
	}
	log_warn("still receiving reports after draining %d", n);
	return n;
}

/* ---- opening and closing ------------------------------------------------------------------ */

static void close_device(struct transport_usb *t)
{
	int err;

	if (!t->h)
		return;
	if (t->claimed) {
		err = libusb_release_interface(t->h, USB_INTERFACE);
		if (err < 0 && err != LIBUSB_ERROR_NO_DEVICE)
			log_warn("cannot release interface %d: %s", USB_INTERFACE, libusb_error_name(err));
	}
	if (t->reattach) {
		err = libusb_attach_kernel_driver(t->h, USB_INTERFACE);
		if (err < 0 && err != LIBUSB_ERROR_NO_DEVICE)
			log_warn("cannot give interface %d back to its kernel driver: %s", USB_INTERFACE,
				 libusb_error_name(err));
	}
	libusb_close(t->h);
	t->h = NULL;
	t->claimed = t->reattach = false;
}

/* The 64-byte interrupt endpoints of interface 0 (0x81 and 0x01 on every MCP2210 so far). */
static int find_endpoints(struct transport_usb *t, libusb_device *dev)
{
	struct libusb_config_descriptor *cfg;
	int err = libusb_get_active_config_descriptor(dev, &cfg);
	uint8_t found[2] = { 0, 0 }; /* OUT, IN */

	if (err < 0)
		return usb_errno(err, "cannot read the configuration descriptor");
	if (cfg->bNumInterfaces > USB_INTERFACE && cfg->interface[USB_INTERFACE].num_altsetting > 0) {
		const struct libusb_interface_descriptor *alt = &cfg->interface[USB_INTERFACE].altsetting[0];

		for (unsigned i = 0; i < alt->bNumEndpoints; i++) {
			const struct libusb_endpoint_descriptor *ep = &alt->endpoint[i];
			unsigned dir = (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) ? 1 : 0;

			if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) == LIBUSB_TRANSFER_TYPE_INTERRUPT &&
			    ep->wMaxPacketSize >= MCP2210_REPORT_SIZE && !found[dir])
				found[dir] = ep->bEndpointAddress;
		}
	}
	libusb_free_config_descriptor(cfg);
	t->ep_out = found[0];
	t->ep_in = found[1];
	if (!t->ep_in || !t->ep_out) {
		log_err("interface %d has no 64-byte interrupt IN and OUT endpoints: not an MCP2210", USB_INTERFACE);
		return -EIO;
	}
	return 0;
}

/* Make dev ours: the kernel driver (usbhid) detached, interface 0 claimed, stale answers an
 * earlier host left behind thrown away. */
static int open_device(struct transport_usb *t, libusb_device *dev)
{
	int err, ret;

	err = libusb_open(dev, &t->h);
	if (err < 0) {
		t->h = NULL;
		return usb_errno(err, "cannot open the device");
	}
	err = libusb_kernel_driver_active(t->h, USB_INTERFACE);
	if (err == 1) {
		err = libusb_detach_kernel_driver(t->h, USB_INTERFACE);
		if (err < 0) {
			ret = usb_errno(err, "cannot detach the kernel driver from interface 0");
			goto err_close;
		}
		t->reattach = true;
	} else if (err < 0 && err != LIBUSB_ERROR_NOT_SUPPORTED) {
		ret = usb_errno(err, "cannot tell whether a kernel driver has interface 0");
		goto err_close;
	}
	err = libusb_claim_interface(t->h, USB_INTERFACE);
	if (err < 0) {
		ret = usb_errno(err, "cannot claim interface 0 (another program using the device?)");
		goto err_close;
	}
	t->claimed = true;
	ret = find_endpoints(t, dev);
	if (ret < 0)
		goto err_close;
	ret = drain_in(t);
	if (ret < 0)
		goto err_close;
	if (ret > 0)
		log_info("drained %d stale report(s) at open", ret);
	t->stale_at_open += ret;
	return 0;

err_close:
	close_device(t);
	return ret;
}

/* ---- finding devices ----------------------------------------------------------------------- */

static void read_string(libusb_device_handle *h, uint8_t index, char *buf, size_t size)
{
	int n;

	buf[0] = '\0';
	if (!index)
		return;
	n = libusb_get_string_descriptor_ascii(h, index, (unsigned char *)buf, (int)size);
	if (n < 0) {
		log_warn("cannot read string descriptor %u: %s", index, libusb_error_name(n));
		buf[0] = '\0';
	}
}

/* Open dev just long enough to read its strings. */
static int probe(libusb_device *dev, const struct libusb_device_descriptor *d, struct transport_identity *id)
{
	libusb_device_handle *h;
	int err = libusb_open(dev, &h);

	if (err < 0)
		return err == LIBUSB_ERROR_ACCESS ? -EACCES : usb_errno(err, "cannot open a device to read its serial");
	read_string(h, d->iManufacturer, id->manufacturer, sizeof(id->manufacturer));
	read_string(h, d->iProduct, id->product, sizeof(id->product));
	read_string(h, d->iSerialNumber, id->serial, sizeof(id->serial));
	libusb_close(h);
	return 0;
}

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		libusb_unref_device(s->c[i].dev);
	s->n = 0;
}

/* Every attached device sel matches, with its strings. */
static int scan(libusb_context *ctx, const struct transport_usb_select *sel, struct scan *s)
{
	libusb_device **list;
	ssize_t count = libusb_get_device_list(ctx, &list);

	memset(s, 0, sizeof(*s));
	if (count < 0)
		return usb_errno((int)count, "cannot list USB devices");
	for (ssize_t i = 0; i < count; i++) {
		struct libusb_device_descriptor d;
		struct candidate *c = &s->c[s->n];

		if (libusb_get_device_descriptor(list[i], &d) < 0 || d.idVendor != sel->vid || d.idProduct != sel->pid)
			continue;
		if ((sel->bus >= 0 && libusb_get_bus_number(list[i]) != sel->bus) ||
		    (sel->address >= 0 && libusb_get_device_address(list[i]) != sel->address))
			continue;
		if (s->n == USB_CANDIDATES_MAX) {
			s->skipped++;
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->id.vid = d.idVendor;
		c->id.pid = d.idProduct;
		c->id.bus = libusb_get_bus_number(list[i]);
		c->id.address = libusb_get_device_address(list[i]);
		c->err = probe(list[i], &d, &c->id);
		if (sel->serial && (c->err || strcmp(c->id.serial, sel->serial) != 0)) {
			if (c->err) {
				s->unreadable++;
				s->unreadable_err = c->err;
			}
			continue;
		}
		c->dev = libusb_ref_device(list[i]);
		s->n++;
	}
	libusb_free_device_list(list, 1);
	return 0;
}

/* One line per device, as --list prints it; -o device= takes the first field. */
static void format_candidate(const struct candidate *c, char *buf, size_t size)
{
	if (c->err)
		snprintf(buf, size, "%03u:%03u %04x:%04x ? (cannot open: %s)", c->id.bus, c->id.address, c->id.vid,
			 c->id.pid, strerror(-c->err));
	else
		snprintf(buf, size, "%03u:%03u %04x:%04x %s %s", c->id.bus, c->id.address, c->id.vid, c->id.pid,
			 c->id.serial[0] ? c->id.serial : "-", c->id.product);
}

static const char *access_hint(int err)
{
	return err == -EACCES ? " (permission denied: install the udev rule, see mcp2210fs(8))" : "";
}

/* The index of the one candidate sel means, or -errno after saying why. */
static int choose(const struct transport_usb_select *sel, const struct scan *s)
{
	char what[256], line[320];

	snprintf(what, sizeof(what), "%04x:%04x%s%s", sel->vid, sel->pid, sel->serial ? " with serial " : "",
		 sel->serial ? sel->serial : "");
	if (sel->bus >= 0)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), " at %03d:%03d", sel->bus, sel->address);
	if (s->n == 1 && !s->c[0].err)
		return 0;
	if (s->n == 1) {
		log_err("cannot open the MCP2210 %s: %s%s", what, strerror(-s->c[0].err), access_hint(s->c[0].err));
		return s->c[0].err;
	}
	if (s->n == 0) {
		log_err("no MCP2210 %s is attached (mcp2210fs --list shows those that are)", what);
		if (s->unreadable)
			log_err("%zu device(s) %04x:%04x could not be opened to read their serial: %s%s", s->unreadable,
				sel->vid, sel->pid, strerror(-s->unreadable_err), access_hint(s->unreadable_err));
		return -ENODEV;
	}
	log_err("%zu%s devices match %s; choose one with -o serial=S or -o device=BUS:ADDR:", s->n,
		s->skipped ? " or more" : "", what);
	for (size_t i = 0; i < s->n; i++) {
		format_candidate(&s->c[i], line, sizeof(line));
		log_err("  %s", line);
	}
	return -EINVAL;
}

static int by_place(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return (x->id.bus << 8 | x->id.address) - (y->id.bus << 8 | y->id.address);
}

int transport_usb_list(const struct transport_usb_select *sel, FILE *out)
{
	const struct transport_usb_select any = { .vid = sel->vid, .pid = sel->pid, .bus = -1, .address = -1 };
	libusb_context *ctx;
	struct scan *s = malloc(sizeof(*s));
	char line[320];
	int ret;

	if (!s)
		return -ENOMEM;
	ret = context_new(&ctx);
	if (ret < 0)
		goto out;
	ret = scan(ctx, &any, s);
	if (ret == 0) {
		qsort(s->c, s->n, sizeof(s->c[0]), by_place);
		for (size_t i = 0; i < s->n; i++) {
			format_candidate(&s->c[i], line, sizeof(line));
			fprintf(out, "%s\n", line);
		}
		if (s->n == 0)
			log_warn("no MCP2210 (%04x:%04x) is attached", any.vid, any.pid);
		if (s->skipped)
			log_warn("%zu more not shown", s->skipped);
		scan_free(s);
	}
	libusb_exit(ctx);
out:
	free(s);
	return ret;
}

/* ---- the transport ------------------------------------------------------------------------- */

static void set_gone(struct transport_usb *t, bool gone)
{
	pthread_mutex_lock(&t->lock);
	atomic_store(&t->gone, gone);
	pthread_cond_broadcast(&t->changed);
	pthread_mutex_unlock(&t->lock);
}

/* An exchange saw the device go: close it now, fail fast until it is back. */
static int lost(struct transport_usb *t)
{
	if (atomic_load(&t->gone))
		return -ENODEV;
	log_warn("MCP2210 %s is gone", t->id.serial);
	close_device(t);
	set_gone(t, true);
	return -ENODEV;
}

static int ready(struct transport_usb *t)
{
	if (atomic_load(&t->gone))
		return -ENODEV;
	if (!idle(t) && reap(t) < 0)
		return -EIO;
	return 0;
}

static int usb_exchange(struct transport *base, const mcp2210_report req, mcp2210_report resp, unsigned timeout_ms)
{
	struct transport_usb *t = (struct transport_usb *)base;
	struct usb_xfer *const both[] = { &t->in, &t->out };
	uint64_t deadline = mono_after_ms(timeout_ms);
	int ret = ready(t);

	if (ret < 0)
		return ret;
	memcpy(t->out.buf, req, MCP2210_REPORT_SIZE);
	dump("OUT", req);
	t->aborts_seen = atomic_load(&t->aborts);
	t->exchange_ns = mono_now_ns();
	if (base->in_first) {
		ret = transfers(t, both, 2, deadline);
	} else {
		ret = transfers(t, &both[1], 1, deadline);
		if (ret == 0)
			ret = transfers(t, &both[0], 1, deadline);
	}
	t->exchange_ns = 0;
	if (ret == -ENODEV)
		return lost(t);
	if (ret < 0)
		return ret;
	memcpy(resp, t->in.buf, MCP2210_REPORT_SIZE);
	dump("IN", resp);
	return 0;
}

static int usb_drain(struct transport *base)
{
	struct transport_usb *t = (struct transport_usb *)base;
	int ret = ready(t);

	if (ret == 0)
		ret = drain_in(t);
	if (ret >= 0) { /* those thrown away at open count too (the device layer drains after it) */
		ret += t->stale_at_open;
		t->stale_at_open = 0;
	}
	return ret == -ENODEV ? lost(t) : ret;
}

static void usb_free(struct transport *base)
{
	struct transport_usb *t = (struct transport_usb *)base;

	if (t->hotplug)
		libusb_hotplug_deregister_callback(t->ctx, t->hotplug_handle);
	if (idle(t) || reap(t) == 0) {
		close_device(t);
		libusb_free_transfer(t->in.x);
		libusb_free_transfer(t->out.x);
		if (t->ctx)
			libusb_exit(t->ctx);
	} else {
		log_err("USB transfers still in flight at close: leaving libusb as it is");
	}
	pthread_cond_destroy(&t->changed);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The signature is libusb's libusb_hotplug_callback_fn. */
// cppcheck-suppress constParameter
static int LIBUSB_CALL on_hotplug(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event event, void *arg)
{
	struct transport_usb *t = arg;

	(void)ctx;
	if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) {
		if (t->h && dev == libusb_get_device(t->h))
			atomic_store(&t->left, true);
	} else {
		atomic_store(&t->arrived, true);
	}
	return 0; /* stay registered */
}

/* Before a value is served from the cache: take in the hotplug events that came meanwhile, so
 * that a device unplugged (and perhaps plugged back, powered up afresh) between two
 * operations is noticed rather than answered for from memory. */
static int usb_check(struct transport *base)
{
	struct transport_usb *t = (struct transport_usb *)base;
	struct timeval now = { 0, 0 };

	if (atomic_load(&t->gone))
		return -ENODEV;
	if (t->hotplug)
		libusb_handle_events_timeout_completed(t->ctx, &now, NULL);
	if (atomic_exchange(&t->left, false))
		return lost(t);
	return 0;
}

/* Arrivals wake usb_wait() at once where libusb has hotplug; elsewhere it rescans.
 * Departures are taken in by usb_check() before cached values are served. */
static void hotplug_start(struct transport_usb *t)
{
	int err;

	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		log_info("no USB hotplug events here: looking for a lost device by rescanning");
		return;
	}
	err = libusb_hotplug_register_callback(t->ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
					       0, t->id.vid, t->id.pid, LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, t,
					       &t->hotplug_handle);
	if (err < 0)
		log_info("cannot register for USB hotplug events (%s): looking for a lost device by rescanning",
			 libusb_error_name(err));
	else
		t->hotplug = true;
}

static bool usb_present(struct transport *base) { return !atomic_load(&((struct transport_usb *)base)->gone); }

static void usb_identity(struct transport *base, struct transport_identity *id)
{
	struct transport_usb *t = (struct transport_usb *)base;

	pthread_mutex_lock(&t->lock);
	*id = t->id;
	pthread_mutex_unlock(&t->lock);
}

static int usb_reconnect(struct transport *base)
{
	struct transport_usb *t = (struct transport_usb *)base;
	const struct transport_usb_select sel = {
		.vid = t->id.vid, .pid = t->id.pid, .serial = t->id.serial, .bus = -1, .address = -1
	};
	struct scan *s;
	int ret;

	if (!atomic_load(&t->gone))
		return 0;
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = scan(t->ctx, &sel, s);
	if (ret == 0 && s->n != 1) {
		if (s->n > 1)
			log_info("%zu devices with serial %s: not choosing one", s->n, sel.serial);
		ret = -ENODEV;
	}
	if (ret == 0)
		ret = s->c[0].err;
	if (ret == 0)
		ret = open_device(t, s->c[0].dev);
	if (ret == 0) {
		pthread_mutex_lock(&t->lock);
		t->id = s->c[0].id;
		pthread_mutex_unlock(&t->lock);
		set_gone(t, false);
		log_warn("MCP2210 %s is back, at %03u:%03u", t->id.serial, t->id.bus, t->id.address);
	}
	scan_free(s);
	free(s);
	return ret;
}

/* While gone, nothing is in flight: this thread may run libusb's events for the hotplug
 * callback. False if libusb failed, so that the caller falls back to sleeping. */
static bool wait_arrival(struct transport_usb *t, uint64_t deadline)
{
	while (!atomic_load(&t->arrived) && !atomic_load(&t->woken)) {
		uint64_t now = mono_now_ns();
		struct timeval tv;
		int err;

		if (now >= deadline)
			break;
		tv = ns_timeval(deadline - now);
		err = libusb_handle_events_timeout_completed(t->ctx, &tv, NULL);
		if (err < 0 && err != LIBUSB_ERROR_INTERRUPTED) {
			log_warn("waiting for USB hotplug events: %s", libusb_error_name(err));
			return false;
		}
	}
	atomic_store(&t->arrived, false);
	return true;
}

/* While present, return when the device goes or after ms; while gone, when a matching device
 * arrives (libusb hotplug, when the platform has it) or after ms. Either way the worker must
 * then look: an idle device's departure is a hotplug event only the worker takes in (it runs
 * libusb's events while the device is open), and without hotplug events only a rescan finds
 * a device that came back. */
static bool usb_wait(struct transport *base, unsigned ms)
{
	struct transport_usb *t = (struct transport_usb *)base;
	uint64_t deadline = mono_after_ms(ms);
	struct timespec ts = ns_timespec(deadline);
	bool was_gone = atomic_load(&t->gone);

	if (!(was_gone && t->hotplug && wait_arrival(t, deadline))) {
		pthread_mutex_lock(&t->lock);
		while (!atomic_load(&t->woken) && atomic_load(&t->gone) == was_gone)
			if (pthread_cond_timedwait(&t->changed, &t->lock, &ts) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&t->lock);
	}
	return !atomic_load(&t->woken);
}

static void usb_wake(struct transport *base)
{
	struct transport_usb *t = (struct transport_usb *)base;

	pthread_mutex_lock(&t->lock);
	atomic_store(&t->woken, true);
	pthread_cond_broadcast(&t->changed);
	pthread_mutex_unlock(&t->lock);
	libusb_interrupt_event_handler(t->ctx);
}

/* Any thread: wake the worker's event loop, which looks at the abort count (run_events). */
static void usb_abort(struct transport *base)
{
	struct transport_usb *t = (struct transport_usb *)base;

	atomic_fetch_add(&t->aborts, 1);
	libusb_interrupt_event_handler(t->ctx);
}

static const struct transport_ops usb_ops = {
	.name = "usb",
	.exchange = usb_exchange,
	.drain = usb_drain,
	.check = usb_check,
	.present = usb_present,
	.identity = usb_identity,
	.wait = usb_wait,
	.wake = usb_wake,
	.reconnect = usb_reconnect,
	.abort = usb_abort,
	.free = usb_free,
};

int transport_usb_new(const struct transport_usb_select *sel, struct transport **out)
{
	struct transport_usb *t = calloc(1, sizeof(*t));
	struct scan *s = malloc(sizeof(*s));
	int ret;

	*out = NULL;
	if (!t || !s) {
		free(t);
		free(s);
		return -ENOMEM;
	}
	t->base.ops = &usb_ops;
	t->base.in_first = true;
	t->base.frame_ns = MCP2210_USB_FRAME_NS;
	pthread_mutex_init(&t->lock, NULL);
	mono_cond_init(&t->changed);
	ret = context_new(&t->ctx);
	if (ret < 0)
		goto err_free;
	t->in.x = libusb_alloc_transfer(0);
	t->out.x = libusb_alloc_transfer(0);
	if (!t->in.x || !t->out.x) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = scan(t->ctx, sel, s);
	if (ret < 0)
		goto err_free;
	ret = choose(sel, s);
	if (ret >= 0) {
		t->id = s->c[ret].id;
		ret = open_device(t, s->c[ret].dev);
	}
	scan_free(s);
	if (ret < 0)
		goto err_free;
	hotplug_start(t);
	log_info("opened MCP2210 %s at %03u:%03u", t->id.serial, t->id.bus, t->id.address);
	free(s);
	*out = &t->base;
	return 0;

err_free:
	free(s);
	usb_free(&t->base);
	return ret;
}

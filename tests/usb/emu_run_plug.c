/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usb-emu-run's plugging (emu_run.h): a device enumerates as the kernel would show it, with
 * the identity its chip loaded from NVRAM (descriptors, the sysfs attributes libusb and lsusb
 * read, a /dev/bus/usb node that polls as usbfs does), and leaves again when unplugged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_run.h"
#include "util/log.h"

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
int dev_plug(struct usbemu_dev *d)
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
void dev_unplug(struct usbemu_dev *d)
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

void node_free(struct usbemu_node *n)
{
	if (n->fifo >= 0)
		close(n->fifo);
	g_queue_clear(&n->in_pending);
	free(n);
}

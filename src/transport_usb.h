/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MCP2210 on USB, through libusb: choosing the device, opening it, its identity, and
 * losing and finding it again. libusb codes never leave transport_usb.c: everything here
 * returns 0 or -errno. Create the transport only after daemonising (libusb starts threads).
 */
#ifndef MCP2210FS_TRANSPORT_USB_H
#define MCP2210FS_TRANSPORT_USB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "transport.h"

/* Which device to use. Fields left at their "any" value do not narrow the choice. */
struct transport_usb_select {
	uint16_t vid, pid;  /* MCP2210_VID_FACTORY/MCP2210_PID_FACTORY unless NVRAM changed them */
	const char *serial; /* NULL: any */
	int bus, address;   /* -1: any */
};

/* What the device says about itself; fixed until a reconnect. */
struct transport_usb_identity {
	uint16_t vid, pid;
	uint8_t bus, address;
	char manufacturer[128], product[128], serial[128];
};

/* Print one line per attached device matching sel's vid/pid: "BUS:ADDR VID:PID SERIAL PRODUCT".
 * 0, or -errno with the reason logged. */
int transport_usb_list(const struct transport_usb_select *sel, FILE *out);

/* Open the one device sel selects: none or several is an error with the candidates logged. */
int transport_usb_new(const struct transport_usb_select *sel, struct transport **out);

/* Any thread. Gone: the device went away; every exchange fails with -ENODEV at once until
 * transport_usb_reconnect() finds it again. */
bool transport_usb_gone(struct transport *t);
void transport_usb_identity(struct transport *t, struct transport_usb_identity *id);

/* Worker thread: look for a device with the lost one's VID:PID and serial and open it. 0 once
 * it is open again (or was never lost), -ENODEV while it is absent, other -errno on failure. */
int transport_usb_reconnect(struct transport *t);

/* For one helper thread. While the device is present, return when it goes or after ms; while
 * it is gone, return when a matching device arrives (libusb hotplug, when the platform has
 * it) or after ms. Returns early, now and from then on, once transport_usb_wake() was called.
 * Never at the same time as a reconnect. */
void transport_usb_wait(struct transport *t, unsigned ms);
void transport_usb_wake(struct transport *t);

#endif

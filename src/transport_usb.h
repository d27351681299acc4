/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MCP2210 on USB, through libusb: choosing the device and opening it. Once open, it is a
 * transport like any other (transport.h): its identity, losing it and finding it again are
 * operations of the table. libusb codes never leave transport_usb.c: everything here returns
 * 0 or -errno. Create the transport only after daemonising (libusb starts threads).
 */
#ifndef MCP2210FS_TRANSPORT_USB_H
#define MCP2210FS_TRANSPORT_USB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "transport.h"

/* Which device to use. Fields left at their "any" value do not narrow the choice. */
struct transport_usb_select {
	uint16_t vid, pid;  /* MCP2210_VID_FACTORY/MCP2210_PID_FACTORY unless NVRAM changed them */
	const char *serial; /* NULL: any */
	int bus, address;   /* -1: any */
};

/* Print one line per attached device matching sel's vid/pid: "BUS:ADDR VID:PID SERIAL PRODUCT".
 * 0, or -errno with the reason logged. */
int transport_usb_list(const struct transport_usb_select *sel, FILE *out);

/* Open the one device sel selects: none or several is an error with the candidates logged. */
int transport_usb_new(const struct transport_usb_select *sel, struct transport **out);

#endif

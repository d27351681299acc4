/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the device layer's files share and nothing above them uses (see device.h).
 */
#ifndef MCP2210FS_DEVICE_INTERNAL_H
#define MCP2210FS_DEVICE_INTERNAL_H

#include <assert.h>
#include <errno.h>

#include "device.h"

/* A decoder's -EPROTO (a malformed answer) is EIO at the file interface; other codes stand.
 * Every device function that decodes an answer returns through here, so callers get the final
 * -errno. What passes here is 0 or -errno, never a count: the assert tells the reader and
 * clang's analyser so, which cannot see into the callees in other files that produced it. */
static inline int device_errno(int ret)
{
	assert(ret <= 0);
	return ret == -EPROTO ? -EIO : ret;
}

/* Drop what an error may have made stale: the live settings (not the EEPROM, which only a
 * host write changes, nor the password). */
void device_forget_live(struct device *d);

/* Send 0x11 if a failed transaction's cancel was lost (spi_cancel_pending). 0 or -errno. */
int device_spi_settle(struct device *d);
/* A command the chip refuses while stuck in a transaction (SPI and chip settings): the stuck
 * transaction is cancelled first. 0 or -errno as device_command(). */
int device_settled_command(struct device *d, const mcp2210_report req, mcp2210_report resp);

#endif

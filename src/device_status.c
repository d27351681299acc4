/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the chip reports of itself: its status (0x10) and the GP6 event counter (0x12). Never
 * cached: both change without the host (see device.h).
 */
#include "device_internal.h"

int device_chip_status(struct device *d, struct mcp2210_chip_status *st)
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_get_status(req);
	ret = device_command(d, req, resp);
	return device_errno(ret < 0 ? ret : proto_decode_get_status(resp, st));
}

int device_event_count(struct device *d, bool reset, uint16_t *count)
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_get_gp6_count(req, reset);
	ret = device_command(d, req, resp);
	return device_errno(ret < 0 ? ret : proto_decode_get_gp6_count(resp, count));
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPI bus hand-over of the emulated MCP2210: the release request from another master on GP8,
 * the acknowledge on GP7, and the host's own release (0x80).
 *
 * Model (MCP2210 Evaluation Kit User's Guide DS52057A p. 18; datasheet DS22288A p. 57 for 0x80,
 * p. 59 for the 0x10 fields): with GP8 in its dedicated function, a request from an external
 * master makes the chip complete the current SPI transaction (or the host cancels it with
 * 0x11), release the bus and signal this on GP7; the external master keeps the bus as long as
 * it holds GP8 asserted, and 0x42 answers 0xF7 meanwhile (p. 55, figure 3-23).
 * Decisions where the documents are silent:
 * - GP8 is active low: 0x10 byte 2 reads 0x00 for "pending", as the pin would read; the line
 *   idles high (the emulated board pulls it up, see emu_new()).
 * - "Complete the transaction" means as the host sees it: the bus changes hands once the
 *   engine is idle (the host got its 0x10 answer or sent 0x11), never with received bytes
 *   still in the chip. A host that never finishes keeps the bus until it cancels.
 * - The acknowledge on GP7 (when dedicated) is active low like the request: low while the
 *   external master holds the bus granted this way, high again when it lets go. 0x80 byte 1
 *   still sets the pin's level directly.
 * - A request on GP8 that is not in its dedicated function is not seen: the external master,
 *   waiting for its acknowledge, never takes the bus.
 */
#include "emu/emu_internal.h"

enum { GP_ACK = 7, GP_REQ = 8 };

bool emu_bus_request_pending(const struct emu *e)
{
	return e->live.pin_function[GP_REQ] == MCP2210_PIN_DEDICATED && !(e->external >> GP_REQ & 1u);
}

void emu_bus_sync(struct emu *e)
{
	bool request = emu_bus_request_pending(e);

	if (request && !e->external_master && !e->engine.active) {
		e->external_master = true;
		e->bus_held = false;
		e->gp7_ack = false;
	} else if (!request && e->external_master) {
		e->external_master = false;
		e->gp7_ack = true;
	}
}

/* 0x80 (p. 57): the host gives the bus up (0x00), or cannot while a transfer runs (0xF8);
 * byte 1 is the level for GP7 when it is the acknowledge pin. */
void emu_bus_release_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	uint8_t cmd = proto_cmd(req);
	bool ack;

	if (proto_parse_request_bus_release(req, &ack) < 0) {
		proto_answer_status(resp, cmd, MCP2210_STATUS_UNKNOWN_COMMAND);
		return;
	}
	if (e->engine.active) {
		proto_answer_status(resp, cmd, MCP2210_STATUS_BUSY);
		return;
	}
	e->bus_held = false;
	e->gp7_ack = ack;
	proto_answer_status(resp, cmd, MCP2210_STATUS_OK);
}

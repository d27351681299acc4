/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated SPI engine: SPI transfer settings (0x40/0x41) and transactions (0x42).
 * A transaction of N bytes asserts the chip selects, clocks each 0x42 chunk at the bit rate
 * with the configured delays, and hands the received bytes back one answer late: the answer
 * to a chunk carries only what was clocked before that chunk arrived.
 */
#include <string.h>

#include "emu/emu_internal.h"

static uint64_t delay_ns(const struct emu *e, uint16_t units)
{
	return e->cfg.frame_ns ? units * EMU_DELAY_UNIT_NS : 0;
}

/* Time at which the last byte of the current chunk has been clocked. */
static uint64_t chunk_end(const struct emu_spi_engine *g)
{
	uint32_t len = g->sent - g->chunk_first;

	if (g->stalled)
		return UINT64_MAX;
	if (len == 0)
		return g->chunk_start_ns;
	return g->chunk_start_ns + len * g->byte_ns + (len - 1) * g->gap_ns;
}

/* Bytes of the transaction fully clocked by time t. */
static uint32_t clocked_by(const struct emu_spi_engine *g, uint64_t t)
{
	uint32_t len = g->sent - g->chunk_first;
	uint64_t per = g->byte_ns + g->gap_ns;
	uint64_t n;

	if (g->stalled || t < g->chunk_start_ns + g->byte_ns)
		return g->chunk_first;
	if (per == 0)
		return g->sent;
	n = (t - g->chunk_start_ns - g->byte_ns) / per + 1;
	return g->chunk_first + (uint32_t)(n < len ? n : len);
}

uint8_t emu_spi_bus_owner(const struct emu *e)
{
	if (e->external_master)
		return MCP2210_BUS_OWNER_EXTERNAL;
	if (e->engine.active || e->bus_held)
		return MCP2210_BUS_OWNER_BRIDGE;
	return MCP2210_BUS_OWNER_NONE;
}

static void release_cs(struct emu *e, uint64_t at_ns)
{
	e->engine.cs_asserted = false;
	emu_gpio_cs_update(e, at_ns);
}

void emu_spi_reset(struct emu *e)
{
	struct emu_spi_engine *g = &e->engine;

	if (g->cs_asserted)
		release_cs(e, e->now_ns);
	g->active = false;
	g->orphaned = false;
	g->stalled = false;
	g->total = g->sent = g->delivered = g->chunk_first = 0;
}

/* CS goes idle once the last byte and the data-to-CS delay are over. */
void emu_spi_sync(struct emu *e)
{
	struct emu_spi_engine *g = &e->engine;

	if (g->active && g->cs_asserted && g->sent == g->total && !g->stalled && e->now_ns >= g->release_ns) {
		release_cs(e, g->release_ns);
		e->bus_held = e->live.spi_bus_hold;
	}
}

void emu_spi_cancel(struct emu *e)
{
	emu_spi_reset(e);
	e->bus_held = false;
}

/* Every selected peripheral sees MOSI; MISO is their wired AND, pulled up when none drives. */
static uint8_t clock_byte(struct emu *e, uint8_t mosi, uint64_t at_ns)
{
	uint8_t miso = 0xFF;

	for (unsigned cs = 0; cs < EMU_CS_LINES; cs++)
		if (e->selected & (1u << cs))
			miso &= e->periph[cs]->ops->transfer(e->periph[cs], mosi, at_ns);
	return miso;
}

static void start_transaction(struct emu *e)
{
	struct emu_spi_engine *g = &e->engine;

	g->active = true;
	g->total = e->spi.bytes_per_transaction;
	g->sent = g->delivered = g->chunk_first = 0;
	g->byte_ns = e->cfg.frame_ns ? (8000000000ull + e->spi.bitrate - 1) / e->spi.bitrate : 0;
	g->gap_ns = delay_ns(e, e->spi.delay_between_bytes);
	g->chunk_start_ns = e->now_ns + delay_ns(e, e->spi.delay_cs_to_data);
	g->cs_asserted = true;
	emu_gpio_cs_update(e, e->now_ns);
}

/* Take a chunk from the host and clock it. Bytes beyond the transaction's N are dropped (what
 * the chip does with them is not documented; the driver never sends them). */
static void accept_chunk(struct emu *e, const struct mcp2210_spi_chunk *tx)
{
	struct emu_spi_engine *g = &e->engine;
	uint32_t n = tx->len;
	uint64_t per = g->byte_ns + g->gap_ns;

	if (g->sent > 0) {
		uint64_t next = chunk_end(g) + g->gap_ns;
		g->chunk_start_ns = next > e->now_ns ? next : e->now_ns;
	}
	if (n > g->total - g->sent)
		n = g->total - g->sent;
	g->chunk_first = g->sent;
	for (uint32_t i = 0; i < n; i++)
		g->rx[g->sent + i] = clock_byte(e, tx->data[i], g->chunk_start_ns + i * per);
	g->sent += n;
	e->counters.spi_bytes += n;
	if (e->faults.armed[EMU_FAULT_SPI_STALL]) {
		e->faults.armed[EMU_FAULT_SPI_STALL] = 0;
		e->counters.faults++;
		g->stalled = true;
	}
	if (g->sent == g->total)
		g->release_ns = chunk_end(g) + delay_ns(e, e->spi.delay_data_to_cs);
}

/* Hand back what was clocked before `upto`, at most one report's worth. */
static void answer_received(struct emu *e, uint32_t upto, mcp2210_report resp)
{
	struct emu_spi_engine *g = &e->engine;
	struct mcp2210_spi_chunk rx = { 0 };
	uint32_t m = upto - g->delivered;

	if (m > MCP2210_SPI_CHUNK_MAX)
		m = MCP2210_SPI_CHUNK_MAX;
	rx.len = (uint8_t)m;
	memcpy(rx.data, g->rx + g->delivered, m);
	g->delivered += m;
	if (g->delivered == g->total && !g->cs_asserted) {
		rx.engine = MCP2210_ENGINE_FINISHED;
		g->active = false;
	} else {
		rx.engine = g->delivered ? MCP2210_ENGINE_PENDING : MCP2210_ENGINE_STARTED;
	}
	proto_answer_spi_transfer(resp, &rx);
}

static void transfer_cmd(struct emu *e, const struct mcp2210_spi_chunk *tx, mcp2210_report resp)
{
	struct emu_spi_engine *g = &e->engine;
	const uint8_t cmd = MCP2210_CMD_SPI_TRANSFER;

	if (!g->active) {
		if (tx->len == 0) {
			struct mcp2210_spi_chunk none = { .engine = MCP2210_ENGINE_FINISHED };
			proto_answer_spi_transfer(resp, &none);
			return;
		}
		if (e->external_master) {
			proto_answer_status(resp, cmd, MCP2210_STATUS_BUS_NOT_AVAILABLE);
			return;
		}
		start_transaction(e);
		accept_chunk(e, tx);
		answer_received(e, 0, resp);
		return;
	}
	if (g->orphaned) {
		proto_answer_status(resp, cmd, MCP2210_STATUS_BUSY);
		return;
	}
	if (tx->len == 0) {
		answer_received(e, clocked_by(g, e->now_ns), resp);
		return;
	}
	/* One buffer: a new chunk waits until the last one is on the wire and N is not reached. */
	if (g->sent == g->total || clocked_by(g, e->now_ns) < g->sent) {
		proto_answer_status(resp, cmd, MCP2210_STATUS_BUSY);
		return;
	}
	uint32_t before = g->sent;
	accept_chunk(e, tx);
	answer_received(e, before, resp);
}

void emu_spi_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	uint8_t cmd = proto_cmd(req);
	struct mcp2210_spi_settings ss;
	struct mcp2210_spi_chunk tx;

	switch (cmd) {
	case MCP2210_CMD_SET_SPI_SETTINGS:
		if (e->engine.active) {
			proto_answer_status(resp, cmd, MCP2210_STATUS_BUSY);
			return;
		}
		if (proto_parse_set_spi_settings(req, &ss) < 0)
			break;
		e->spi = ss;
		emu_gpio_cs_update(e, e->now_ns); /* the idle levels may have moved */
		proto_answer_spi_settings(resp, cmd, &e->spi);
		return;
	case MCP2210_CMD_GET_SPI_SETTINGS:
		proto_answer_spi_settings(resp, cmd, &e->spi);
		return;
	case MCP2210_CMD_SPI_TRANSFER:
		if (proto_parse_spi_transfer(req, &tx) < 0)
			break;
		transfer_cmd(e, &tx, resp);
		return;
	default:
		break;
	}
	proto_answer_status(resp, cmd, MCP2210_STATUS_UNKNOWN_COMMAND);
}

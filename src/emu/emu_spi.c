/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated SPI engine: SPI transfer settings (0x40/0x41) and transactions (0x42).
 * A transaction of N bytes asserts the chip selects, clocks each 0x42 chunk at the bit rate
 * with the configured delays, and hands the received bytes back one answer late: the answer
 * to a chunk carries the whole previous chunk, taken only once that one was clocked (0xF8
 * before). The order of the answers is the datasheet's flowchart, see transfer_cmd().
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

/*
 * The bit rate the chip runs for a requested one. The sheet gives only the range, "1500 bps up
 * to 12 Mbps" (DS22288A p. 1), and no rule; the public evidence is a report that the 0x40 echo
 * differs from the request below about 10 kHz and a configurator for the chip that offers only
 * rates of the form 12 MHz / n. Our model: the SPI clock is 12 MHz divided by a whole n,
 * 1 <= n <= 8000 (12 MHz / 8000 = 1500 bit/s, the sheet's minimum); the chip answers the
 * rate in whole bit/s rounded down and takes the fastest one whose answer is not above the
 * request (a part is never clocked a whole bit/s faster than asked), so a faster request is
 * capped at 12 Mbit/s and one below 1500 bit/s gets 1500. The answer maps to itself when
 * sent again.
 * Real silicon may offer fewer divisors (the configurator's list has gaps): the daemon takes
 * whatever rate the chip answers. (doc/protocol.md, "Where the datasheet is silent".)
 */
#define EMU_SPI_CLOCK_HZ 12000000u
#define EMU_SPI_DIVIDER_MAX 8000u

uint32_t emu_spi_bitrate(uint32_t requested)
{
	uint32_t n;

	if (requested >= EMU_SPI_CLOCK_HZ)
		return EMU_SPI_CLOCK_HZ;
	n = EMU_SPI_CLOCK_HZ / (requested + 1) + 1; /* smallest n with 12 MHz / n < requested + 1 */
	if (n > EMU_SPI_DIVIDER_MAX)
		n = EMU_SPI_DIVIDER_MAX;
	return EMU_SPI_CLOCK_HZ / n;
}

/*
 * What the chip keeps of an SPI settings structure it is sent. The sheet has no answer for a
 * bad value in 0x40 or 0x60/0x10 (p. 37: success with the echo; p. 16: 0xF8 and 0xFB; 0xF9 is
 * for unknown command codes), so every value is taken:
 * - chip-select fields: all 16 bits kept as written (a real chip's NVRAM dump keeps `ff ff`);
 *   the pins follow bits 0..8;
 * - bit rate: live (0x40, and at power-up) the rate of emu_spi_bitrate(); in NVRAM
 *   (0x60/0x10) as written but held to 1500..12 000 000 (our choice: no evidence);
 * - bytes per transaction: kept, 0 included (a 0x42 then takes no data and the transaction
 *   ends at once, see transfer_cmd());
 * - mode: its two low bits (our choice: the sheet lists 0..3 and nothing else).
 */
void emu_spi_settings_take(struct mcp2210_spi_settings *ss, bool live)
{
	if (live)
		ss->bitrate = emu_spi_bitrate(ss->bitrate);
	else if (ss->bitrate < MCP2210_BITRATE_MIN)
		ss->bitrate = MCP2210_BITRATE_MIN;
	else if (ss->bitrate > MCP2210_BITRATE_MAX)
		ss->bitrate = MCP2210_BITRATE_MAX;
	ss->mode &= 0x03;
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

/* Take a chunk from the host and clock it. Bytes beyond the transaction's N are dropped
 * unclocked (see transfer_cmd()). */
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

/* Hand back the received bytes not handed back yet, at most one report's worth, under the
 * engine status the flowchart gives this answer. Called only when every byte taken so far was
 * clocked, so the answer to a chunk carries the whole previous chunk, never part of one. */
static void answer_received(struct emu *e, uint8_t engine, mcp2210_report resp)
{
	struct emu_spi_engine *g = &e->engine;
	struct mcp2210_spi_chunk rx = { .engine = engine };
	uint32_t m = g->sent - g->delivered;

	if (m > MCP2210_SPI_CHUNK_MAX)
		m = MCP2210_SPI_CHUNK_MAX;
	rx.len = (uint8_t)m;
	memcpy(rx.data, g->rx + g->delivered, m);
	g->delivered += m;
	if (engine == MCP2210_ENGINE_FINISHED) {
		if (g->delivered < g->total) /* cannot happen with a one-chunk lag; never lose bytes */
			rx.engine = MCP2210_ENGINE_PENDING;
		else
			g->active = false;
	}
	proto_answer_spi_transfer(resp, &rx);
}

/* Still clocking what it has (or the data-to-CS delay, or stalled): "cannot accept data". */
static bool engine_busy(const struct emu *e)
{
	const struct emu_spi_engine *g = &e->engine;

	return g->stalled || clocked_by(g, e->now_ns) < g->sent || (g->sent == g->total && g->cs_asserted);
}

/*
 * 0x42, in the order of the datasheet's flowchart (DS22288A p. 55, figure 3-23):
 * 1. an external master owns the bus: 0xF7, whatever else is going on;
 * 2. no transfer going on: "SPI data accepted, the transfer will start afterwards", 0x20 with
 *    no data. That is also the flowchart's answer to n = 0 with no transfer going on; with no
 *    data to clock we start nothing (CS stays idle) - the sheet does not say whether the chip
 *    asserts CS for an empty start, and a host polling once too often must not hold a part
 *    selected. A transaction with bytes-per-transaction 0 takes no data and ends at once;
 * 3. the transfer ended (all N bytes clocked, CS released): 0x10 with the last received bytes;
 * 4. the engine waits for more data (everything taken so far is clocked): 0x30 with what the
 *    previous chunk received, and this request's data is taken and clocked;
 * 5. otherwise (still clocking): 0xF8, "cannot accept any data for the moment", for a chunk and
 *    for an n = 0 poll alike - a poll never returns part of a chunk.
 * The flowchart asks the same questions whatever n is, so once all N bytes were sent a further
 * 0x42 with data is answered like an n = 0 poll (0xF8 while clocking, then 0x10 with the
 * received bytes). Public libraries rely on that on silicon (one reads a 25LC020A EEPROM this
 * way and verifies the data). What silicon does with the surplus bytes is not documented: we
 * drop them unclocked, with CS left idle; a new transaction starts only with the next 0x42
 * after the 0x10. (doc/protocol.md, "The SPI transfer engine" and the emulator's choices.)
 */
static void transfer_cmd(struct emu *e, const struct mcp2210_spi_chunk *tx, mcp2210_report resp)
{
	struct emu_spi_engine *g = &e->engine;
	const uint8_t cmd = MCP2210_CMD_SPI_TRANSFER;

	if (e->external_master) {
		proto_answer_status(resp, cmd, MCP2210_STATUS_BUS_NOT_AVAILABLE);
		return;
	}
	if (!g->active) {
		struct mcp2210_spi_chunk none = { .engine = MCP2210_ENGINE_STARTED };

		proto_answer_spi_transfer(resp, &none);
		if (tx->len > 0) {
			start_transaction(e);
			accept_chunk(e, tx);
		}
		return;
	}
	if (g->orphaned || engine_busy(e)) {
		proto_answer_status(resp, cmd, MCP2210_STATUS_BUSY);
		return;
	}
	if (g->sent == g->total) {
		answer_received(e, MCP2210_ENGINE_FINISHED, resp);
		return;
	}
	answer_received(e, MCP2210_ENGINE_PENDING, resp);
	if (tx->len > 0)
		accept_chunk(e, tx);
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
		emu_spi_settings_take(&ss, true);
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

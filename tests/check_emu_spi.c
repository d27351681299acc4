/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated chip's SPI engine (0x42) as doc/protocol.md describes it: chunked transfers
 * with lagging received data, exactly N bytes back, chip selects held for the whole
 * transaction, 0xF8/0xF7/0x11 behaviour, and the peripherals reached through it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_fixture.h"
#include "check_main.h"

#define CS_FLASH 0
#define CS_LOOP 1
#define CS_SHIFT 2

static struct emu *loop_emu(uint64_t frame_ns)
{
	struct emu *e = fx_emu_new(frame_ns);

	ck_assert_int_eq(emu_attach_spec(e, EMU_DEFAULT_PERIPHERALS), 0);
	fx_use_cs(e, 1u << CS_FLASH | 1u << CS_LOOP | 1u << CS_SHIFT);
	fx_spi_setup(e, 12000000, 0, 1u << CS_LOOP, 4);
	return e;
}

static void fill_pattern(uint8_t *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

/* Loopback transactions of the sheet's interesting lengths come back byte-exact, within
 * ceil(N/60) + 1 transfer exchanges. */
static const size_t loop_lengths[] = { 1, 59, 60, 61, 1000, 65535 };

START_TEST(test_loopback_lengths)
{
	size_t n = loop_lengths[_i];
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	uint8_t *tx = malloc(n), *rx = calloc(1, n);
	struct spi_xfer_stats st = { 0 };

	ck_assert_ptr_nonnull(tx);
	ck_assert_ptr_nonnull(rx);
	fill_pattern(tx, n, (unsigned)n);
	ck_assert_int_eq(fx_spi_xfer(e, tx, rx, n, &st), (long)n);
	ck_assert_mem_eq(rx, tx, n);
	ck_assert_uint_le(st.exchanges, (n + 59) / 60 + 1);
	ck_assert_uint_eq(st.busy, 0);
	free(tx);
	free(rx);
	emu_free(e);
}
END_TEST

/* The first answer of a transaction says "started, no data yet", and data lags by a chunk. */
START_TEST(test_first_answer_has_no_data)
{
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	uint8_t tx[120], rx[120];
	struct spi_xfer_stats st = { 0 };

	fill_pattern(tx, sizeof(tx), 3);
	ck_assert_int_eq(fx_spi_xfer(e, tx, rx, sizeof(tx), &st), (long)sizeof(tx));
	ck_assert_uint_eq(st.first_engine, MCP2210_ENGINE_STARTED);
	ck_assert_uint_eq(st.first_len, 0);
	ck_assert_uint_eq(st.exchanges, 3);
	emu_free(e);
}
END_TEST

/* Raw bytes of a two-chunk transaction: 0x20 then 0x30 with the first chunk, then 0x10. */
START_TEST(test_engine_status_sequence)
{
	struct emu *e = loop_emu(0);
	uint8_t data[60];
	mcp2210_report req, resp;

	fx_spi_setup(e, 12000000, 0, 1u << CS_LOOP, 70);
	fill_pattern(data, sizeof(data), 9);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 60), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	ck_assert_uint_eq(resp[2], 0);
	ck_assert_uint_eq(resp[3], 0x20);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 10), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[2], 60);
	ck_assert_uint_eq(resp[3], 0x30);
	ck_assert_mem_eq(resp + 4, data, 60);
	ck_assert_int_eq(proto_encode_spi_transfer(req, NULL, 0), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[2], 10);
	ck_assert_uint_eq(resp[3], 0x10);
	ck_assert_mem_eq(resp + 4, data, 10);
	emu_free(e);
}
END_TEST

/* A peripheral that records its chip-select edges and the bytes it saw. */
struct recorder {
	struct emu_periph base;
	unsigned selects, deselects, bytes, bytes_at_deselect;
};

static void rec_select(struct emu_periph *p, unsigned mode, uint64_t now) { ((struct recorder *)p)->selects++; }
static uint8_t rec_transfer(struct emu_periph *p, uint8_t mosi, uint64_t now)
{
	((struct recorder *)p)->bytes++;
	return (uint8_t)~mosi;
}
static void rec_deselect(struct emu_periph *p, uint64_t now)
{
	struct recorder *r = (struct recorder *)p;

	r->deselects++;
	r->bytes_at_deselect = r->bytes;
}
static int rec_describe(const struct emu_periph *p, uint64_t now, char *buf, size_t size) { return 0; }
static void rec_free(struct emu_periph *p) { (void)p; }

static const struct emu_periph_ops rec_ops = {
	"recorder", rec_select, rec_transfer, rec_deselect, rec_describe, rec_free,
};

/* CS stays asserted for the whole transaction: one select, one deselect after byte N, and the
 * pin shows the active level in between. */
START_TEST(test_cs_held_for_transaction)
{
	struct emu *e = fx_emu_new(EMU_DEFAULT_FRAME_NS);
	struct recorder rec = { .base = { &rec_ops } };
	uint8_t tx[1000], rx[1000], inv[1000];
	mcp2210_report req, resp;

	ck_assert_int_eq(emu_attach(e, 4, &rec.base), 0);
	fx_use_cs(e, 1u << 4);
	fx_spi_setup(e, 12000000, 0, 1u << 4, sizeof(tx));
	ck_assert_uint_eq(rec.selects, 0);
	ck_assert_uint_eq(emu_pin_levels(e) >> 4 & 1, 1);

	fill_pattern(tx, sizeof(tx), 1);
	ck_assert_int_eq(proto_encode_spi_transfer(req, tx, 60), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(rec.selects, 1);
	ck_assert_uint_eq(emu_pin_levels(e) >> 4 & 1, 0);
	/* finish it with the reference host */
	ck_assert_int_eq(emu_exchange(e, (proto_encode_cancel_spi(req), req), resp, EMU_IN_FIRST), 0);
	ck_assert_uint_eq(rec.deselects, 1);
	ck_assert_uint_eq(emu_pin_levels(e) >> 4 & 1, 1);

	ck_assert_int_eq(fx_spi_transfer(e, tx, rx, sizeof(tx), NULL), (long)sizeof(tx));
	for (size_t i = 0; i < sizeof(tx); i++)
		inv[i] = (uint8_t)~tx[i];
	ck_assert_mem_eq(rx, inv, sizeof(rx));
	ck_assert_uint_eq(rec.selects, 2);
	ck_assert_uint_eq(rec.deselects, 2);
	ck_assert_uint_eq(rec.bytes_at_deselect, 60 + sizeof(tx));
	emu_free(e);
}
END_TEST

/* Active-high chip selects: a peripheral is selected while its line is low, so with idle low
 * it is selected between transactions and released during them. */
START_TEST(test_cs_polarity_from_masks)
{
	struct emu *e = fx_emu_new(0);
	struct recorder rec = { .base = { &rec_ops } };
	struct mcp2210_spi_settings ss = { .bitrate = 1000000, .cs_idle = 0, .cs_active = 1u << 5, .bytes_per_transaction = 2 };
	mcp2210_report req, resp;
	uint8_t tx[2] = { 1, 2 }, rx[2];

	ck_assert_int_eq(emu_attach(e, 5, &rec.base), 0);
	fx_use_cs(e, 1u << 5);
	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ss), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(rec.selects, 1);
	ck_assert_int_eq(fx_spi_transfer(e, tx, rx, 2, NULL), 2);
	ck_assert_uint_eq(rec.deselects, 1);
	ck_assert_uint_eq(rec.selects, 2);
	ck_assert_uint_eq(rec.bytes, 0);
	emu_free(e);
}
END_TEST

/* "Bytes per SPI transaction" decides where CS is released: two transactions of 3 bytes
 * select the part twice even though the host has 6 bytes to send. */
START_TEST(test_bytes_per_transaction_respected)
{
	struct emu *e = fx_emu_new(0);
	struct recorder rec = { .base = { &rec_ops } };
	uint8_t tx[6] = { 1, 2, 3, 4, 5, 6 }, rx[6];

	ck_assert_int_eq(emu_attach(e, 0, &rec.base), 0);
	fx_use_cs(e, 1);
	fx_spi_setup(e, 1000000, 0, 1, 3);
	ck_assert_int_eq(fx_spi_transfer(e, tx, rx, 3, NULL), 3);
	ck_assert_int_eq(fx_spi_transfer(e, tx + 3, rx + 3, 3, NULL), 3);
	ck_assert_uint_eq(rec.selects, 2);
	ck_assert_uint_eq(rec.deselects, 2);
	ck_assert_uint_eq(rec.bytes, 6);
	emu_free(e);
}
END_TEST

/* At 100 kbit/s a 60-byte chunk takes 4.8 ms on the wire: the next chunk is refused with 0xF8
 * until the engine is free, and the data still arrives complete. */
START_TEST(test_slow_clock_busy)
{
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	uint8_t tx[600], rx[600];
	struct spi_xfer_stats st = { 0 };
	uint64_t t0;

	fx_spi_setup(e, 100000, 0, 1u << CS_LOOP, sizeof(tx));
	fill_pattern(tx, sizeof(tx), 5);
	t0 = emu_now(e);
	ck_assert_int_eq(fx_spi_transfer(e, tx, rx, sizeof(tx), &st), (long)sizeof(tx));
	ck_assert_mem_eq(rx, tx, sizeof(tx));
	ck_assert_uint_gt(st.busy, 0);
	/* 600 bytes * 80 us per byte = 48 ms of clocking at least */
	ck_assert_uint_ge(emu_now(e) - t0, 48000000ull);
	emu_free(e);
}
END_TEST

/* The configured delays add to the transaction's duration (100 us units). */
START_TEST(test_delays_take_time)
{
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	struct mcp2210_spi_settings ss = { .bitrate = 12000000, .cs_idle = 0x1FF, .cs_active = 0x1FF & ~(1u << CS_LOOP),
					   .delay_cs_to_data = 50, .delay_data_to_cs = 50, .delay_between_bytes = 10,
					   .bytes_per_transaction = 4 };
	mcp2210_report req, resp;
	uint8_t tx[4] = { 1, 2, 3, 4 }, rx[4];
	uint64_t t0;

	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ss), 0);
	fx_xchg(e, req, resp);
	t0 = emu_now(e);
	ck_assert_int_eq(fx_spi_transfer(e, tx, rx, 4, NULL), 4);
	ck_assert_mem_eq(rx, tx, 4);
	/* 5 ms + 3 * 1 ms + 5 ms */
	ck_assert_uint_ge(emu_now(e) - t0, 13000000ull);
	emu_free(e);
}
END_TEST

/* While a transaction is open the chip refuses new SPI settings (live and power-up) and bus
 * release with 0xF8, and answers reads. */
START_TEST(test_busy_while_transaction_open)
{
	struct emu *e = loop_emu(0);
	struct mcp2210_spi_settings ss;
	mcp2210_report req, resp;
	uint8_t data[60] = { 0 };

	fx_spi_setup(e, 12000000, 0, 1u << CS_LOOP, 120);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 60), 0);
	fx_xchg(e, req, resp);
	proto_encode_get_spi_settings(req);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_get_spi_settings(resp, &ss), 0);
	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ss), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0xF8);
	proto_encode_request_bus_release(req, false);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0xF8);
	ck_assert_int_eq(proto_encode_set_nvram_spi(req, &ss), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0xF8); /* p. 16 */
	/* What the daemon runs in a transaction's idle time: pages 48, 50, 53, 39, 23 list no
	 * busy answer for these reads, and the chip answers them. */
	proto_encode_get_gpio_values(req);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	proto_encode_read_eeprom(req, 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	proto_encode_get_gp6_count(req, false);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	proto_encode_get_chip_settings(req);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	ck_assert_int_eq(proto_encode_get_nvram(req, MCP2210_NVRAM_CHIP), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	proto_encode_get_status(req);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[3], 1); /* the bridge owns the bus */
	proto_encode_cancel_spi(req);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	ck_assert_uint_eq(resp[3], 0);
	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ss), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	emu_free(e);
}
END_TEST

/* A host that vanished mid-transfer leaves the engine stuck: 0xF8 for everything SPI, even a
 * fresh chunk, until 0x11; then transfers work again. */
START_TEST(test_orphaned_transfer_needs_cancel)
{
	struct emu *e = loop_emu(0);
	uint8_t data[60] = { 0 }, tx[4] = { 9, 8, 7, 6 }, rx[4];
	mcp2210_report req, resp;

	fx_spi_setup(e, 12000000, 0, 1u << CS_LOOP, 120);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 60), 0);
	fx_xchg(e, req, resp);
	emu_host_vanished(e);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 60), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0xF8);
	ck_assert_int_eq(proto_encode_spi_transfer(req, NULL, 0), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0xF8);
	proto_encode_cancel_spi(req);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0x00);
	ck_assert_int_eq(fx_spi_xfer(e, tx, rx, 4, NULL), 4);
	ck_assert_mem_eq(rx, tx, 4);
	emu_free(e);
}
END_TEST

/* A stalled engine never reports 0x10 and never returns all bytes; 0x11 recovers it. */
START_TEST(test_stall_then_cancel)
{
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	struct mcp2210_spi_chunk rx;
	uint8_t data[60] = { 1 }, tx[4] = { 1, 2, 3, 4 }, back[4];
	mcp2210_report req, resp;

	fx_spi_setup(e, 12000000, 0, 1u << CS_LOOP, 60);
	emu_fault_arm(e, EMU_FAULT_SPI_STALL, 1);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 60), 0);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_encode_spi_transfer(req, NULL, 0), 0);
	for (int i = 0; i < 50; i++) { /* still clocking, for ever: "cannot accept data" */
		fx_xchg(e, req, resp);
		fx_expect(resp, 0x42, 0xF8);
		ck_assert_int_eq(proto_decode_spi_transfer(resp, &rx), -EAGAIN);
	}
	proto_encode_cancel_spi(req);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(fx_spi_xfer(e, tx, back, 4, NULL), 4);
	ck_assert_mem_eq(back, tx, 4);
	emu_free(e);
}
END_TEST

START_TEST(test_external_master_refuses_transfer)
{
	struct emu *e = loop_emu(0);
	uint8_t data[4] = { 0 };
	mcp2210_report req, resp;

	fx_designate(e, 8, MCP2210_PIN_DEDICATED); /* the bus release request pin */
	emu_set_external_master(e, true);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 4), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[1], 0xF7);
	proto_encode_get_status(req);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[3], 2);
	emu_set_external_master(e, false);
	ck_assert_int_eq(fx_spi_xfer(e, data, data, 4, NULL), 4);
	emu_free(e);
}
END_TEST

/* ---- the datasheet's flowchart (DS22288A p. 55) and the issue 11 inputs ------------------ */

/* Item 1: N = 4, `42 04 00 00 a5 5a 00 ff` answers `42 00 00 20`; the same request again,
 * once the bytes are clocked, answers like an n = 0 poll: 0x10 with the 4 received bytes (the
 * surplus data is dropped). The next one starts a new transaction. */
START_TEST(test_data_after_last_byte)
{
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	struct emu_counters c0, c1;
	mcp2210_report resp;

	fx_spi_setup(e, 12000000, 0, 1u << CS_LOOP, 4);
	FX_RAW(e, resp, 0x42, 0x04, 0x00, 0x00, 0xA5, 0x5A, 0x00, 0xFF);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[2], 0);
	ck_assert_uint_eq(resp[3], 0x20);
	emu_counters_get(e, &c0);
	FX_RAW(e, resp, 0x42, 0x04, 0x00, 0x00, 0xA5, 0x5A, 0x00, 0xFF);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[2], 4);
	ck_assert_uint_eq(resp[3], 0x10);
	ck_assert_mem_eq(resp + 4, ((const uint8_t[]){ 0xA5, 0x5A, 0x00, 0xFF }), 4);
	emu_counters_get(e, &c1);
	ck_assert_uint_eq(c1.spi_bytes, c0.spi_bytes); /* the surplus was not clocked */
	ck_assert_uint_eq(emu_pin_levels(e) >> CS_LOOP & 1, 1);
	FX_RAW(e, resp, 0x42, 0x04, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[3], 0x20);
	emu_free(e);
}
END_TEST

/* Item 1, the 2-then-9 pattern: N = 11 sent as 2 then 9 bytes, then more 0x42 with data until
 * the engine says 0x10, as public libraries do on silicon: all 11 bytes come back, no 0xF8
 * loop. Without timing and with 1 ms frames alike. */
START_TEST(test_two_then_nine)
{
	static const uint8_t nine[9] = { 0x03, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16 };
	struct emu *e = loop_emu(_i ? EMU_DEFAULT_FRAME_NS : 0);
	uint8_t got[11];
	size_t n = 0;
	mcp2210_report resp;
	int i;

	fx_spi_setup(e, 12000000, 0, 1u << CS_LOOP, 11);
	FX_RAW(e, resp, 0x42, 0x02, 0x00, 0x00, 0xD1, 0xD2);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[3], 0x20);
	for (i = 0; i < 10 && resp[3] != 0x10; i++) {
		FX_RAW(e, resp, 0x42, 0x09, 0x00, 0x00, 0x03, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16);
		fx_expect(resp, 0x42, 0x00);
		ck_assert_uint_le(n + resp[2], sizeof(got));
		memcpy(got + n, resp + 4, resp[2]);
		n += resp[2];
	}
	ck_assert_uint_eq(resp[3], 0x10);
	ck_assert_int_eq(i, 2); /* 0x30 with the first 2 bytes, then 0x10 with the 9 */
	ck_assert_uint_eq(n, 11);
	ck_assert_mem_eq(got, ((const uint8_t[]){ 0xD1, 0xD2 }), 2);
	ck_assert_mem_eq(got + 2, nine, 9);
	emu_free(e);
}
END_TEST

/* Item 6: a poll while the engine still clocks answers 0xF8, never part of a chunk; then 0x10
 * with the whole chunk. At 100 kbit/s 60 bytes take 4.8 ms, about five 1 ms frames. */
START_TEST(test_poll_while_clocking)
{
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	uint8_t tx[60];
	mcp2210_report req, resp;
	unsigned busy = 0;

	fx_spi_setup(e, 100000, 0, 1u << CS_LOOP, 60);
	fill_pattern(tx, sizeof(tx), 21);
	ck_assert_int_eq(proto_encode_spi_transfer(req, tx, 60), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[3], 0x20);
	ck_assert_int_eq(proto_encode_spi_transfer(req, NULL, 0), 0);
	for (int i = 0; i < 20; i++) {
		fx_xchg(e, req, resp);
		if (resp[1] != 0xF8)
			break;
		busy++;
	}
	ck_assert_uint_ge(busy, 3);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[3], 0x10);
	ck_assert_uint_eq(resp[2], 60);
	ck_assert_mem_eq(resp + 4, tx, 60);
	emu_free(e);
}
END_TEST

/* Item 6, the flowchart's order: an external master holding the bus is answered 0xF7 first,
 * even for n = 0; 0x42 with n = 0 and no transfer going on is "data accepted, the transfer
 * will start" (0x20), and with nothing to clock no chip select moves. The external master gets
 * the bus through GP8 only between transactions (item 12, DS52057A p. 18): a request in the
 * middle of one lets it finish. */
START_TEST(test_flowchart_order)
{
	struct emu *e = loop_emu(0);
	mcp2210_report resp;

	fx_spi_setup(e, 12000000, 0, 1u << CS_LOOP, 120);
	fx_designate(e, 8, MCP2210_PIN_DEDICATED); /* the bus release request pin */
	emu_set_external_master(e, true);
	FX_RAW(e, resp, 0x42, 0x00);
	fx_expect(resp, 0x42, 0xF7);
	emu_set_external_master(e, false);
	FX_RAW(e, resp, 0x42, 0x00);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[2], 0);
	ck_assert_uint_eq(resp[3], 0x20);
	ck_assert_uint_eq(emu_pin_levels(e) >> CS_LOOP & 1, 1);
	FX_RAW(e, resp, 0x42, 60); /* 60 zero bytes */
	ck_assert_uint_eq(resp[3], 0x20);
	ck_assert_uint_eq(emu_pin_levels(e) >> CS_LOOP & 1, 0);
	emu_set_external_master(e, true);
	FX_RAW(e, resp, 0x42, 0x00);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[3], 0x30);
	ck_assert_uint_eq(resp[2], 60);
	emu_set_external_master(e, false);
	emu_free(e);
}
END_TEST

/* The 0x40 answer in resp is a success, and it and a following 0x41 carry want[0..3] at off. */
static void expect_taken(struct emu *e, const mcp2210_report resp, size_t off, const uint8_t *want)
{
	mcp2210_report get;

	fx_expect(resp, 0x40, 0x00);
	ck_assert_mem_eq(resp + off, want, 4);
	FX_RAW(e, get, 0x41);
	ck_assert_mem_eq(get + off, want, 4);
}

/* Item 2: 24 000 000 bit/s is capped at 12 Mbit/s (`00 36 6e 01` -> `00 1b b7 00`), 1000 bit/s
 * raised to the 1500 minimum, bytes per transaction 0 taken: all answered 0x00 with the
 * echo, never 0xF9 (which stays the answer to an unknown command code). */
START_TEST(test_settings_out_of_range)
{
	struct emu *e = loop_emu(0);
	mcp2210_report resp;

	FX_RAW(e, resp, 0x40, 0x00, 0x00, 0x00, 0x00, 0x36, 0x6E, 0x01, 0xFF, 0x01, 0xFD, 0x01, 0, 0, 0, 0, 0, 0,
	       0x04, 0x00, 0x00);
	expect_taken(e, resp, 4, (const uint8_t[]){ 0x00, 0x1B, 0xB7, 0x00 });
	FX_RAW(e, resp, 0x40, 0x00, 0x00, 0x00, 0xE8, 0x03, 0x00, 0x00, 0xFF, 0x01, 0xFD, 0x01, 0, 0, 0, 0, 0, 0,
	       0x04, 0x00, 0x00);
	expect_taken(e, resp, 4, (const uint8_t[]){ 0xDC, 0x05, 0x00, 0x00 });
	/* bytes per transaction 0: a transfer takes no data, clocks nothing and ends at once */
	FX_RAW(e, resp, 0x40, 0x00, 0x00, 0x00, 0x00, 0x1B, 0xB7, 0x00, 0xFF, 0x01, 0xFD, 0x01, 0, 0, 0, 0, 0, 0,
	       0x00, 0x00, 0x00);
	fx_expect(resp, 0x40, 0x00);
	ck_assert_uint_eq(resp[18], 0);
	ck_assert_uint_eq(resp[19], 0);
	FX_RAW(e, resp, 0x42, 0x02, 0x00, 0x00, 0x11, 0x22);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[3], 0x20);
	FX_RAW(e, resp, 0x42, 0x00);
	fx_expect(resp, 0x42, 0x00);
	ck_assert_uint_eq(resp[2], 0);
	ck_assert_uint_eq(resp[3], 0x10);
	FX_RAW(e, resp, 0x43);
	fx_expect(resp, 0x43, 0xF9);
	emu_free(e);
}
END_TEST

/* Item 3: the 16 bits of the chip-select fields are kept (idle `ff ff` echoes `ff ff`, live
 * and in NVRAM) and the pins follow the low 9: CS1 goes low during a transaction. */
START_TEST(test_cs_fields_16_bits)
{
	struct emu *e = loop_emu(0);
	uint8_t data[4] = { 1, 2, 3, 4 };
	mcp2210_report req, resp;

	FX_RAW(e, resp, 0x40, 0x00, 0x00, 0x00, 0x00, 0x1B, 0xB7, 0x00, 0xFF, 0xFF, 0xFD, 0xFF, 0, 0, 0, 0, 0, 0,
	       0x08, 0x00, 0x00);
	expect_taken(e, resp, 8, (const uint8_t[]){ 0xFF, 0xFF, 0xFD, 0xFF });
	ck_assert_uint_eq(emu_pin_levels(e) & 0x07, 0x07);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 4), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(emu_pin_levels(e) & 0x07, 0x05);
	FX_RAW(e, resp, 0x11);
	FX_RAW(e, resp, 0x60, 0x10, 0x00, 0x00, 0x40, 0x42, 0x0F, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0,
	       0x04, 0x00, 0x00);
	fx_expect(resp, 0x60, 0x00);
	FX_RAW(e, resp, 0x61, 0x10);
	ck_assert_mem_eq(resp + 8, ((const uint8_t[]){ 0xFF, 0xFF, 0xFF, 0xFF }), 4);
	emu_free(e);
}
END_TEST

/* Item 4: the chip runs 12 MHz / n (1 <= n <= 8000), the fastest such rate whose whole bit/s
 * are not above the request, and its echo says that rate in whole bit/s; sending the echo
 * again changes nothing. */
static const struct {
	uint32_t want, runs;
} rates[] = {
	{ 12000000, 12000000 }, { 5000000, 4000000 }, /* 12 MHz / 3 */
	{ 1000000, 1000000 },   { 7000, 6997 },       /* 12 MHz / 1715 = 6997.08 */
	{ 6997, 6997 },         { 9000, 8995 },       /* 12 MHz / 1334 = 8995.5 */
	{ 1500, 1500 },         { 1501, 1501 },       /* 12 MHz / 7990 = 1501.9 */
	{ 1000, 1500 },
};

START_TEST(test_bitrate_rounding)
{
	struct emu *e = loop_emu(0);
	struct mcp2210_spi_settings ss = { .bitrate = rates[_i].want, .cs_idle = 0x1FF, .bytes_per_transaction = 4 };
	struct mcp2210_spi_settings echo;
	mcp2210_report req, resp;

	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ss), 0);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_set_spi_settings(resp, &echo), 0);
	ck_assert_uint_eq(echo.bitrate, rates[_i].runs);
	proto_encode_get_spi_settings(req);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_get_spi_settings(resp, &echo), 0);
	ck_assert_uint_eq(echo.bitrate, rates[_i].runs);
	emu_free(e);
}
END_TEST

/* ---- peripherals through the bridge ----------------------------------------------------- */

static long flash_cmd(struct emu *e, const uint8_t *tx, uint8_t *rx, size_t n)
{
	fx_spi_setup(e, 12000000, 0, 1u << CS_FLASH, (uint16_t)n);
	return fx_spi_transfer(e, tx, rx, n, NULL);
}

static uint8_t flash_status(struct emu *e)
{
	uint8_t tx[2] = { 0x05, 0 }, rx[2];

	ck_assert_int_eq(flash_cmd(e, tx, rx, 2), 2);
	return rx[1];
}

static void flash_wren(struct emu *e)
{
	uint8_t tx[1] = { 0x06 }, rx[1];

	ck_assert_int_eq(flash_cmd(e, tx, rx, 1), 1);
	ck_assert_uint_eq(flash_status(e) & 0x02, 0x02);
}

static void flash_wait_ready(struct emu *e)
{
	for (int i = 0; flash_status(e) & 0x01; i++) {
		ck_assert_int_lt(i, 1000);
		emu_advance(e, 1000000);
	}
}

static void flash_read(struct emu *e, uint32_t addr, uint8_t *out, size_t n)
{
	uint8_t *tx = calloc(1, n + 4), *rx = malloc(n + 4);

	ck_assert_ptr_nonnull(tx);
	ck_assert_ptr_nonnull(rx);
	tx[0] = 0x03;
	tx[1] = (uint8_t)(addr >> 16);
	tx[2] = (uint8_t)(addr >> 8);
	tx[3] = (uint8_t)addr;
	ck_assert_int_eq(flash_cmd(e, tx, rx, n + 4), (long)(n + 4));
	memcpy(out, rx + 4, n);
	free(tx);
	free(rx);
}

START_TEST(test_flash_jedec_id)
{
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	uint8_t tx[4] = { 0x9F }, rx[4];

	ck_assert_int_eq(flash_cmd(e, tx, rx, 4), 4);
	ck_assert_uint_eq(rx[1], 0xEF);
	ck_assert_uint_eq(rx[2], 0x40);
	ck_assert_uint_eq(rx[3], 0x14);
	emu_free(e);
}
END_TEST

/* Program a whole 256-byte page, read it back, erase the sector and see BUSY while it erases. */
START_TEST(test_flash_program_read_erase)
{
	struct emu *e = loop_emu(EMU_DEFAULT_FRAME_NS);
	uint8_t tx[260] = { 0x02, 0x01, 0x02, 0x00 }, rx[260], page[256], erased[256];
	uint8_t erase[4] = { 0x20, 0x01, 0x00, 0x00 };

	fill_pattern(tx + 4, 256, 77);
	flash_wren(e);
	ck_assert_int_eq(flash_cmd(e, tx, rx, sizeof(tx)), (long)sizeof(tx));
	/* tPP (0.7 ms) is over before the next USB frames can ask; only erase is seen busy */
	flash_wait_ready(e);
	ck_assert_uint_eq(flash_status(e) & 0x02, 0);
	flash_read(e, 0x010200, page, sizeof(page));
	ck_assert_mem_eq(page, tx + 4, 256);

	flash_wren(e);
	ck_assert_int_eq(flash_cmd(e, erase, rx, 4), 4);
	ck_assert_uint_eq(flash_status(e) & 0x01, 0x01);
	flash_wait_ready(e);
	flash_read(e, 0x010200, page, sizeof(page));
	memset(erased, 0xFF, sizeof(erased));
	ck_assert_mem_eq(page, erased, sizeof(erased));
	emu_free(e);
}
END_TEST

/* A 74HC595 on CS2 shows the byte shifted in once CS rises, not before. */
START_TEST(test_shiftreg_latches_on_cs_release)
{
	struct emu *e = loop_emu(0);
	struct emu_periph *sr = emu_periph_at(e, CS_SHIFT);
	uint8_t tx[1] = { 0xA5 }, rx[1];
	mcp2210_report req, resp;

	ck_assert_ptr_nonnull(sr);
	fx_spi_setup(e, 1000000, 0, 1u << CS_SHIFT, 2);
	ck_assert_int_eq(proto_encode_spi_transfer(req, tx, 1), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(emu_shiftreg_outputs(sr), 0x00);
	tx[0] = 0x3C;
	ck_assert_int_eq(proto_encode_spi_transfer(req, tx, 1), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(emu_shiftreg_outputs(sr), 0x00);
	ck_assert_int_eq(proto_encode_spi_transfer(req, NULL, 0), 0);
	fx_xchg(e, req, resp);
	ck_assert_uint_eq(resp[3], 0x10);
	ck_assert_uint_eq(emu_shiftreg_outputs(sr), 0x3C);
	fx_spi_setup(e, 1000000, 0, 1u << CS_SHIFT, 1);
	ck_assert_int_eq(fx_spi_transfer(e, tx, rx, 1, NULL), 1);
	ck_assert_uint_eq(rx[0], 0x3C); /* QH' gives back the old contents */
	emu_free(e);
}
END_TEST

/* Specs are all or nothing: a bad entry attaches none of the good ones. */
START_TEST(test_attach_spec_rejects)
{
	struct emu *e = fx_emu_new(0);

	ck_assert_int_eq(emu_attach_spec(e, "flash@0:toaster@1"), -EINVAL);
	ck_assert_ptr_null(emu_periph_at(e, 0));
	ck_assert_int_eq(emu_attach_spec(e, "flash@8"), -EINVAL);
	ck_assert_int_eq(emu_attach_spec(e, "flash@0,loopback@0"), -EBUSY);
	ck_assert_ptr_null(emu_periph_at(e, 0));
	ck_assert_int_eq(emu_attach_spec(e, "flash@0,loopback@3"), 0);
	ck_assert_ptr_nonnull(emu_periph_at(e, 3));
	ck_assert_int_eq(emu_attach_spec(e, "loopback@3"), -EBUSY);
	emu_free(e);
}
END_TEST

static Suite *spi_suite(void)
{
	Suite *s = suite_create("emu_spi");
	TCase *tc = tcase_create("engine");

	tcase_add_loop_test(tc, test_loopback_lengths, 0, sizeof(loop_lengths) / sizeof(loop_lengths[0]));
	tcase_add_test(tc, test_first_answer_has_no_data);
	tcase_add_test(tc, test_engine_status_sequence);
	tcase_add_test(tc, test_cs_held_for_transaction);
	tcase_add_test(tc, test_cs_polarity_from_masks);
	tcase_add_test(tc, test_bytes_per_transaction_respected);
	tcase_add_test(tc, test_slow_clock_busy);
	tcase_add_test(tc, test_delays_take_time);
	tcase_add_test(tc, test_busy_while_transaction_open);
	tcase_add_test(tc, test_orphaned_transfer_needs_cancel);
	tcase_add_test(tc, test_stall_then_cancel);
	tcase_add_test(tc, test_external_master_refuses_transfer);
	suite_add_tcase(s, tc);

	tc = tcase_create("flowchart");
	tcase_add_test(tc, test_data_after_last_byte);
	tcase_add_loop_test(tc, test_two_then_nine, 0, 2);
	tcase_add_test(tc, test_poll_while_clocking);
	tcase_add_test(tc, test_flowchart_order);
	tcase_add_test(tc, test_settings_out_of_range);
	tcase_add_test(tc, test_cs_fields_16_bits);
	tcase_add_loop_test(tc, test_bitrate_rounding, 0, sizeof(rates) / sizeof(rates[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("peripherals");
	tcase_add_test(tc, test_flash_jedec_id);
	tcase_add_test(tc, test_flash_program_read_erase);
	tcase_add_test(tc, test_shiftreg_latches_on_cs_release);
	tcase_add_test(tc, test_attach_spec_rejects);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(spi_suite)

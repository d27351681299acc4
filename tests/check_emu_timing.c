/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated chip's USB side: frame timing of an exchange in both submission orders, the
 * counters, and each injected fault as a host would see it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_fixture.h"
#include "check_main.h"

#define FRAME EMU_DEFAULT_FRAME_NS

/* A GPIO read is one exchange: one frame when IN is submitted first, two when it is not. */
START_TEST(test_gpio_read_frames)
{
	struct emu *e = fx_emu_new(FRAME);
	struct emu_counters c;
	mcp2210_report req, resp;
	uint64_t t0 = emu_now(e);

	proto_encode_get_gpio_values(req);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), 0);
	emu_counters_get(e, &c);
	ck_assert_uint_eq(c.exchanges, 1);
	ck_assert_uint_eq(c.frames, 1);
	ck_assert_uint_eq(emu_now(e) - t0, FRAME);

	emu_counters_reset(e);
	t0 = emu_now(e);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_OUT_FIRST), 0);
	emu_counters_get(e, &c);
	ck_assert_uint_eq(c.exchanges, 1);
	ck_assert_uint_eq(c.frames, 2);
	ck_assert_uint_eq(emu_now(e) - t0, 2 * FRAME);
	ck_assert_uint_eq(c.per_command[0x31], 1);
	emu_free(e);
}
END_TEST

/* An exchange starts on a frame boundary: time spent between exchanges rounds up. */
START_TEST(test_exchange_waits_for_frame)
{
	struct emu *e = fx_emu_new(FRAME);
	mcp2210_report req, resp;

	emu_advance(e, FRAME / 3);
	proto_encode_get_status(req);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), 0);
	ck_assert_uint_eq(emu_now(e), 2 * FRAME);
	emu_free(e);
}
END_TEST

/* 65535 loopback bytes at 12 Mbit/s: ceil(65535/60) + 1 = 1094 transfer exchanges, one frame
 * each with IN first and two each with OUT first. */
static unsigned long frames_for_64k(enum emu_order order, unsigned long *exchanges)
{
	struct emu *e = fx_emu_new(FRAME);
	const size_t n = 65535;
	uint8_t *tx = malloc(n), *rx = malloc(n);
	struct mcp2210_spi_chunk chunk;
	struct emu_counters c;
	mcp2210_report req, resp;
	size_t sent = 0, got = 0;

	ck_assert_ptr_nonnull(tx);
	ck_assert_ptr_nonnull(rx);
	ck_assert_int_eq(emu_attach_spec(e, "loopback@1"), 0);
	fx_use_cs(e, 1u << 1);
	fx_spi_setup(e, 12000000, 0, 1u << 1, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		tx[i] = (uint8_t)(i ^ (i >> 8));
	emu_counters_reset(e);
	do {
		size_t len = n - sent > 60 ? 60 : n - sent;

		ck_assert_int_eq(proto_encode_spi_transfer(req, tx + sent, len), 0);
		ck_assert_int_eq(emu_exchange(e, req, resp, order), 0);
		ck_assert_int_eq(proto_decode_spi_transfer(resp, &chunk), 0);
		memcpy(rx + got, chunk.data, chunk.len);
		got += chunk.len;
		sent += len;
	} while (chunk.engine != MCP2210_ENGINE_FINISHED);
	ck_assert_uint_eq(got, n);
	ck_assert_mem_eq(rx, tx, n);
	emu_counters_get(e, &c);
	*exchanges = c.exchanges;
	free(tx);
	free(rx);
	emu_free(e);
	return c.frames;
}

START_TEST(test_spi_64k_frames)
{
	unsigned long ex_in, ex_out;

	ck_assert_uint_eq(frames_for_64k(EMU_IN_FIRST, &ex_in), 1094);
	ck_assert_uint_eq(ex_in, 1094);
	ck_assert_uint_eq(frames_for_64k(EMU_OUT_FIRST, &ex_out), 2188);
	ck_assert_uint_eq(ex_out, 1094);
}
END_TEST

/* With the timing model off nothing takes time. */
START_TEST(test_frame_zero_takes_no_time)
{
	struct emu *e = fx_emu_new(0);
	mcp2210_report req, resp;

	proto_encode_get_status(req);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(emu_exchange(e, req, resp, EMU_OUT_FIRST), 0);
	ck_assert_uint_eq(emu_now(e), 0);
	emu_free(e);
}
END_TEST

/* ---- faults ----------------------------------------------------------------------------- */

static void get_status(struct emu *e, mcp2210_report resp)
{
	mcp2210_report req;

	proto_encode_get_status(req);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), 0);
}

/* A lost request: the exchange times out and the chip did not act on it; the next works. */
START_TEST(test_fault_no_answer)
{
	struct emu *e = fx_emu_new(FRAME);
	mcp2210_report req, resp;
	uint16_t levels;

	emu_fault_arm(e, EMU_FAULT_NO_ANSWER, 1);
	proto_encode_set_gpio_directions(req, 0x1FE);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), -ETIMEDOUT);
	proto_encode_get_gpio_directions(req);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), 0);
	ck_assert_int_eq(proto_decode_get_gpio_directions(resp, &levels), 0);
	ck_assert_uint_eq(levels, 0x1FF);
	emu_free(e);
}
END_TEST

/* A late answer times out its own exchange and then arrives in place of the next one's: the
 * host sees a wrong echo byte, drains, and is in step again. */
START_TEST(test_fault_late_answer)
{
	struct emu *e = fx_emu_new(FRAME);
	mcp2210_report req, resp;
	uint16_t v;

	emu_fault_arm(e, EMU_FAULT_LATE_ANSWER, 1);
	proto_encode_get_gpio_directions(req);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), -ETIMEDOUT);
	proto_encode_get_gpio_values(req);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), 0);
	ck_assert_uint_eq(resp[0], 0x33);
	ck_assert_int_eq(proto_decode_get_gpio_values(resp, &v), -EPROTO);
	ck_assert_int_eq(emu_in(e, resp), 0); /* drain */
	ck_assert_uint_eq(resp[0], 0x31);
	ck_assert_int_eq(emu_in(e, resp), -EAGAIN);
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), 0);
	ck_assert_int_eq(proto_decode_get_gpio_values(resp, &v), 0);
	emu_free(e);
}
END_TEST

START_TEST(test_fault_corrupt_and_wrong_echo)
{
	struct emu *e = fx_emu_new(FRAME);
	struct mcp2210_chip_status st;
	mcp2210_report resp;

	emu_fault_arm(e, EMU_FAULT_CORRUPT, 1);
	get_status(e, resp);
	ck_assert_int_eq(proto_decode_get_status(resp, &st), -EPROTO);
	emu_fault_arm(e, EMU_FAULT_WRONG_ECHO, 1);
	get_status(e, resp);
	ck_assert_uint_ne(resp[0], 0x10);
	ck_assert_int_eq(proto_decode_get_status(resp, &st), -EPROTO);
	get_status(e, resp);
	ck_assert_int_eq(proto_decode_get_status(resp, &st), 0);
	emu_free(e);
}
END_TEST

/* Busy for K commands: K answers of 0xF8, then the command goes through. */
START_TEST(test_fault_busy_k)
{
	struct emu *e = fx_emu_new(FRAME);
	struct emu_counters c;
	mcp2210_report resp;
	struct mcp2210_chip_status st;

	emu_fault_arm(e, EMU_FAULT_BUSY, 3);
	for (int i = 0; i < 3; i++) {
		get_status(e, resp);
		ck_assert_uint_eq(resp[1], 0xF8);
		ck_assert_int_eq(proto_decode_get_status(resp, &st), -EAGAIN);
	}
	get_status(e, resp);
	ck_assert_int_eq(proto_decode_get_status(resp, &st), 0);
	emu_counters_get(e, &c);
	ck_assert_uint_eq(c.faults, 3);
	emu_free(e);
}
END_TEST

/* Disconnect after N exchanges, in the middle of a transaction: -ENODEV from then on, for the
 * split OUT/IN path too; replug is a power-up and everything works again. */
START_TEST(test_fault_disconnect_mid_transfer)
{
	struct emu *e = fx_emu_new(FRAME);
	uint8_t tx[600] = { 1 }, rx[600];
	mcp2210_report req, resp;

	ck_assert_int_eq(emu_attach_spec(e, "loopback@1"), 0);
	fx_use_cs(e, 1u << 1);
	fx_spi_setup(e, 12000000, 0, 1u << 1, sizeof(tx));
	emu_fault_arm(e, EMU_FAULT_DISCONNECT, 4);
	ck_assert_int_eq(fx_spi_transfer(e, tx, rx, sizeof(tx), NULL), -ENODEV);
	ck_assert(!emu_plugged(e));
	proto_encode_get_status(req);
	ck_assert_int_eq(emu_out(e, req), -ENODEV);
	ck_assert_int_eq(emu_in(e, resp), -ENODEV);
	emu_replug(e);
	ck_assert(emu_plugged(e));
	fx_use_cs(e, 1u << 1);
	ck_assert_int_eq(fx_spi_xfer(e, tx, rx, 60, NULL), 60);
	ck_assert_mem_eq(rx, tx, 60);
	emu_free(e);
}
END_TEST

/* Every OUT report gets exactly one IN report, in order. */
START_TEST(test_split_out_in_order)
{
	struct emu *e = fx_emu_new(0);
	mcp2210_report req, resp;

	proto_encode_get_status(req);
	ck_assert_int_eq(emu_out(e, req), 0);
	proto_encode_get_gpio_values(req);
	ck_assert_int_eq(emu_out(e, req), 0);
	ck_assert_int_eq(emu_in(e, resp), 0);
	ck_assert_uint_eq(resp[0], 0x10);
	ck_assert_int_eq(emu_in(e, resp), 0);
	ck_assert_uint_eq(resp[0], 0x31);
	ck_assert_int_eq(emu_in(e, resp), -EAGAIN);
	emu_free(e);
}
END_TEST

/* One 64-byte IN buffer (DS22288A p. 1): while an answer is unread the chip takes no new OUT
 * report; one more waits (the endpoint NAKs it, the host controller retries) and is processed
 * only once the answer was read; a third is not accepted. No answer is ever dropped. */
START_TEST(test_one_answer_buffer)
{
	struct emu *e = fx_emu_new(0);
	struct emu_counters c;
	mcp2210_report req, resp;

	proto_encode_get_status(req);
	ck_assert_int_eq(emu_out(e, req), 0);
	proto_encode_set_gpio_directions(req, 0x1EF);
	ck_assert_int_eq(emu_out(e, req), 0);
	proto_encode_get_gpio_values(req);
	ck_assert_int_eq(emu_out(e, req), -EAGAIN);
	emu_counters_get(e, &c);
	ck_assert_uint_eq(c.commands, 1); /* the second waits, the third was refused */
	ck_assert_uint_eq(c.per_command[0x32], 0);
	ck_assert_int_eq(emu_in(e, resp), 0);
	ck_assert_uint_eq(resp[0], 0x10);
	emu_counters_get(e, &c);
	ck_assert_uint_eq(c.per_command[0x32], 1); /* taken once the buffer was free */
	ck_assert_uint_eq(c.per_command[0x31], 0);
	ck_assert_int_eq(emu_in(e, resp), 0);
	ck_assert_uint_eq(resp[0], 0x32);
	ck_assert_int_eq(emu_in(e, resp), -EAGAIN);
	/* A host that writes four times without reading loses nothing it was told was taken. */
	for (unsigned i = 0; i < 4; i++) {
		proto_encode_read_eeprom(req, (uint8_t)i);
		ck_assert_int_eq(emu_out(e, req), i < 2 ? 0 : -EAGAIN);
	}
	ck_assert_int_eq(emu_in(e, resp), 0);
	ck_assert_uint_eq(resp[2], 0); /* the oldest answer, address 0 */
	ck_assert_int_eq(emu_in(e, resp), 0);
	ck_assert_uint_eq(resp[2], 1);
	ck_assert_int_eq(emu_in(e, resp), -EAGAIN);
	emu_free(e);
}
END_TEST

static Suite *timing_suite(void)
{
	Suite *s = suite_create("emu_timing");
	TCase *tc = tcase_create("frames");

	tcase_add_test(tc, test_gpio_read_frames);
	tcase_add_test(tc, test_exchange_waits_for_frame);
	tcase_add_test(tc, test_spi_64k_frames);
	tcase_add_test(tc, test_frame_zero_takes_no_time);
	tcase_add_test(tc, test_split_out_in_order);
	tcase_add_test(tc, test_one_answer_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_test(tc, test_fault_no_answer);
	tcase_add_test(tc, test_fault_late_answer);
	tcase_add_test(tc, test_fault_corrupt_and_wrong_echo);
	tcase_add_test(tc, test_fault_busy_k);
	tcase_add_test(tc, test_fault_disconnect_mid_transfer);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(timing_suite)

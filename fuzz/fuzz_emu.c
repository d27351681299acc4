/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the emulated chip's command handler (src/emu/): a fresh emulator with
 * the default peripherals per input, fed a sequence of 64-byte requests, with the outside
 * world (time, input pins, an external master, faults, power, the cable) acting in between.
 *
 * Input: byte 0 picks the timing model (bit 0: 0 = frame_ns 0, 1 = full-speed frames), then
 * records of 66 bytes (the last one zero padded): [0] control, [1] argument, [2..65] request.
 * Control bit 0 is the exchange order; bits 1..4 pick an action done before the exchange
 * (see act()). Every answer must echo its command and carry one of the chip's statuses,
 * unless an armed fault allows otherwise, and must decode with the host-side decoder of its
 * command to the errno of its status.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "fuzz.h"
#include "proto/proto.h"

#define RECORD_SIZE (2 + MCP2210_REPORT_SIZE)
#define MAX_RECORDS 256 /* keeps one input's run short */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the harness knows of the emulator, conservatively: a flag is set whenever the thing
 * it guards may be true. */
struct model {
	bool armed[EMU_FAULT_KIND_COUNT]; /* armed with a non-zero count and maybe not used up */
	bool hold_possible;  /* a late answer may hold back the next IN */
	bool desync;         /* the IN queue may hold answers older than the next request's */
	bool corrupt_queued; /* ... and one of them may be corrupted */
	bool unplugged;      /* we pulled the cable and have not put it back */
	bool external_master; /* another master may be asking for the bus (GP8 low) */
	uint64_t exchanges, frames; /* exchanges that reached the chip, and their frames */
};

/* FUZZ_TRACE=1 in the environment prints every exchange (to follow a crash input). */
static bool trace;

static void trace_report(const char *what, int ret, const mcp2210_report r)
{
	if (!trace)
		return;
	fprintf(stderr, "%s %3d:", what, ret);
	for (unsigned i = 0; i < 24; i++)
		fprintf(stderr, " %02x", r[i]);
	fprintf(stderr, "\n");
}

static bool chip_status(uint8_t s) { return s == MCP2210_STATUS_OK || (s >= 0xF7 && s <= 0xFD); }

static bool is_string_sub(uint8_t sub) { return sub == MCP2210_NVRAM_PRODUCT || sub == MCP2210_NVRAM_MANUFACTURER; }

/* The emulated chip's rate for a requested one, found the slow way: 12 MHz / n in whole bit/s,
 * the fastest not above the request, n at most 8000 (1500 bit/s). */
static uint32_t ref_rate(uint32_t want)
{
	for (uint32_t n = 1; n <= 8000; n++)
		if (12000000u / n <= want)
			return 12000000u / n;
	return 1500;
}

/* The answer to req, decoded with the host's decoder for req: the decoder must accept the
 * payload of every success answer the emulator builds, and map its status to the errno the
 * status table gives. */
static void check_decodes(const struct model *m, const mcp2210_report req, const mcp2210_report resp)
{
	int want = proto_status_errno(resp[1]);
	struct mcp2210_chip_settings cs;
	struct mcp2210_spi_settings ss;
	struct mcp2210_chip_status st;
	struct mcp2210_spi_chunk rx;
	struct mcp2210_usb_key key;
	struct mcp2210_usb_string s;
	uint16_t v;
	uint8_t b;
	int ret;

	switch (req[0]) {
	case MCP2210_CMD_GET_STATUS:
		ret = proto_decode_get_status(resp, &st);
		break;
	case MCP2210_CMD_CANCEL_SPI:
		ret = proto_decode_cancel_spi(resp, &st);
		break;
	case MCP2210_CMD_GET_GP6_COUNT:
		ret = proto_decode_get_gp6_count(resp, &v);
		break;
	case MCP2210_CMD_GET_CHIP_SETTINGS:
		ret = proto_decode_get_chip_settings(resp, &cs);
		break;
	case MCP2210_CMD_SET_CHIP_SETTINGS:
		ret = proto_decode_set_chip_settings(resp);
		break;
	case MCP2210_CMD_SET_GPIO_VALUES:
		ret = proto_decode_set_gpio_values(resp, &v);
		break;
	case MCP2210_CMD_GET_GPIO_VALUES:
		ret = proto_decode_get_gpio_values(resp, &v);
		break;
	case MCP2210_CMD_SET_GPIO_DIRECTIONS:
		ret = proto_decode_set_gpio_directions(resp);
		break;
	case MCP2210_CMD_GET_GPIO_DIRECTIONS:
		ret = proto_decode_get_gpio_directions(resp, &v);
		break;
	case MCP2210_CMD_SET_SPI_SETTINGS:
		ret = proto_decode_set_spi_settings(resp, &ss);
		if (!ret) {
			struct mcp2210_spi_settings sent;

			/* The echo is what the request asked for, with the rate the chip runs and the
			 * mode's two low bits. */
			FUZZ_CHECK(proto_parse_set_spi_settings(req, &sent) == 0);
			FUZZ_CHECK(ss.bitrate == ref_rate(sent.bitrate) && ss.cs_idle == sent.cs_idle &&
				   ss.cs_active == sent.cs_active && ss.mode == (sent.mode & 3) &&
				   ss.bytes_per_transaction == sent.bytes_per_transaction);
		}
		break;
	case MCP2210_CMD_GET_SPI_SETTINGS:
		ret = proto_decode_get_spi_settings(resp, &ss);
		break;
	case MCP2210_CMD_SPI_TRANSFER:
		ret = proto_decode_spi_transfer(resp, &rx);
		if (!ret && req[1] > MCP2210_SPI_CHUNK_MAX)
			FUZZ_CHECK(!"a 0x42 request with n > 60 was accepted");
		if (resp[1] == MCP2210_STATUS_BUS_NOT_AVAILABLE)
			FUZZ_CHECK(m->external_master);
		break;
	case MCP2210_CMD_READ_EEPROM:
		ret = proto_decode_read_eeprom(resp, req[1], &b);
		break;
	case MCP2210_CMD_WRITE_EEPROM:
		ret = proto_decode_write_eeprom(resp);
		break;
	case MCP2210_CMD_SET_NVRAM:
		ret = proto_decode_set_nvram(resp, req[1]);
		break;
	case MCP2210_CMD_GET_NVRAM:
		switch (req[1]) {
		case MCP2210_NVRAM_SPI:
			ret = proto_decode_get_nvram_spi(resp, &ss);
			break;
		case MCP2210_NVRAM_CHIP:
			ret = proto_decode_get_nvram_chip(resp, &cs);
			break;
		case MCP2210_NVRAM_USB_KEY:
			ret = proto_decode_get_nvram_usb_key(resp, &key);
			break;
		default:
			if (is_string_sub(req[1])) {
				ret = proto_decode_get_nvram_string(resp, req[1], &s);
			} else {
				/* No such sub-command: refused (or busy by fault). */
				FUZZ_CHECK(resp[1] == MCP2210_STATUS_UNKNOWN_COMMAND ||
					   (m->armed[EMU_FAULT_BUSY] && resp[1] == MCP2210_STATUS_BUSY));
				ret = want;
			}
		}
		break;
	case MCP2210_CMD_SEND_PASSWORD:
		ret = proto_decode_send_password(resp);
		break;
	case MCP2210_CMD_REQUEST_BUS_RELEASE:
		ret = proto_decode_request_bus_release(resp);
		break;
	default:
		FUZZ_CHECK(resp[1] == MCP2210_STATUS_UNKNOWN_COMMAND ||
			   (m->armed[EMU_FAULT_BUSY] && resp[1] == MCP2210_STATUS_BUSY));
		ret = want;
		break;
	}
	if (ret != want)
		fprintf(stderr, "fuzz: answer to 0x%02x (status 0x%02x) decodes to %d, want %d\n", req[0], resp[1],
			ret, want);
	FUZZ_CHECK(ret == want);
}

/* An answer that arrived: which checks apply depends on the faults that may have hit it. */
static void check_answer(const struct model *m, const mcp2210_report req, const mcp2210_report resp, bool fresh)
{
	bool echo_ok = fresh && !m->armed[EMU_FAULT_WRONG_ECHO];
	bool status_ok = !m->armed[EMU_FAULT_CORRUPT] && !m->corrupt_queued;

	if (status_ok)
		FUZZ_CHECK(chip_status(resp[1]));
	if (echo_ok) {
		FUZZ_CHECK(resp[0] == req[0]);
		if (status_ok)
			check_decodes(m, req, resp);
	}
}

/* The queue was emptied (power-up, unplug, host gone). */
static void queue_reset(struct model *m)
{
	m->desync = false;
	m->corrupt_queued = false;
}

/* After an OUT that may have left its answer (or an earlier one) in the queue. */
static void after_out(struct model *m, bool answer_may_stay)
{
	if (m->armed[EMU_FAULT_LATE_ANSWER])
		m->hold_possible = true;
	if (answer_may_stay || m->hold_possible)
		m->desync = true;
	if (m->desync && m->armed[EMU_FAULT_CORRUPT])
		m->corrupt_queued = true;
}

/* An OUT failed with -ENODEV: we pulled the cable, or an armed disconnect just did. */
static void cable_out(struct emu *e, struct model *m)
{
	FUZZ_CHECK(m->unplugged || m->armed[EMU_FAULT_DISCONNECT]);
	FUZZ_CHECK(!emu_plugged(e));
	m->unplugged = true;
	queue_reset(m);
}

static void exchange(struct emu *e, struct model *m, const mcp2210_report req, enum emu_order order)
{
	uint64_t before = emu_now(e), frame = emu_frame_ns(e);
	bool fresh = !m->desync; /* nothing older waits in the queue */
	mcp2210_report resp;
	int ret;

	memset(resp, 0xA5, sizeof(resp));
	ret = emu_exchange(e, req, resp, order);
	trace_report("req", order, req);
	trace_report("ans", ret, resp);
	FUZZ_CHECK(ret == 0 || ret == -ETIMEDOUT || ret == -ENODEV);
	if (ret == -ENODEV) {
		FUZZ_CHECK(emu_now(e) == before);
		cable_out(e, m);
		return;
	}
	FUZZ_CHECK(!m->unplugged && emu_plugged(e));
	m->exchanges++;
	m->frames += order == EMU_IN_FIRST ? 1 : 2;
	/* Whole frames: the OUT waits for the next frame start, the exchange then takes its own. */
	FUZZ_CHECK(emu_now(e) >= before + (order == EMU_IN_FIRST ? 1 : 2) * frame);
	if (frame)
		FUZZ_CHECK(emu_now(e) % frame == 0);
	if (ret == -ETIMEDOUT)
		FUZZ_CHECK(m->armed[EMU_FAULT_NO_ANSWER] || m->armed[EMU_FAULT_LATE_ANSWER] || m->hold_possible);
	else
		check_answer(m, req, resp, fresh);
	after_out(m, false);
}

/* The action a record's control byte asks for before its exchange; false: skip the exchange. */
static bool act(struct emu *e, struct model *m, uint8_t ctl, uint8_t arg, const mcp2210_report req)
{
	mcp2210_report resp;
	int ret;

	switch ((ctl >> 1) & 0x0F) {
	case 6: /* an OUT whose answer nobody collects now */
		ret = emu_out(e, req);
		/* -EAGAIN: one report already waits behind the unread answer; this one is not taken */
		FUZZ_CHECK(ret == 0 || ret == -ENODEV || ret == -EAGAIN);
		if (ret == 0)
			after_out(m, true);
		else if (ret == -ENODEV)
			cable_out(e, m);
		return false;
	case 7: /* an IN on its own */
		ret = emu_in(e, resp);
		FUZZ_CHECK(ret == 0 || ret == -EAGAIN || ret == -ENODEV);
		if (ret == 0)
			check_answer(m, req, resp, false);
		if (ret == -EAGAIN && !m->hold_possible)
			queue_reset(m); /* nothing was held back, so the queue is empty */
		if (ret == -ENODEV)
			queue_reset(m);
		return false;
	case 8: {
		uint64_t before = emu_now(e), ns = (uint64_t)arg * arg * arg * 1000;

		emu_advance(e, ns);
		FUZZ_CHECK(emu_now(e) == before + ns);
		break;
	}
	case 9:
		ret = emu_set_input(e, arg & 0x0F, arg & 0x10);
		FUZZ_CHECK(ret == ((arg & 0x0F) < MCP2210_PIN_COUNT ? 0 : -EINVAL));
		if (!ret)
			FUZZ_CHECK(emu_input_level(e, arg & 0x0F) == !!(arg & 0x10));
		if ((arg & 0x0F) == 8) /* GP8 is the bus release request line, active low */
			m->external_master = !(arg & 0x10);
		break;
	case 10: {
		unsigned kind = arg & 0x0F, count = arg >> 4;

		emu_fault_arm(e, (enum emu_fault)kind, count);
		if (kind < EMU_FAULT_KIND_COUNT)
			m->armed[kind] = count || kind == EMU_FAULT_DISCONNECT;
		break;
	}
	case 11:
		emu_power_cycle(e);
		queue_reset(m);
		m->hold_possible = false;
		break;
	case 12:
		/* it gets the bus only through GP8's dedicated function, after the transaction */
		m->external_master = arg & 1;
		emu_set_external_master(e, m->external_master);
		FUZZ_CHECK(emu_input_level(e, 8) == !m->external_master);
		if (emu_external_master(e))
			FUZZ_CHECK(m->external_master);
		break;
	case 13:
		emu_host_vanished(e);
		queue_reset(m);
		break;
	case 14:
		if (arg & 1) {
			emu_unplug(e);
			m->unplugged = true;
		} else {
			emu_replug(e);
			m->unplugged = false;
			m->armed[EMU_FAULT_DISCONNECT] = false;
			m->hold_possible = false;
		}
		queue_reset(m);
		FUZZ_CHECK(emu_plugged(e) == !m->unplugged);
		break;
	case 15:
		emu_fault_clear(e);
		memset(m->armed, 0, sizeof(m->armed));
		m->hold_possible = false;
		break;
	default:
		break;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_config cfg = { .frame_ns = size && (data[0] & 1) ? EMU_DEFAULT_FRAME_NS : 0 };
	struct model m = { 0 };
	struct emu_counters c;
	struct emu *e;
	char line[256];

	if (size == 0)
		return 0;
	trace = getenv("FUZZ_TRACE") != NULL;
	FUZZ_CHECK(emu_new(&cfg, &e) == 0);
	FUZZ_CHECK(emu_attach_spec(e, EMU_DEFAULT_PERIPHERALS) == 0);
	data++;
	size--;
	for (size_t n = 0; size && n < MAX_RECORDS; n++) {
		uint8_t rec[RECORD_SIZE] = { 0 };
		size_t take = size < RECORD_SIZE ? size : RECORD_SIZE;

		memcpy(rec, data, take);
		data += take;
		size -= take;
		if (act(e, &m, rec[0], rec[1], &rec[2]))
			exchange(e, &m, &rec[2], rec[0] & 1 ? EMU_OUT_FIRST : EMU_IN_FIRST);
		FUZZ_CHECK((emu_pin_levels(e) & ~MCP2210_PIN_MASK) == 0);
	}
	emu_counters_get(e, &c);
	FUZZ_CHECK(c.exchanges == m.exchanges && c.frames == m.frames);
	for (unsigned cs = 0; cs < 8; cs++)
		FUZZ_CHECK(emu_describe_periph(e, cs, line, sizeof(line)) < (int)sizeof(line));
	emu_free(e);
	return 0;
}

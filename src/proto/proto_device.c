/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MCP2210 codec, device side (used by the emulator): parse the requests a host sends and
 * build the chip's answers. Answer layouts are documented at each proto_answer_*(); request
 * layouts at the matching proto_encode_*() in proto_host.c.
 */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_internal.h"

/* ---- request parsers ------------------------------------------------------------------- */

/* A parser handed a report of another command is an emulator dispatch bug: -EINVAL. */
static int expect_cmd(const mcp2210_report req, uint8_t cmd)
{
	return req[0] == cmd ? 0 : -EINVAL;
}

static int expect_nvram_set(const mcp2210_report req, uint8_t sub)
{
	return req[0] == MCP2210_CMD_SET_NVRAM && req[PROTO_OFF_SUB] == sub ? 0 : -EINVAL;
}

int proto_parse_get_gp6_count(const mcp2210_report req, bool *reset)
{
	if (expect_cmd(req, MCP2210_CMD_GET_GP6_COUNT) < 0)
		return -EINVAL;
	*reset = req[1] == 0;
	return 0;
}

/* Byte 18 is not part of the 0x21 request (see proto_encode_set_chip_settings()): cs->access
 * comes back as 0 and the password zeroed. The emulator keeps its access setting. Pin fields
 * are masked to the 9 pins rather than rejected, as the chip has nothing at bits 9..15. */
int proto_parse_set_chip_settings(const mcp2210_report req, struct mcp2210_chip_settings *cs)
{
	struct mcp2210_chip_settings in;

	if (expect_cmd(req, MCP2210_CMD_SET_CHIP_SETTINGS) < 0)
		return -EINVAL;
	proto_chip_settings_unpack(req, &in, PROTO_CHIP_LIVE_REQUEST);
	if (proto_chip_settings_check(&in) < 0)
		return -EINVAL;
	*cs = in;
	return 0;
}

static int parse_pins(const mcp2210_report req, uint8_t cmd, uint16_t *pins)
{
	if (expect_cmd(req, cmd) < 0)
		return -EINVAL;
	*pins = proto_get_le16(&req[4]) & MCP2210_PIN_MASK;
	return 0;
}

int proto_parse_set_gpio_values(const mcp2210_report req, uint16_t *values)
{
	return parse_pins(req, MCP2210_CMD_SET_GPIO_VALUES, values);
}

int proto_parse_set_gpio_directions(const mcp2210_report req, uint16_t *inputs)
{
	return parse_pins(req, MCP2210_CMD_SET_GPIO_DIRECTIONS, inputs);
}

/* 0x40 and 0x60/0x10: the structure at 4..20 exactly as sent (see proto.h). */
static int parse_spi_settings(const mcp2210_report req, struct mcp2210_spi_settings *ss)
{
	proto_spi_settings_unpack(req, ss);
	return 0;
}

int proto_parse_set_spi_settings(const mcp2210_report req, struct mcp2210_spi_settings *ss)
{
	if (expect_cmd(req, MCP2210_CMD_SET_SPI_SETTINGS) < 0)
		return -EINVAL;
	return parse_spi_settings(req, ss);
}

int proto_parse_spi_transfer(const mcp2210_report req, struct mcp2210_spi_chunk *tx)
{
	uint8_t n = req[1];

	if (expect_cmd(req, MCP2210_CMD_SPI_TRANSFER) < 0 || n > MCP2210_SPI_CHUNK_MAX)
		return -EINVAL;
	memset(tx, 0, sizeof(*tx));
	tx->len = n;
	memcpy(tx->data, &req[4], n);
	return 0;
}

int proto_parse_read_eeprom(const mcp2210_report req, uint8_t *addr)
{
	if (expect_cmd(req, MCP2210_CMD_READ_EEPROM) < 0)
		return -EINVAL;
	*addr = req[1];
	return 0;
}

int proto_parse_write_eeprom(const mcp2210_report req, uint8_t *addr, uint8_t *value)
{
	if (expect_cmd(req, MCP2210_CMD_WRITE_EEPROM) < 0)
		return -EINVAL;
	*addr = req[1];
	*value = req[2];
	return 0;
}

int proto_parse_nvram_sub(const mcp2210_report req, uint8_t *sub)
{
	if (req[0] != MCP2210_CMD_SET_NVRAM && req[0] != MCP2210_CMD_GET_NVRAM)
		return -EINVAL;
	if (!proto_nvram_sub_valid(req[PROTO_OFF_SUB]))
		return -EINVAL;
	*sub = req[PROTO_OFF_SUB];
	return 0;
}

int proto_parse_set_nvram_spi(const mcp2210_report req, struct mcp2210_spi_settings *ss)
{
	if (expect_nvram_set(req, MCP2210_NVRAM_SPI) < 0)
		return -EINVAL;
	return parse_spi_settings(req, ss);
}

/* The password (19..26) is read only when access is 0x40, as the encoder sends it. */
int proto_parse_set_nvram_chip(const mcp2210_report req, struct mcp2210_chip_settings *cs)
{
	struct mcp2210_chip_settings in;

	if (expect_nvram_set(req, MCP2210_NVRAM_CHIP) < 0)
		return -EINVAL;
	proto_chip_settings_unpack(req, &in, PROTO_CHIP_NVRAM_REQUEST);
	if (proto_chip_settings_check(&in) < 0)
		return -EINVAL;
	*cs = in;
	return 0;
}

/* Request offsets 4..9 (the answer's differ, see proto_answer_nvram_usb_key()). */
int proto_parse_set_nvram_usb_key(const mcp2210_report req, struct mcp2210_usb_key *key)
{
	struct mcp2210_usb_key in = { 0 };

	if (expect_nvram_set(req, MCP2210_NVRAM_USB_KEY) < 0)
		return -EINVAL;
	in.vid = proto_get_le16(&req[4]);
	in.pid = proto_get_le16(&req[6]);
	in.power = req[8];
	in.current_2ma = req[9];
	if (proto_usb_key_check(&in) < 0)
		return -EINVAL;
	*key = in;
	return 0;
}

int proto_parse_set_nvram_string(const mcp2210_report req, struct mcp2210_usb_string *s)
{
	struct mcp2210_usb_string in;

	if (req[0] != MCP2210_CMD_SET_NVRAM || !proto_nvram_sub_is_string(req[PROTO_OFF_SUB]))
		return -EINVAL;
	if (!proto_usb_string_unpack(req, &in))
		return -EINVAL;
	*s = in;
	return 0;
}

int proto_parse_send_password(const mcp2210_report req, char password[MCP2210_PASSWORD_LEN])
{
	if (expect_cmd(req, MCP2210_CMD_SEND_PASSWORD) < 0)
		return -EINVAL;
	memcpy(password, &req[4], MCP2210_PASSWORD_LEN);
	return 0;
}

int proto_parse_request_bus_release(const mcp2210_report req, bool *gp7_ack_level)
{
	if (expect_cmd(req, MCP2210_CMD_REQUEST_BUS_RELEASE) < 0)
		return -EINVAL;
	*gp7_ack_level = req[1] != 0;
	return 0;
}

/* ---- answer encoders ------------------------------------------------------------------- */

/*
 * Any command, payload-less answer (also every error answer):
 * @0, 1: command echo
 * @1, 1: status
 */
void proto_answer_status(mcp2210_report resp, uint8_t cmd, uint8_t status)
{
	proto_report_init(resp, cmd);
	resp[PROTO_OFF_STATUS] = status;
}

/*
 * 0x10 get chip status and 0x11 cancel SPI transfer:
 * @0, 1: 0x10 or 0x11
 * @1, 1: 0x00
 * @2, 1: external bus-release request, INVERTED: 0x01 none, 0x00 pending
 * @3, 1: bus owner: 0 none, 1 this bridge, 2 external master
 * @4, 1: password attempts
 * @5, 1: password guessed, 0/1
 */
void proto_answer_chip_status(mcp2210_report resp, uint8_t cmd,
			      const struct mcp2210_chip_status *st)
{
	proto_answer_status(resp, cmd, MCP2210_STATUS_OK);
	resp[2] = st->bus_release_pending ? 0x00 : 0x01;
	resp[3] = st->bus_owner;
	resp[4] = st->password_attempts;
	resp[5] = st->password_guessed ? 1 : 0;
}

/*
 * 0x12 read GP6 event counter:
 * @0, 1: 0x12
 * @1, 1: 0x00
 * @4, 2: counter
 */
void proto_answer_gp6_count(mcp2210_report resp, uint16_t count)
{
	proto_answer_status(resp, MCP2210_CMD_GET_GP6_COUNT, MCP2210_STATUS_OK);
	proto_put_le16(&resp[4], count);
}

/*
 * 0x20 get chip settings:
 * @0, 1:  0x20
 * @1, 1:  0x00
 * @4, 15: chip settings 4..18 (see proto_chip_settings_pack()); 13..16 read back with bits
 *         9..15 set; the password is never returned
 */
void proto_answer_chip_settings(mcp2210_report resp, const struct mcp2210_chip_settings *cs)
{
	proto_answer_status(resp, MCP2210_CMD_GET_CHIP_SETTINGS, MCP2210_STATUS_OK);
	proto_chip_settings_pack(resp, cs, PROTO_CHIP_ANSWER);
}

/*
 * 0x30 set GPIO values (levels after the write), 0x31 get GPIO values, 0x33 get directions:
 * @0, 1: command echo
 * @1, 1: 0x00
 * @4, 2: pin register, bit n = GPn, bits 9..15 read back set
 */
void proto_answer_pins(mcp2210_report resp, uint8_t cmd, uint16_t pins)
{
	proto_answer_status(resp, cmd, MCP2210_STATUS_OK);
	proto_put_le16(&resp[4], (uint16_t)(pins | PROTO_PIN_READBACK_ONES));
}

/*
 * 0x40 set SPI settings (echo) and 0x41 get SPI settings:
 * @0, 1:  0x40 or 0x41
 * @1, 1:  0x00
 * @2, 1:  0x11, size of the structure
 * @4, 17: SPI transfer settings (see proto_spi_settings_pack())
 */
void proto_answer_spi_settings(mcp2210_report resp, uint8_t cmd,
			       const struct mcp2210_spi_settings *ss)
{
	proto_answer_status(resp, cmd, MCP2210_STATUS_OK);
	resp[2] = PROTO_SPI_STRUCT_SIZE;
	proto_spi_settings_pack(resp, ss);
}

/*
 * 0x42 transfer SPI data:
 * @0, 1: 0x42
 * @1, 1: 0x00 (0xF7/0xF8 answers go through proto_answer_status())
 * @2, 1: m, received bytes in this answer, 0..60 (a larger rx->len is clamped)
 * @3, 1: engine status 0x10 finished / 0x20 started / 0x30 pending
 * @4, m: received data
 */
void proto_answer_spi_transfer(mcp2210_report resp, const struct mcp2210_spi_chunk *rx)
{
	size_t m = rx->len > MCP2210_SPI_CHUNK_MAX ? MCP2210_SPI_CHUNK_MAX : rx->len;

	proto_answer_status(resp, MCP2210_CMD_SPI_TRANSFER, MCP2210_STATUS_OK);
	resp[2] = (uint8_t)m;
	resp[3] = rx->engine;
	memcpy(&resp[4], rx->data, m);
}

/*
 * 0x50 read EEPROM:
 * @0, 1: 0x50
 * @1, 1: 0x00
 * @2, 1: address
 * @3, 1: value
 */
void proto_answer_read_eeprom(mcp2210_report resp, uint8_t addr, uint8_t value)
{
	proto_answer_status(resp, MCP2210_CMD_READ_EEPROM, MCP2210_STATUS_OK);
	resp[2] = addr;
	resp[3] = value;
}

/* 0x60 and 0x61 success answers: @2, 1: sub-command echo. */
static void answer_nvram(mcp2210_report resp, uint8_t cmd, uint8_t sub)
{
	proto_answer_status(resp, cmd, MCP2210_STATUS_OK);
	resp[PROTO_OFF_SUB_ECHO] = sub;
}

/*
 * 0x60 set NVRAM:
 * @0, 1: 0x60
 * @1, 1: 0x00
 * @2, 1: sub-command echo
 */
void proto_answer_set_nvram(mcp2210_report resp, uint8_t sub)
{
	answer_nvram(resp, MCP2210_CMD_SET_NVRAM, sub);
}

/*
 * 0x60 set NVRAM refused with a status that still echoes the sub-command, as the 0xF8 answer
 * to 0x60/0x10 does (DS22288A p. 16, table 3-6):
 * @0, 1: 0x60
 * @1, 1: status
 * @2, 1: sub-command echo
 */
void proto_answer_set_nvram_status(mcp2210_report resp, uint8_t sub, uint8_t status)
{
	answer_nvram(resp, MCP2210_CMD_SET_NVRAM, sub);
	resp[PROTO_OFF_STATUS] = status;
}

/*
 * 0x61/0x10 get NVRAM SPI power-up settings:
 * @0, 1:  0x61
 * @1, 1:  0x00
 * @2, 1:  0x10, sub-command echo (not the 0x11 structure size of 0x40/0x41: byte 2 of every
 *         0x61 answer is the sub echo)
 * @4, 17: SPI transfer settings (see proto_spi_settings_pack())
 */
void proto_answer_nvram_spi(mcp2210_report resp, const struct mcp2210_spi_settings *ss)
{
	answer_nvram(resp, MCP2210_CMD_GET_NVRAM, MCP2210_NVRAM_SPI);
	proto_spi_settings_pack(resp, ss);
}

/*
 * 0x61/0x20 get NVRAM chip power-up settings:
 * @0, 1:  0x61
 * @1, 1:  0x00
 * @2, 1:  0x20, sub-command echo
 * @4, 15: chip settings 4..18, pins with bits 9..15 set, never the password
 */
void proto_answer_nvram_chip(mcp2210_report resp, const struct mcp2210_chip_settings *cs)
{
	answer_nvram(resp, MCP2210_CMD_GET_NVRAM, MCP2210_NVRAM_CHIP);
	proto_chip_settings_pack(resp, cs, PROTO_CHIP_ANSWER);
}

/*
 * 0x61/0x30 get NVRAM USB key parameters, at OTHER offsets than the 0x60/0x30 request:
 * @0, 1:  0x61
 * @1, 1:  0x00
 * @2, 1:  0x30, sub-command echo
 * @12, 2: VID
 * @14, 2: PID
 * @29, 1: power option
 * @30, 1: requested current, 2 mA units
 */
void proto_answer_nvram_usb_key(mcp2210_report resp, const struct mcp2210_usb_key *key)
{
	answer_nvram(resp, MCP2210_CMD_GET_NVRAM, MCP2210_NVRAM_USB_KEY);
	proto_put_le16(&resp[12], key->vid);
	proto_put_le16(&resp[14], key->pid);
	resp[29] = key->power;
	resp[30] = key->current_2ma;
}

/*
 * 0x61/0x40 product and 0x61/0x50 manufacturer string:
 * @0, 1:      0x61
 * @1, 1:      0x00
 * @2, 1:      0x40 or 0x50, sub-command echo
 * @4, 1:      2 * len + 2 (len clamped to 29)
 * @5, 1:      0x03
 * @6, 2*len:  UTF-16LE
 */
void proto_answer_nvram_string(mcp2210_report resp, uint8_t sub, const struct mcp2210_usb_string *s)
{
	answer_nvram(resp, MCP2210_CMD_GET_NVRAM, sub);
	proto_usb_string_pack(resp, s);
}

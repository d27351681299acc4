/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MCP2210 codec, host side: build the 64-byte requests the driver sends and check and parse
 * the chip's answers. Request layouts are documented at each encoder; answer layouts at the
 * matching proto_answer_*() in proto_device.c, the structures in proto_common.c.
 */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_internal.h"

/* 0x12 byte 1: 0x00 asks for read-then-reset, any other value for read only. */
#define GP6_COUNT_RESET 0x00
#define GP6_COUNT_KEEP 0xFF

/* ---- request encoders ------------------------------------------------------------------ */

/* @0, 1: 0x10. No payload. */
void proto_encode_get_status(mcp2210_report req)
{
	proto_report_init(req, MCP2210_CMD_GET_STATUS);
}

/* @0, 1: 0x11. No payload. */
void proto_encode_cancel_spi(mcp2210_report req)
{
	proto_report_init(req, MCP2210_CMD_CANCEL_SPI);
}

/*
 * @0, 1: 0x12
 * @1, 1: 0x00 = read then reset the counter, 0xFF = read only (any non-zero value reads only)
 */
void proto_encode_get_gp6_count(mcp2210_report req, bool reset)
{
	proto_report_init(req, MCP2210_CMD_GET_GP6_COUNT);
	req[1] = reset ? GP6_COUNT_RESET : GP6_COUNT_KEEP;
}

/* @0, 1: 0x20. No payload. */
void proto_encode_get_chip_settings(mcp2210_report req)
{
	proto_report_init(req, MCP2210_CMD_GET_CHIP_SETTINGS);
}

/*
 * @0, 1:  0x21
 * @4, 14: chip settings bytes 4..17 (see proto_chip_settings_pack())
 * @18, 1: 0x00. Decision: whether 0x21 honours byte 18 (access control) is UNCONFIRMED, so we
 *         never send it live; access control changes only through 0x60/0x20. cs->access is
 *         still validated.
 */
int proto_encode_set_chip_settings(mcp2210_report req, const struct mcp2210_chip_settings *cs)
{
	proto_report_init(req, 0);
	if (proto_chip_settings_check(cs) < 0)
		return -EINVAL;
	req[0] = MCP2210_CMD_SET_CHIP_SETTINGS;
	proto_chip_settings_pack(req, cs, PROTO_CHIP_LIVE_REQUEST);
	return 0;
}

/*
 * @0, 1: 0x30
 * @4, 2: output values, bit n = GPn (masked to the 9 pins: bits 9..15 have no pin)
 */
void proto_encode_set_gpio_values(mcp2210_report req, uint16_t values)
{
	proto_report_init(req, MCP2210_CMD_SET_GPIO_VALUES);
	proto_put_le16(&req[4], values & MCP2210_PIN_MASK);
}

/* @0, 1: 0x31. No payload. */
void proto_encode_get_gpio_values(mcp2210_report req)
{
	proto_report_init(req, MCP2210_CMD_GET_GPIO_VALUES);
}

/*
 * @0, 1: 0x32
 * @4, 2: directions, bit n = GPn, 1 = input (masked to the 9 pins)
 */
void proto_encode_set_gpio_directions(mcp2210_report req, uint16_t inputs)
{
	proto_report_init(req, MCP2210_CMD_SET_GPIO_DIRECTIONS);
	proto_put_le16(&req[4], inputs & MCP2210_PIN_MASK);
}

/* @0, 1: 0x33. No payload. */
void proto_encode_get_gpio_directions(mcp2210_report req)
{
	proto_report_init(req, MCP2210_CMD_GET_GPIO_DIRECTIONS);
}

/* Both SPI settings requests (0x40 and 0x60/0x10) carry the structure at 4..20. */
static int encode_spi_settings(mcp2210_report req, uint8_t cmd, uint8_t sub,
			       const struct mcp2210_spi_settings *ss)
{
	proto_report_init(req, 0);
	if (proto_spi_settings_check(ss) < 0)
		return -EINVAL;
	req[0] = cmd;
	req[PROTO_OFF_SUB] = sub;
	proto_spi_settings_pack(req, ss);
	return 0;
}

/*
 * @0, 1:  0x40
 * @4, 17: SPI transfer settings (see proto_spi_settings_pack()). Whether the chip rounds the
 *         bit rate is UNCONFIRMED: callers read the answer's echo (or 0x41) for the real one.
 */
int proto_encode_set_spi_settings(mcp2210_report req, const struct mcp2210_spi_settings *ss)
{
	return encode_spi_settings(req, MCP2210_CMD_SET_SPI_SETTINGS, 0, ss);
}

/* @0, 1: 0x41. No payload. */
void proto_encode_get_spi_settings(mcp2210_report req)
{
	proto_report_init(req, MCP2210_CMD_GET_SPI_SETTINGS);
}

/*
 * @0, 1: 0x42
 * @1, 1: n, data bytes in this report, 0..60
 * @4, n: data to clock out
 */
int proto_encode_spi_transfer(mcp2210_report req, const uint8_t *data, size_t len)
{
	proto_report_init(req, 0);
	if (len > MCP2210_SPI_CHUNK_MAX || (len && !data))
		return -EINVAL;
	req[0] = MCP2210_CMD_SPI_TRANSFER;
	req[1] = (uint8_t)len;
	if (len)
		memcpy(&req[4], data, len);
	return 0;
}

/*
 * @0, 1: 0x50
 * @1, 1: EEPROM address
 */
void proto_encode_read_eeprom(mcp2210_report req, uint8_t addr)
{
	proto_report_init(req, MCP2210_CMD_READ_EEPROM);
	req[1] = addr;
}

/*
 * @0, 1: 0x51
 * @1, 1: EEPROM address
 * @2, 1: value
 */
void proto_encode_write_eeprom(mcp2210_report req, uint8_t addr, uint8_t value)
{
	proto_report_init(req, MCP2210_CMD_WRITE_EEPROM);
	req[1] = addr;
	req[2] = value;
}

/*
 * @0, 1:  0x60
 * @1, 1:  0x10
 * @4, 17: SPI power-up settings (see proto_spi_settings_pack())
 */
int proto_encode_set_nvram_spi(mcp2210_report req, const struct mcp2210_spi_settings *ss)
{
	return encode_spi_settings(req, MCP2210_CMD_SET_NVRAM, MCP2210_NVRAM_SPI, ss);
}

/*
 * @0, 1:  0x60
 * @1, 1:  0x20
 * @4, 15: chip power-up settings bytes 4..18 (see proto_chip_settings_pack())
 * @19, 8: new password when access is 0x40 (password protection); zeros otherwise, so that a
 *         password left in the structure is never sent along with "no protection" or "locked".
 */
int proto_encode_set_nvram_chip(mcp2210_report req, const struct mcp2210_chip_settings *cs)
{
	proto_report_init(req, 0);
	if (proto_chip_settings_check(cs) < 0)
		return -EINVAL;
	req[0] = MCP2210_CMD_SET_NVRAM;
	req[PROTO_OFF_SUB] = MCP2210_NVRAM_CHIP;
	proto_chip_settings_pack(req, cs, PROTO_CHIP_NVRAM_REQUEST);
	return 0;
}

/*
 * @0, 1: 0x60
 * @1, 1: 0x30
 * @4, 2: VID
 * @6, 2: PID
 * @8, 1: power option: bit7 bus powered, bit6 self powered (exactly one), bit5 remote wake-up
 * @9, 1: requested current, 2 mA units
 * (The 0x61/0x30 answer uses other offsets: see proto_answer_nvram_usb_key().)
 */
int proto_encode_set_nvram_usb_key(mcp2210_report req, const struct mcp2210_usb_key *key)
{
	proto_report_init(req, 0);
	if (proto_usb_key_check(key) < 0)
		return -EINVAL;
	req[0] = MCP2210_CMD_SET_NVRAM;
	req[PROTO_OFF_SUB] = MCP2210_NVRAM_USB_KEY;
	proto_put_le16(&req[4], key->vid);
	proto_put_le16(&req[6], key->pid);
	req[8] = key->power;
	req[9] = key->current_2ma;
	return 0;
}

/*
 * @0, 1:      0x60
 * @1, 1:      0x40 product or 0x50 manufacturer
 * @4, 1:      2 * len + 2
 * @5, 1:      0x03
 * @6, 2*len:  UTF-16LE. Decision: 29 units are accepted although only 28 are confirmed safe
 *             (MCP2210_STRING_MAX_UNITS in proto.h); 29 fill the report to byte 63.
 * Code units are sent as given, validity is the UTF-8 conversion's business.
 */
int proto_encode_set_nvram_string(mcp2210_report req, uint8_t sub,
				  const struct mcp2210_usb_string *s)
{
	proto_report_init(req, 0);
	if (!proto_nvram_sub_is_string(sub) || s->len > MCP2210_STRING_MAX_UNITS)
		return -EINVAL;
	req[0] = MCP2210_CMD_SET_NVRAM;
	req[PROTO_OFF_SUB] = sub;
	proto_usb_string_pack(req, s);
	return 0;
}

/*
 * @0, 1: 0x61
 * @1, 1: sub-command 0x10, 0x20, 0x30, 0x40 or 0x50
 */
int proto_encode_get_nvram(mcp2210_report req, uint8_t sub)
{
	proto_report_init(req, 0);
	if (!proto_nvram_sub_valid(sub))
		return -EINVAL;
	req[0] = MCP2210_CMD_GET_NVRAM;
	req[PROTO_OFF_SUB] = sub;
	return 0;
}

/*
 * @0, 1: 0x70
 * @4, 8: password, 8 bytes as given (shorter passwords are NUL padded by the caller)
 */
void proto_encode_send_password(mcp2210_report req, const char password[MCP2210_PASSWORD_LEN])
{
	proto_report_init(req, MCP2210_CMD_SEND_PASSWORD);
	memcpy(&req[4], password, MCP2210_PASSWORD_LEN);
}

/*
 * @0, 1: 0x80
 * @1, 1: level to drive on GP7 (bus release ACK, if dedicated): 0x00 low, 0x01 high
 */
void proto_encode_request_bus_release(mcp2210_report req, bool gp7_ack_level)
{
	proto_report_init(req, MCP2210_CMD_REQUEST_BUS_RELEASE);
	req[1] = gp7_ack_level ? 1 : 0;
}

/* ---- answer decoders ------------------------------------------------------------------- */

int proto_check_answer(const mcp2210_report resp, uint8_t cmd)
{
	if (resp[0] != cmd)
		return -EPROTO;
	return proto_status_errno(resp[PROTO_OFF_STATUS]);
}

/* 0x10 and 0x11 answers, layout at proto_answer_chip_status(). */
static int decode_chip_status(const mcp2210_report resp, uint8_t cmd,
			      struct mcp2210_chip_status *st)
{
	struct mcp2210_chip_status out = { 0 };
	int ret = proto_check_answer(resp, cmd);

	if (ret < 0)
		return ret;
	/* Inverted: 0x01 means no request, 0x00 a pending one. */
	if (resp[2] > 1 || resp[3] > MCP2210_BUS_OWNER_EXTERNAL || resp[5] > 1)
		return -EPROTO;
	out.bus_release_pending = resp[2] == 0;
	out.bus_owner = resp[3];
	out.password_attempts = resp[4];
	out.password_guessed = resp[5] == 1;
	*st = out;
	return 0;
}

int proto_decode_get_status(const mcp2210_report resp, struct mcp2210_chip_status *st)
{
	return decode_chip_status(resp, MCP2210_CMD_GET_STATUS, st);
}

int proto_decode_cancel_spi(const mcp2210_report resp, struct mcp2210_chip_status *st)
{
	return decode_chip_status(resp, MCP2210_CMD_CANCEL_SPI, st);
}

int proto_decode_get_gp6_count(const mcp2210_report resp, uint16_t *count)
{
	int ret = proto_check_answer(resp, MCP2210_CMD_GET_GP6_COUNT);

	if (ret < 0)
		return ret;
	*count = proto_get_le16(&resp[4]);
	return 0;
}

/* 0x20 and 0x61/0x20 answers: chip settings at 4..18, never the password. */
static int decode_chip_settings(const mcp2210_report resp, struct mcp2210_chip_settings *cs)
{
	struct mcp2210_chip_settings out;

	proto_chip_settings_unpack(resp, &out, PROTO_CHIP_ANSWER);
	if (proto_chip_settings_check(&out) < 0)
		return -EPROTO;
	*cs = out;
	return 0;
}

int proto_decode_get_chip_settings(const mcp2210_report resp, struct mcp2210_chip_settings *cs)
{
	int ret = proto_check_answer(resp, MCP2210_CMD_GET_CHIP_SETTINGS);

	return ret < 0 ? ret : decode_chip_settings(resp, cs);
}

int proto_decode_set_chip_settings(const mcp2210_report resp)
{
	return proto_check_answer(resp, MCP2210_CMD_SET_CHIP_SETTINGS);
}

/* 0x30, 0x31 and 0x33 answers: a pin register at 4..5, read back with bits 9..15 set. */
static int decode_pins(const mcp2210_report resp, uint8_t cmd, uint16_t *pins)
{
	int ret = proto_check_answer(resp, cmd);

	if (ret < 0)
		return ret;
	*pins = proto_get_le16(&resp[4]) & MCP2210_PIN_MASK;
	return 0;
}

int proto_decode_set_gpio_values(const mcp2210_report resp, uint16_t *levels)
{
	return decode_pins(resp, MCP2210_CMD_SET_GPIO_VALUES, levels);
}

int proto_decode_get_gpio_values(const mcp2210_report resp, uint16_t *levels)
{
	return decode_pins(resp, MCP2210_CMD_GET_GPIO_VALUES, levels);
}

int proto_decode_set_gpio_directions(const mcp2210_report resp)
{
	return proto_check_answer(resp, MCP2210_CMD_SET_GPIO_DIRECTIONS);
}

int proto_decode_get_gpio_directions(const mcp2210_report resp, uint16_t *inputs)
{
	return decode_pins(resp, MCP2210_CMD_GET_GPIO_DIRECTIONS, inputs);
}

/* 0x40, 0x41 and 0x61/0x10 answers: SPI settings at 4..20. Byte 2 (0x11 for 0x40/0x41) is
 * not insisted on; the 0x61 caller checks its sub echo there. The chip-select fields keep all
 * 16 bits (a real chip answers `ff ff` when that was written), so that writing the structure
 * back changes nothing the host did not mean to change. */
static int decode_spi_settings(const mcp2210_report resp, struct mcp2210_spi_settings *ss)
{
	struct mcp2210_spi_settings out;

	proto_spi_settings_unpack(resp, &out);
	if (!proto_spi_settings_plausible(&out))
		return -EPROTO;
	*ss = out;
	return 0;
}

int proto_decode_set_spi_settings(const mcp2210_report resp, struct mcp2210_spi_settings *ss)
{
	int ret = proto_check_answer(resp, MCP2210_CMD_SET_SPI_SETTINGS);

	return ret < 0 ? ret : decode_spi_settings(resp, ss);
}

int proto_decode_get_spi_settings(const mcp2210_report resp, struct mcp2210_spi_settings *ss)
{
	int ret = proto_check_answer(resp, MCP2210_CMD_GET_SPI_SETTINGS);

	return ret < 0 ? ret : decode_spi_settings(resp, ss);
}

/* Layout at proto_answer_spi_transfer(). An engine status of 0x20 ("no data yet") with m > 0
 * is passed on as is: the sheet does not say the chip never does it. */
int proto_decode_spi_transfer(const mcp2210_report resp, struct mcp2210_spi_chunk *rx)
{
	uint8_t m = resp[2];
	uint8_t engine = resp[3];
	int ret = proto_check_answer(resp, MCP2210_CMD_SPI_TRANSFER);

	if (ret < 0)
		return ret;
	if (m > MCP2210_SPI_CHUNK_MAX)
		return -EPROTO;
	if (engine != MCP2210_ENGINE_FINISHED && engine != MCP2210_ENGINE_STARTED &&
	    engine != MCP2210_ENGINE_PENDING)
		return -EPROTO;
	memset(rx, 0, sizeof(*rx));
	rx->len = m;
	rx->engine = engine;
	memcpy(rx->data, &resp[4], m);
	return 0;
}

int proto_decode_read_eeprom(const mcp2210_report resp, uint8_t addr, uint8_t *value)
{
	int ret = proto_check_answer(resp, MCP2210_CMD_READ_EEPROM);

	if (ret < 0)
		return ret;
	if (resp[2] != addr)
		return -EPROTO;
	*value = resp[3];
	return 0;
}

int proto_decode_write_eeprom(const mcp2210_report resp)
{
	return proto_check_answer(resp, MCP2210_CMD_WRITE_EEPROM);
}

/* 0x60 and 0x61 answers echo the sub-command at byte 2. */
static int check_nvram_answer(const mcp2210_report resp, uint8_t cmd, uint8_t sub)
{
	int ret = proto_check_answer(resp, cmd);

	if (ret < 0)
		return ret;
	return resp[PROTO_OFF_SUB_ECHO] == sub ? 0 : -EPROTO;
}

int proto_decode_set_nvram(const mcp2210_report resp, uint8_t sub)
{
	return check_nvram_answer(resp, MCP2210_CMD_SET_NVRAM, sub);
}

int proto_decode_get_nvram_spi(const mcp2210_report resp, struct mcp2210_spi_settings *ss)
{
	int ret = check_nvram_answer(resp, MCP2210_CMD_GET_NVRAM, MCP2210_NVRAM_SPI);

	return ret < 0 ? ret : decode_spi_settings(resp, ss);
}

int proto_decode_get_nvram_chip(const mcp2210_report resp, struct mcp2210_chip_settings *cs)
{
	int ret = check_nvram_answer(resp, MCP2210_CMD_GET_NVRAM, MCP2210_NVRAM_CHIP);

	return ret < 0 ? ret : decode_chip_settings(resp, cs);
}

/* Layout at proto_answer_nvram_usb_key(). Bits 4..0 of the power byte are "don't care" in
 * this answer (DS22288A p. 29) but must be 0 in the 0x60/0x30 request (p. 18): they are
 * dropped here, so that whatever a chip returns there is never sent back. Bits 7..5 are
 * returned as stored, even if not a pair proto_encode_set_nvram_usb_key() would send: that is
 * what lets a user see and fix a bad one. */
int proto_decode_get_nvram_usb_key(const mcp2210_report resp, struct mcp2210_usb_key *key)
{
	struct mcp2210_usb_key out = { 0 };
	int ret = check_nvram_answer(resp, MCP2210_CMD_GET_NVRAM, MCP2210_NVRAM_USB_KEY);

	if (ret < 0)
		return ret;
	out.vid = proto_get_le16(&resp[12]);
	out.pid = proto_get_le16(&resp[14]);
	out.power = resp[29] & PROTO_POWER_KNOWN_BITS;
	out.current_2ma = resp[30];
	*key = out;
	return 0;
}

int proto_decode_get_nvram_string(const mcp2210_report resp, uint8_t sub,
				  struct mcp2210_usb_string *s)
{
	struct mcp2210_usb_string out;
	int ret;

	if (!proto_nvram_sub_is_string(sub))
		return -EINVAL;
	ret = check_nvram_answer(resp, MCP2210_CMD_GET_NVRAM, sub);
	if (ret < 0)
		return ret;
	if (!proto_usb_string_unpack(resp, &out))
		return -EPROTO;
	*s = out;
	return 0;
}

int proto_decode_send_password(const mcp2210_report resp)
{
	return proto_check_answer(resp, MCP2210_CMD_SEND_PASSWORD);
}

int proto_decode_request_bus_release(const mcp2210_report resp)
{
	return proto_check_answer(resp, MCP2210_CMD_REQUEST_BUS_RELEASE);
}

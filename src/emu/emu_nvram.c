/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NVRAM, user EEPROM and access control of the emulated MCP2210: factory contents, 0x50/0x51,
 * 0x60/0x61 and the password (0x70) with its lockout after 5 wrong attempts until power-up.
 * Every change is written through to the state file, as the real chip writes its flash.
 */
#include <errno.h>
#include <string.h>

#include "emu/emu_internal.h"
#include "util/log.h"

static void set_string(struct mcp2210_usb_string *s, const char *ascii)
{
	memset(s, 0, sizeof(*s));
	for (; *ascii && s->len < MCP2210_STRING_MAX_UNITS; ascii++)
		s->units[s->len++] = (uint8_t)*ascii;
}

/* Factory contents. doc/protocol.md marks the SPI defaults unconfirmed; we take 1 Mbit/s,
 * 4 bytes per transaction, mode 0, all chip selects idle high and active low, no delays, and
 * every pin a GPIO input. The user EEPROM of a new part is erased (0xFF). */
void emu_nvram_factory(struct emu_nvram *nv)
{
	memset(nv, 0, sizeof(*nv));
	nv->chip.gpio_direction = MCP2210_PIN_MASK;
	nv->chip.access = MCP2210_ACCESS_NONE;
	nv->spi = (struct mcp2210_spi_settings){
		.bitrate = 1000000,
		.cs_idle = MCP2210_PIN_MASK,
		.cs_active = 0,
		.bytes_per_transaction = 4,
		.mode = 0,
	};
	nv->usb_key = (struct mcp2210_usb_key){
		.vid = MCP2210_VID_FACTORY,
		.pid = MCP2210_PID_FACTORY,
		.power = MCP2210_POWER_BUS,
		.current_2ma = 50,
	};
	set_string(&nv->manufacturer, "Microchip Technology Inc.");
	set_string(&nv->product, "MCP2210 USB to SPI Master");
	memset(nv->eeprom, 0xFF, sizeof(nv->eeprom));
}

/* Writes to NVRAM and to the user EEPROM are refused while a password has not been given in
 * this power cycle, and always on a permanently locked chip. */
static bool writes_blocked(const struct emu *e)
{
	switch (e->nvram.chip.access) {
	case MCP2210_ACCESS_LOCKED:
		return true;
	case MCP2210_ACCESS_PASSWORD:
		return !e->password_guessed;
	default:
		return false;
	}
}

/* Write the change through to the state file. A chip whose flash write fails keeps the old
 * content and answers 0xFA (EEPROM write failed): so does the emulator when the file cannot
 * be saved (disk full, read-only, ...), the caller restoring what it changed. */
static bool persist(struct emu *e)
{
	int ret = emu_state_save(e);

	if (ret < 0)
		log_err("emulator: cannot save state to %s: %s; the write is refused", e->state_file, strerror(-ret));
	return ret == 0;
}

static uint8_t write_eeprom(struct emu *e, const mcp2210_report req)
{
	uint8_t addr, value, old;

	if (proto_parse_write_eeprom(req, &addr, &value) < 0)
		return MCP2210_STATUS_UNKNOWN_COMMAND;
	if (writes_blocked(e))
		return MCP2210_STATUS_BLOCKED;
	if (emu_fault_fire(e, EMU_FAULT_EEPROM_WRITE))
		return MCP2210_STATUS_EEPROM_WRITE_FAILED;
	/* a worn cell: the write "succeeds" with another value, only a read-back shows it */
	old = e->nvram.eeprom[addr];
	e->nvram.eeprom[addr] = emu_fault_fire(e, EMU_FAULT_SILENT_WRITE) ? (uint8_t)~value : value;
	if (!persist(e)) {
		e->nvram.eeprom[addr] = old;
		return MCP2210_STATUS_EEPROM_WRITE_FAILED;
	}
	return MCP2210_STATUS_OK;
}

static int set_nvram(struct emu *e, uint8_t sub, const mcp2210_report req)
{
	struct emu_nvram *nv = &e->nvram;

	switch (sub) {
	case MCP2210_NVRAM_SPI:
		if (proto_parse_set_nvram_spi(req, &nv->spi) < 0)
			return -EINVAL;
		emu_spi_settings_take(&nv->spi, false);
		return 0;
	case MCP2210_NVRAM_CHIP:
		return proto_parse_set_nvram_chip(req, &nv->chip);
	case MCP2210_NVRAM_USB_KEY:
		return proto_parse_set_nvram_usb_key(req, &nv->usb_key);
	case MCP2210_NVRAM_PRODUCT:
		return proto_parse_set_nvram_string(req, &nv->product);
	default:
		return proto_parse_set_nvram_string(req, &nv->manufacturer);
	}
}

/* Fault injection: one bit of the block just written comes out wrong, in a field that stays
 * valid, as a flash cell that did not take the write. */
static void corrupt_block(struct emu_nvram *nv, uint8_t sub)
{
	switch (sub) {
	case MCP2210_NVRAM_SPI:
		nv->spi.cs_idle ^= 1;
		break;
	case MCP2210_NVRAM_CHIP:
		nv->chip.gpio_value ^= 1;
		break;
	case MCP2210_NVRAM_USB_KEY:
		nv->usb_key.vid ^= 1;
		break;
	case MCP2210_NVRAM_PRODUCT:
		nv->product.units[0] ^= 1;
		break;
	default:
		nv->manufacturer.units[0] ^= 1;
		break;
	}
}

static void set_nvram_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	uint8_t cmd = MCP2210_CMD_SET_NVRAM;
	struct emu_nvram before = e->nvram;
	bool guessed = e->password_guessed;
	uint8_t sub;

	if (proto_parse_nvram_sub(req, &sub) < 0) {
		proto_answer_status(resp, cmd, MCP2210_STATUS_UNKNOWN_COMMAND);
		return;
	}
	if (writes_blocked(e)) {
		proto_answer_status(resp, cmd, MCP2210_STATUS_BLOCKED);
		return;
	}
	/* The SPI power-up settings are refused while a transfer runs, and that answer too echoes
	 * the sub-command at byte 2 (DS22288A p. 16, table 3-6). */
	if (sub == MCP2210_NVRAM_SPI && e->engine.active) {
		proto_answer_set_nvram_status(resp, sub, MCP2210_STATUS_BUSY);
		return;
	}
	if (set_nvram(e, sub, req) < 0) {
		e->nvram = before; /* a rejected request leaves NVRAM as it was */
		proto_answer_status(resp, cmd, MCP2210_STATUS_UNKNOWN_COMMAND);
		return;
	}
	if (emu_fault_fire(e, EMU_FAULT_SILENT_WRITE))
		corrupt_block(&e->nvram, sub);
	if (sub == MCP2210_NVRAM_CHIP) {
		if (e->nvram.chip.access != MCP2210_ACCESS_PASSWORD)
			memset(e->nvram.chip.password, 0, sizeof(e->nvram.chip.password));
		/* Protection takes effect at once, but the host that just set the password has
		 * shown it knows it: this power cycle stays unlocked (unconfirmed on silicon). */
		else
			e->password_guessed = true;
	}
	if (!persist(e)) {
		e->nvram = before;
		e->password_guessed = guessed;
		proto_answer_status(resp, cmd, MCP2210_STATUS_EEPROM_WRITE_FAILED);
		return;
	}
	proto_answer_set_nvram(resp, sub);
}

static void get_nvram_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	const struct emu_nvram *nv = &e->nvram;
	uint8_t sub;

	if (proto_parse_nvram_sub(req, &sub) < 0) {
		proto_answer_status(resp, MCP2210_CMD_GET_NVRAM, MCP2210_STATUS_UNKNOWN_COMMAND);
		return;
	}
	switch (sub) {
	case MCP2210_NVRAM_SPI:
		proto_answer_nvram_spi(resp, &nv->spi);
		break;
	case MCP2210_NVRAM_CHIP:
		proto_answer_nvram_chip(resp, &nv->chip); /* the encoder never sends the password */
		break;
	case MCP2210_NVRAM_USB_KEY:
		proto_answer_nvram_usb_key(resp, &nv->usb_key);
		break;
	case MCP2210_NVRAM_PRODUCT:
		proto_answer_nvram_string(resp, sub, &nv->product);
		break;
	default:
		proto_answer_nvram_string(resp, sub, &nv->manufacturer);
		break;
	}
}

/* 0x70, in the order of the datasheet's logic flow (DS22288A p. 33, figure 3-11, responses 1..5
 * in tables 3-28..3-32): not protected -> 0x00; permanently locked -> 0xFC ("access
 * rejected"); already 5 wrong attempts -> 0xFB, until power-up, whatever the password; the
 * right password -> 0x00; otherwise the count goes up and the answer is 0xFD. So wrong tries 1
 * to 5 answer 0xFD and the 6th and later 0xFB. The flow does not say that a right password
 * resets the count, so it does not. */
static uint8_t send_password(struct emu *e, const mcp2210_report req)
{
	char password[MCP2210_PASSWORD_LEN];

	if (proto_parse_send_password(req, password) < 0)
		return MCP2210_STATUS_UNKNOWN_COMMAND;
	switch (e->nvram.chip.access) {
	case MCP2210_ACCESS_LOCKED:
		return MCP2210_STATUS_ACCESS_REJECTED;
	case MCP2210_ACCESS_PASSWORD:
		break;
	default:
		return MCP2210_STATUS_OK;
	}
	if (e->password_attempts >= MCP2210_PASSWORD_ATTEMPTS_MAX)
		return MCP2210_STATUS_BLOCKED;
	if (memcmp(password, e->nvram.chip.password, MCP2210_PASSWORD_LEN) == 0) {
		e->password_guessed = true;
		return MCP2210_STATUS_OK;
	}
	e->password_attempts++;
	return MCP2210_STATUS_WRONG_PASSWORD;
}

void emu_nvram_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	uint8_t cmd = proto_cmd(req);
	uint8_t addr;

	switch (cmd) {
	case MCP2210_CMD_READ_EEPROM:
		if (proto_parse_read_eeprom(req, &addr) < 0)
			proto_answer_status(resp, cmd, MCP2210_STATUS_UNKNOWN_COMMAND);
		else
			proto_answer_read_eeprom(resp, addr, e->nvram.eeprom[addr]);
		break;
	case MCP2210_CMD_WRITE_EEPROM:
		proto_answer_status(resp, cmd, write_eeprom(e, req));
		break;
	case MCP2210_CMD_SET_NVRAM:
		set_nvram_cmd(e, req, resp);
		break;
	case MCP2210_CMD_GET_NVRAM:
		get_nvram_cmd(e, req, resp);
		break;
	default:
		proto_answer_status(resp, cmd, send_password(e, req));
		break;
	}
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210's command dispatcher, and the commands about the chip as a whole:
 * status (0x10), cancel (0x11) and live chip settings (0x20/0x21).
 */
#include "emu/emu_internal.h"

static void status_cmd(struct emu *e, uint8_t cmd, mcp2210_report resp)
{
	struct mcp2210_chip_status st = {
		.bus_release_pending = emu_bus_request_pending(e),
		.bus_owner = emu_spi_bus_owner(e),
		.password_attempts = e->password_attempts,
		.password_guessed = e->password_guessed,
	};

	proto_answer_chip_status(resp, cmd, &st);
}

static void chip_settings_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	struct mcp2210_chip_settings cs;

	if (proto_cmd(req) == MCP2210_CMD_GET_CHIP_SETTINGS) {
		/* The live GPIO fields are the latch and directions themselves; the access byte
		 * reports NVRAM protection. */
		cs = e->live;
		cs.gpio_value = e->latch;
		cs.gpio_direction = e->direction;
		cs.access = e->nvram.chip.access;
		proto_answer_chip_settings(resp, &cs);
		return;
	}
	if (proto_parse_set_chip_settings(req, &cs) < 0) {
		proto_answer_status(resp, proto_cmd(req), MCP2210_STATUS_UNKNOWN_COMMAND);
		return;
	}
	/* 0x21 overwrites the live GPIO values and directions with its "default" fields. Byte 18
	 * (access control) is not taken live: protection is an NVRAM matter. */
	e->live = cs;
	e->latch = cs.gpio_value & MCP2210_PIN_MASK;
	e->direction = (cs.gpio_direction & MCP2210_PIN_MASK) | (1u << 8);
	emu_gpio_cs_update(e, e->now_ns);
	proto_answer_status(resp, MCP2210_CMD_SET_CHIP_SETTINGS, MCP2210_STATUS_OK);
}

/* Malformed requests (a field the chip could not have been sent) are answered 0xF9 like an
 * unknown command: the datasheet does not say, and the driver never sends them. */
void emu_handle_command(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	uint8_t cmd = proto_cmd(req);

	emu_sync(e);
	e->counters.commands++;
	e->counters.per_command[cmd]++;
	switch (cmd) {
	case MCP2210_CMD_GET_STATUS:
		status_cmd(e, cmd, resp);
		break;
	case MCP2210_CMD_CANCEL_SPI:
		emu_spi_cancel(e);
		status_cmd(e, cmd, resp);
		break;
	case MCP2210_CMD_GET_CHIP_SETTINGS:
	case MCP2210_CMD_SET_CHIP_SETTINGS:
		chip_settings_cmd(e, req, resp);
		break;
	case MCP2210_CMD_GET_GP6_COUNT:
	case MCP2210_CMD_SET_GPIO_VALUES:
	case MCP2210_CMD_GET_GPIO_VALUES:
	case MCP2210_CMD_SET_GPIO_DIRECTIONS:
	case MCP2210_CMD_GET_GPIO_DIRECTIONS:
		emu_gpio_cmd(e, req, resp);
		break;
	case MCP2210_CMD_SET_SPI_SETTINGS:
	case MCP2210_CMD_GET_SPI_SETTINGS:
	case MCP2210_CMD_SPI_TRANSFER:
		emu_spi_cmd(e, req, resp);
		break;
	case MCP2210_CMD_READ_EEPROM:
	case MCP2210_CMD_WRITE_EEPROM:
	case MCP2210_CMD_SET_NVRAM:
	case MCP2210_CMD_GET_NVRAM:
	case MCP2210_CMD_SEND_PASSWORD:
		emu_nvram_cmd(e, req, resp);
		break;
	case MCP2210_CMD_REQUEST_BUS_RELEASE:
		emu_bus_release_cmd(e, req, resp);
		break;
	default:
		proto_answer_status(resp, cmd, MCP2210_STATUS_UNKNOWN_COMMAND);
		break;
	}
	emu_settle(e); /* what the command moved: the bus, pins and peripherals */
}

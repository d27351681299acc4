/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pins of the emulated MCP2210: levels by designation, chip-select lines and the peripherals
 * they select, the GP6 event counter, and the GPIO commands 0x30..0x33 and 0x12.
 */
#include "emu/emu_internal.h"

enum { GP_SSPND = 2, GP_SPI_LED = 3, GP_LOW_POWER = 4, GP_USBCFG = 5, GP_IRQ = 6, GP_ACK = 7, GP_REQ = 8 };

static bool bit(uint16_t v, unsigned n) { return (v >> n) & 1u; }

/* Levels of the dedicated-function outputs. The sheet cannot confirm their polarity; we drive
 * them active high: SSPND and low-power low (the emulated host never suspends), USBCFG high
 * (enumerated), the SPI LED high while chip selects are asserted, GP7 as 0x80 last set it. */
static bool dedicated_level(const struct emu *e, unsigned pin)
{
	switch (pin) {
	case GP_SPI_LED:
		return e->engine.cs_asserted;
	case GP_USBCFG:
		return true;
	case GP_ACK:
		return e->gp7_ack;
	case GP_IRQ:
	case GP_REQ:
		return bit(e->external, pin);
	default: /* GP_SSPND, GP_LOW_POWER, and GP0/GP1 which have no known function */
		return false;
	}
}

static bool cs_level(const struct emu *e, unsigned pin)
{
	uint16_t mask = e->engine.cs_asserted ? e->spi.cs_active : e->spi.cs_idle;

	return bit(mask, pin);
}

static bool pin_level(const struct emu *e, unsigned pin)
{
	switch (e->live.pin_function[pin]) {
	case MCP2210_PIN_CS:
		if (pin < EMU_CS_LINES)
			return cs_level(e, pin);
		break; /* GP8 cannot be a chip select: it stays an input */
	case MCP2210_PIN_DEDICATED:
		return dedicated_level(e, pin);
	default:
		break;
	}
	return bit(e->direction, pin) ? bit(e->external, pin) : bit(e->latch, pin);
}

uint16_t emu_gpio_levels(const struct emu *e)
{
	uint16_t levels = 0;

	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++)
		levels |= (uint16_t)(pin_level(e, pin) << pin);
	return levels;
}

/* Peripherals are selected while their CS pin is low (designated CS, level per the masks);
 * `selected` only ever holds lines with a peripheral. Call after anything that may move a
 * chip-select line or wire a peripheral. */
void emu_gpio_cs_update(struct emu *e, uint64_t at_ns)
{
	uint8_t want = 0;

	for (unsigned cs = 0; cs < EMU_CS_LINES; cs++)
		if (e->periph[cs] && e->live.pin_function[cs] == MCP2210_PIN_CS && !cs_level(e, cs))
			want |= (uint8_t)(1u << cs);
	for (unsigned cs = 0; cs < EMU_CS_LINES; cs++) {
		struct emu_periph *p = e->periph[cs];
		uint8_t m = (uint8_t)(1u << cs);

		if (!p || (want & m) == (e->selected & m))
			continue;
		if (want & m)
			p->ops->select(p, e->spi.mode, at_ns);
		else
			p->ops->deselect(p, at_ns);
	}
	e->selected = want;
}

/* GP6 with its dedicated function counts per the interrupt mode. A pulse is counted when it
 * ends. The counter saturates at 0xFFFF (the datasheet gives no wrap; saturating never
 * reports fewer events than happened). */
static void gp6_edge(struct emu *e, bool rising)
{
	bool count;

	switch (e->live.irq_mode) {
	case MCP2210_IRQ_FALLING:
	case MCP2210_IRQ_HIGH_PULSES:
		count = !rising;
		break;
	case MCP2210_IRQ_RISING:
	case MCP2210_IRQ_LOW_PULSES:
		count = rising;
		break;
	default:
		count = false;
	}
	if (count && e->gp6_count < UINT16_MAX)
		e->gp6_count++;
}

void emu_gpio_input_changed(struct emu *e, unsigned pin, bool level)
{
	bool old = bit(e->external, pin);

	if (level)
		e->external |= (uint16_t)(1u << pin);
	else
		e->external &= (uint16_t)~(1u << pin);
	if (pin == GP_IRQ && old != level && e->live.pin_function[GP_IRQ] == MCP2210_PIN_DEDICATED)
		gp6_edge(e, level);
}

void emu_gpio_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	uint8_t cmd = proto_cmd(req);
	uint16_t v;
	bool reset;

	switch (cmd) {
	case MCP2210_CMD_SET_GPIO_VALUES:
		/* The latch takes every bit; only GPIO outputs show it on the pin. */
		if (proto_parse_set_gpio_values(req, &v) < 0)
			break;
		e->latch = v & MCP2210_PIN_MASK;
		proto_answer_pins(resp, cmd, emu_gpio_levels(e));
		return;
	case MCP2210_CMD_GET_GPIO_VALUES:
		proto_answer_pins(resp, cmd, emu_gpio_levels(e));
		return;
	case MCP2210_CMD_SET_GPIO_DIRECTIONS:
		if (proto_parse_set_gpio_directions(req, &v) < 0)
			break;
		e->direction = (v & MCP2210_PIN_MASK) | (1u << GP_REQ);
		proto_answer_status(resp, cmd, MCP2210_STATUS_OK);
		return;
	case MCP2210_CMD_GET_GPIO_DIRECTIONS:
		proto_answer_pins(resp, cmd, e->direction);
		return;
	case MCP2210_CMD_GET_GP6_COUNT:
		if (proto_parse_get_gp6_count(req, &reset) < 0)
			break;
		proto_answer_gp6_count(resp, e->gp6_count);
		if (reset)
			e->gp6_count = 0;
		return;
	default:
		break;
	}
	proto_answer_status(resp, cmd, MCP2210_STATUS_UNKNOWN_COMMAND);
}

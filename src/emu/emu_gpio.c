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
 * (enumerated), the SPI LED high while chip selects are asserted; GP7, the bus release
 * acknowledge, as 0x80 or the hand-over last set it (emu_bus.c). */
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
	default: /* GP_SSPND, GP_LOW_POWER */
		return false;
	}
}

static bool cs_level(const struct emu *e, unsigned pin)
{
	uint16_t mask = e->engine.cs_asserted ? e->spi.cs_active : e->spi.cs_idle;

	return bit(mask, pin);
}

/* What a designation byte (chip settings bytes 4..12) makes of a pin. The datasheet names
 * 0x00 GPIO, 0x01 chip select, 0x02 dedicated function (DS22288A p. 40, table 3-39); the chip
 * keeps whatever byte 0x21 or 0x60/0x20 sent it (doc/protocol.md, emulator choices). A byte with no function at that
 * pin is ROLE_NONE: GP8 as a chip select (rev C: "up to 8 chip selects"; a public report says a
 * GP8 chip select goes high impedance, jeremyherbert/mcp2210-python issue 5), GP0/GP1 as
 * dedicated (no function known), and every byte above 0x02. Decision, as the datasheet is
 * silent: such a pin is not driven by the chip (it reads what the outside drives) and is not
 * a GPIO for 0x30/0x31/0x33. */
enum pin_role { ROLE_GPIO, ROLE_CS, ROLE_DEDICATED, ROLE_NONE };

static enum pin_role pin_role(const struct emu *e, unsigned pin)
{
	switch (e->live.pin_function[pin]) {
	case MCP2210_PIN_GPIO:
		return ROLE_GPIO;
	case MCP2210_PIN_CS:
		return pin < EMU_CS_LINES ? ROLE_CS : ROLE_NONE;
	case MCP2210_PIN_DEDICATED:
		return pin >= GP_SSPND ? ROLE_DEDICATED : ROLE_NONE;
	default:
		return ROLE_NONE;
	}
}

/* Pins designated GPIO, bit n = GPn. */
static uint16_t gpio_pins(const struct emu *e)
{
	uint16_t mask = 0;

	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++)
		if (pin_role(e, pin) == ROLE_GPIO)
			mask |= (uint16_t)(1u << pin);
	return mask;
}

static bool pin_level(const struct emu *e, unsigned pin)
{
	switch (pin_role(e, pin)) {
	case ROLE_CS:
		return cs_level(e, pin);
	case ROLE_DEDICATED:
		return dedicated_level(e, pin);
	case ROLE_GPIO:
		return bit(e->direction, pin) ? bit(e->external, pin) : bit(e->latch, pin);
	default:
		return bit(e->external, pin);
	}
}

uint16_t emu_gpio_levels(const struct emu *e)
{
	uint16_t levels = 0;

	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++)
		levels |= (uint16_t)(pin_level(e, pin) << pin);
	return levels;
}

/* A peripheral is selected while its line is low, whatever drives it: a chip select, a GPIO
 * output used as one (a 74HC595 on a GPIO latches on its rising edge), a dedicated output or
 * the outside world (issue 11, item 11). `selected` only ever holds lines with a peripheral.
 * emu_sync() calls this after every command and outside change. */
void emu_gpio_cs_update(struct emu *e, uint64_t at_ns)
{
	uint8_t want = 0;

	for (unsigned cs = 0; cs < EMU_CS_LINES; cs++)
		if (e->periph[cs] && !pin_level(e, cs))
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
		/* "The GPIO pin value will have an effect only on those GPs previously configured as
		 * GPIOs" (DS22288A p. 49, table 3-48 note 1): the output latch of a chip select, a
		 * dedicated pin or a pin without a function keeps its bit (0x20 shows it). The answer
		 * is the "actual GPIO pin value" (table 3-49): every pin's level. */
		if (proto_parse_set_gpio_values(req, &v) < 0)
			break;
		e->latch = (uint16_t)((e->latch & ~gpio_pins(e)) | (v & gpio_pins(e)));
		emu_gpio_cs_update(e, e->now_ns);
		proto_answer_pins(resp, cmd, emu_gpio_levels(e));
		return;
	case MCP2210_CMD_GET_GPIO_VALUES:
		/* Note 1 of p. 48 ("will only have an effect on those GPs previously assigned to a
		 * GPIO functionality") cannot restrict a read, which changes nothing. Decision: the
		 * answer is every pin's level, as the port reads it (a chip select at its idle or
		 * active level); the daemon treats bits of non-GPIO pins as information only. */
		proto_answer_pins(resp, cmd, emu_gpio_levels(e));
		return;
	case MCP2210_CMD_SET_GPIO_DIRECTIONS:
		/* 0x32 has no such note (p. 47): the register takes every bit, but only GPIO pins
		 * follow it; the function of the others fixes their direction. GP8 is input only. */
		if (proto_parse_set_gpio_directions(req, &v) < 0)
			break;
		e->direction = (v & MCP2210_PIN_MASK) | (1u << GP_REQ);
		emu_gpio_cs_update(e, e->now_ns);
		proto_answer_status(resp, cmd, MCP2210_STATUS_OK);
		return;
	case MCP2210_CMD_GET_GPIO_DIRECTIONS:
		/* p. 46 note 1 as for 0x31: the register as written, meaningful for GPIO pins. */
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

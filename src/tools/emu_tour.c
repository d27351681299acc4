/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mcp2210-emu-tour: a guided tour of the emulated MCP2210 through its own protocol, for a
 * newcomer with no hardware. It drives the chip exactly as the driver will: 64-byte reports
 * built and parsed by the codec, SPI transactions by spi_xfer_run().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "device_spi_xfer.h"

#define CS_FLASH 0
#define CS_LOOP 1
#define CS_SHIFT 2

static int exchange(void *ctx, const mcp2210_report req, mcp2210_report resp)
{
	return emu_exchange(ctx, req, resp, EMU_IN_FIRST);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "mcp2210-emu-tour: %s: %s\n", what, strerror(-err));
	return err;
}

static int set_spi(struct emu *e, uint16_t cs_pins, uint32_t bitrate, size_t n)
{
	struct mcp2210_spi_settings ss = {
		.bitrate = bitrate,
		.cs_idle = MCP2210_PIN_MASK,
		.cs_active = (uint16_t)(MCP2210_PIN_MASK & ~cs_pins),
		.bytes_per_transaction = (uint16_t)n,
	};
	mcp2210_report req, resp;
	int ret = proto_encode_set_spi_settings(req, &ss);

	if (!ret)
		ret = exchange(e, req, resp);
	return ret ? ret : proto_decode_set_spi_settings(resp, &ss);
}

static ssize_t spi(struct emu *e, unsigned cs, const uint8_t *tx, uint8_t *rx, size_t n,
		   struct spi_xfer_stats *st)
{
	const struct spi_xfer_limits limits = { .busy_max = 100, .idle_polls_max = 100 };
	int ret = set_spi(e, 1u << cs, 12000000, n);

	return ret < 0 ? ret : spi_xfer_run(exchange, e, tx, rx, n, &limits, st);
}

static void hexdump(const char *label, const uint8_t *buf, size_t n)
{
	printf("%s", label);
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i && i % 16 == 0 ? "\n    " : " ", buf[i]);
	printf("\n");
}

static int tour_identity(struct emu *e)
{
	struct mcp2210_usb_string m, p;
	struct mcp2210_usb_key key;
	char serial[32], man[128], prod[128];

	emu_usb_identity(e, &key, &m, &p, serial);
	if (proto_usb_string_to_utf8(&m, man, sizeof(man)) < 0 || proto_usb_string_to_utf8(&p, prod, sizeof(prod)) < 0)
		return fail("USB strings", -EINVAL);
	printf("device   %04x:%04x  %s / %s  serial %s\n", key.vid, key.pid, man, prod, serial);
	return 0;
}

/* Make GP0..GP2 chip selects and GP4 an output, then blink GP4. */
static int tour_gpio(struct emu *e)
{
	struct mcp2210_chip_settings cs = { .gpio_direction = MCP2210_PIN_MASK & ~(1u << 4) };
	mcp2210_report req, resp;
	uint16_t levels;
	int ret;

	cs.pin_function[CS_FLASH] = cs.pin_function[CS_LOOP] = cs.pin_function[CS_SHIFT] = MCP2210_PIN_CS;
	ret = proto_encode_set_chip_settings(req, &cs);
	if (!ret)
		ret = exchange(e, req, resp);
	if (!ret)
		ret = proto_decode_set_chip_settings(resp);
	if (ret)
		return fail("set chip settings", ret);
	for (unsigned v = 1; v <= 2; v++) {
		proto_encode_set_gpio_values(req, (uint16_t)((v & 1) << 4));
		ret = exchange(e, req, resp);
		if (!ret)
			ret = proto_decode_set_gpio_values(resp, &levels);
		if (ret)
			return fail("set GPIO", ret);
		printf("gpio     GP4 <- %u   pins now 0x%03x\n", v & 1, levels);
	}
	emu_set_input(e, 5, true);
	proto_encode_get_gpio_values(req);
	ret = exchange(e, req, resp);
	if (!ret)
		ret = proto_decode_get_gpio_values(resp, &levels);
	if (ret)
		return fail("get GPIO", ret);
	printf("gpio     GP5 driven high from outside: pins 0x%03x (GP5 = %u)\n", levels, (unsigned)(levels >> 5) & 1u);
	return 0;
}

static int tour_flash(struct emu *e)
{
	uint8_t jedec[4] = { 0x9F }, id[4], wren[1] = { 0x06 }, prog[4 + 16] = { 0x02, 0, 0x10, 0 };
	uint8_t rd[4 + 16] = { 0x03, 0, 0x10, 0 }, back[4 + 16], status[2] = { 0x05 }, st[2];
	const char msg[16] = "hello, MCP2210! ";
	ssize_t ret;

	ret = spi(e, CS_FLASH, jedec, id, sizeof(jedec), NULL);
	if (ret < 0)
		return fail("JEDEC ID", (int)ret);
	printf("flash    JEDEC ID %02x %02x %02x (Winbond W25Q80 on CS0)\n", id[1], id[2], id[3]);
	memcpy(prog + 4, msg, sizeof(msg));
	if ((ret = spi(e, CS_FLASH, wren, back, 1, NULL)) < 0 || (ret = spi(e, CS_FLASH, prog, back, sizeof(prog), NULL)) < 0)
		return fail("page program", (int)ret);
	do {
		ret = spi(e, CS_FLASH, status, st, sizeof(status), NULL);
		if (ret < 0)
			return fail("read status", (int)ret);
		emu_advance(e, 100000);
	} while (st[1] & 1);
	ret = spi(e, CS_FLASH, rd, back, sizeof(rd), NULL);
	if (ret < 0)
		return fail("read", (int)ret);
	printf("flash    programmed and read back at 0x001000: \"%.16s\"\n", (const char *)back + 4);
	return 0;
}

static int tour_loopback(struct emu *e)
{
	static uint8_t tx[65535], rx[65535];
	struct spi_xfer_stats st = { 0 };
	struct emu_counters c0, c1;
	ssize_t ret;

	for (size_t i = 0; i < sizeof(tx); i++)
		tx[i] = (uint8_t)(i * 31 + (i >> 8));
	emu_counters_get(e, &c0);
	ret = spi(e, CS_LOOP, tx, rx, sizeof(tx), &st);
	if (ret < 0)
		return fail("loopback", (int)ret);
	emu_counters_get(e, &c1);
	printf("spi      65535-byte loopback on CS1: %s, %u transfer exchanges, %llu USB frames = %.3f s\n",
	       memcmp(tx, rx, sizeof(tx)) ? "MISMATCH" : "byte-exact", st.exchanges,
	       (unsigned long long)(c1.frames - c0.frames), (double)(c1.frames - c0.frames) * 1e-3);
	return memcmp(tx, rx, sizeof(tx)) ? -EIO : 0;
}

static int tour_shiftreg(struct emu *e)
{
	uint8_t out[1] = { 0xA5 }, in[1];
	ssize_t ret = spi(e, CS_SHIFT, out, in, 1, NULL);

	if (ret < 0)
		return fail("shift register", (int)ret);
	printf("74hc595  wrote 0xa5 on CS2: outputs latched 0x%02x\n", emu_shiftreg_outputs(emu_periph_at(e, CS_SHIFT)));
	return 0;
}

static int tour_eeprom(struct emu *e)
{
	mcp2210_report req, resp;
	uint8_t bytes[16];
	int ret;

	proto_encode_write_eeprom(req, 0, 0x42);
	ret = exchange(e, req, resp);
	if (!ret)
		ret = proto_decode_write_eeprom(resp);
	for (uint8_t a = 0; !ret && a < sizeof(bytes); a++) {
		proto_encode_read_eeprom(req, a);
		ret = exchange(e, req, resp);
		if (!ret)
			ret = proto_decode_read_eeprom(resp, a, &bytes[a]);
	}
	if (ret)
		return fail("EEPROM", ret);
	hexdump("eeprom   first 16 bytes after writing 0x42 at 0:", bytes, sizeof(bytes));
	return 0;
}

int main(int argc, char **argv)
{
	struct emu_config cfg = { .frame_ns = EMU_DEFAULT_FRAME_NS, .serial = "EMU0000001" };
	struct emu_counters c;
	struct emu *e;
	int ret;

	if (argc > 1) {
		printf("usage: %s\nA tour of the emulated MCP2210 (no hardware needed).\n", argv[0]);
		return strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	ret = emu_new(&cfg, &e);
	if (ret)
		return fail("emulator", ret), 1;
	ret = emu_attach_spec(e, EMU_DEFAULT_PERIPHERALS);
	if (ret)
		return fail("peripherals", ret), 1;
	ret = tour_identity(e);
	if (!ret)
		ret = tour_gpio(e);
	if (!ret)
		ret = tour_flash(e);
	if (!ret)
		ret = tour_loopback(e);
	if (!ret)
		ret = tour_shiftreg(e);
	if (!ret)
		ret = tour_eeprom(e);
	emu_counters_get(e, &c);
	printf("total    %llu exchanges, %llu USB frames (%.3f s of bus time)\n", (unsigned long long)c.exchanges,
	       (unsigned long long)c.frames, (double)emu_now(e) * 1e-9);
	emu_free(e);
	return ret ? 1 : 0;
}

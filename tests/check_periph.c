/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated SPI peripherals driven directly through their ops, each expectation taken
 * from the part's datasheet (Winbond W25Q80 / generic 25-series flash, 74HC595).
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/periph.h"
#include "check_main.h"

#define BYTE_NS 8000ull /* one byte at 1 Mbit/s */

/* 25-series instruction set and status register bits. */
enum {
	PP = 0x02, READ = 0x03, WRDI = 0x04, RDSR = 0x05, WREN = 0x06,
	SE = 0x20, CE_ALT = 0x60, RDID = 0x9f, CE = 0xc7,
};
#define SR_BUSY 0x01
#define SR_WEL 0x02

static struct emu_periph *dev;
static uint64_t now_ns; /* virtual time: every byte and CS edge below moves it on */

/* One selection in SPI mode `mode`: CS low, len bytes (rx may be NULL), CS high. */
static void spi(unsigned mode, const uint8_t *tx, uint8_t *rx, size_t len)
{
	dev->ops->select(dev, mode, now_ns);
	for (size_t i = 0; i < len; i++) {
		uint8_t in;

		now_ns += BYTE_NS;
		in = dev->ops->transfer(dev, tx[i], now_ns);
		if (rx)
			rx[i] = in;
	}
	now_ns += BYTE_NS;
	dev->ops->deselect(dev, now_ns);
}

/* A selection sending the listed bytes; what came back on MISO is dropped. */
#define SEND_MODE(mode, ...) \
	spi(mode, (const uint8_t[]){ __VA_ARGS__ }, NULL, sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define SEND(...) SEND_MODE(0, __VA_ARGS__)

static void free_dev(void)
{
	emu_periph_free(dev);
	dev = NULL;
}

static void describe(char *buf, size_t size)
{
	int n = dev->ops->describe(dev, now_ns, buf, size);

	ck_assert_int_ge(n, 0);
	ck_assert_uint_lt((size_t)n, size);
}

/* ---- loopback --------------------------------------------------------------------------- */

static void loopback_setup(void)
{
	dev = emu_loopback_new();
	ck_assert_ptr_nonnull(dev);
	now_ns = 0;
}

START_TEST(test_loopback_echoes)
{
	const uint8_t tx[] = { 0x00, 0x5a, 0xa5, 0xff, 0x01, 0x80 };
	uint8_t rx[sizeof(tx)];

	spi((unsigned)_i, tx, rx, sizeof(tx));
	ck_assert_mem_eq(rx, tx, sizeof(tx));
}
END_TEST

START_TEST(test_loopback_describe)
{
	char buf[128];

	describe(buf, sizeof(buf));
	ck_assert_str_eq(buf, "type=loopback bytes=0");
	SEND(1, 2, 3);
	SEND(4, 5);
	describe(buf, sizeof(buf));
	ck_assert_str_eq(buf, "type=loopback bytes=5");
	ck_assert_str_eq(dev->ops->type, "loopback");
}
END_TEST

static Suite *suite_loopback(void)
{
	Suite *s = suite_create("loopback");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, loopback_setup, free_dev);
	tcase_add_loop_test(tc, test_loopback_echoes, 0, 4);
	tcase_add_test(tc, test_loopback_describe);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- flash ------------------------------------------------------------------------------ */

static void flash_setup(void)
{
	dev = emu_flash_new();
	ck_assert_ptr_nonnull(dev);
	now_ns = 1000;
}

static uint8_t read_status(void)
{
	uint8_t rx[2];

	spi(0, (const uint8_t[]){ RDSR, 0 }, rx, 2);
	ck_assert_uint_eq(rx[0], 0xff);
	return rx[1];
}

/* tx/rx buffers for an instruction, 3 address bytes and len data bytes. */
static uint8_t *addressed(uint8_t instr, uint32_t addr, const uint8_t *data, size_t len)
{
	uint8_t *tx = calloc(4 + len, 1);

	ck_assert_ptr_nonnull(tx);
	tx[0] = instr;
	tx[1] = (uint8_t)(addr >> 16);
	tx[2] = (uint8_t)(addr >> 8);
	tx[3] = (uint8_t)addr;
	if (data)
		memcpy(tx + 4, data, len);
	return tx;
}

static void flash_read(uint32_t addr, uint8_t *buf, size_t len)
{
	uint8_t *tx = addressed(READ, addr, NULL, len);
	uint8_t *rx = malloc(4 + len);

	ck_assert_ptr_nonnull(rx);
	spi(0, tx, rx, 4 + len);
	/* The flash does not drive MISO during the instruction and address. */
	ck_assert_mem_eq(rx, ((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff }), 4);
	memcpy(buf, rx + 4, len);
	free(rx);
	free(tx);
}

static uint8_t flash_read_byte(uint32_t addr)
{
	uint8_t b;

	flash_read(addr, &b, 1);
	return b;
}

static void assert_erased(uint32_t addr, size_t len)
{
	uint8_t *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	flash_read(addr, buf, len);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(buf[i] == 0xff, "byte 0x%06zx is 0x%02x, not erased", addr + i, buf[i]);
	free(buf);
}

/* Page program without write enable first. */
static void page_program(uint32_t addr, const uint8_t *data, size_t len)
{
	uint8_t *tx = addressed(PP, addr, data, len);

	spi(0, tx, NULL, 4 + len);
	free(tx);
}

static void sector_erase(uint32_t addr)
{
	uint8_t *tx = addressed(SE, addr, NULL, 0);

	spi(0, tx, NULL, 4);
	free(tx);
}

static void wait_ready(void)
{
	now_ns += EMU_FLASH_CHIP_ERASE_NS;
	ck_assert_uint_eq(read_status() & SR_BUSY, 0);
}

/* Write enable, page program, wait until done. */
static void program(uint32_t addr, const uint8_t *data, size_t len)
{
	SEND(WREN);
	page_program(addr, data, len);
	wait_ready();
}

static void program_byte(uint32_t addr, uint8_t b)
{
	program(addr, &b, 1);
}

START_TEST(test_flash_jedec_id)
{
	uint8_t rx[4];

	spi(0, (const uint8_t[]){ RDID, 0, 0, 0 }, rx, 4);
	ck_assert_mem_eq(rx, ((const uint8_t[]){ 0xff, 0xef, 0x40, 0x14 }), 4);
}
END_TEST

START_TEST(test_flash_erased_reads_ff)
{
	assert_erased(0, 16);
	assert_erased(0x012345, 300);
	assert_erased(EMU_FLASH_SIZE - 16, 16);
	ck_assert_uint_eq(read_status(), 0);
}
END_TEST

START_TEST(test_flash_program_full_page)
{
	uint8_t data[EMU_FLASH_PAGE], back[EMU_FLASH_PAGE];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	program(0x001200, data, sizeof(data));
	flash_read(0x001200, back, sizeof(back));
	ck_assert_mem_eq(back, data, sizeof(data));
	emu_flash_peek(dev, 0x001200, back, sizeof(back));
	ck_assert_mem_eq(back, data, sizeof(data));
	assert_erased(0x001100, EMU_FLASH_PAGE);
	assert_erased(0x001300, EMU_FLASH_PAGE);
}
END_TEST

START_TEST(test_flash_program_needs_wren)
{
	page_program(0x000100, (const uint8_t[]){ 0x00, 0x12 }, 2);
	ck_assert_uint_eq(read_status(), 0);
	assert_erased(0x000100, 2);

	SEND(WREN);
	SEND(WRDI);
	page_program(0x000100, (const uint8_t[]){ 0x00, 0x12 }, 2);
	ck_assert_uint_eq(read_status(), 0);
	assert_erased(0x000100, 2);
}
END_TEST

START_TEST(test_flash_program_wraps_in_page)
{
	uint8_t data[32], back[EMU_FLASH_PAGE];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x40 + i);
	/* Starting at column 0xf0, bytes 16.. continue at the start of the same page. */
	program(0x0030f0, data, sizeof(data));
	flash_read(0x003000, back, sizeof(back));
	ck_assert_mem_eq(back + 0xf0, data, 16);
	ck_assert_mem_eq(back, data + 16, 16);
	for (size_t i = 16; i < 0xf0; i++)
		ck_assert_uint_eq(back[i], 0xff);
	assert_erased(0x003100, 16);
	assert_erased(0x002ff0, 16);
}
END_TEST

START_TEST(test_flash_program_last_256_bytes_count)
{
	uint8_t data[300], back[EMU_FLASH_PAGE];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = i < EMU_FLASH_PAGE ? 0x0f : 0xf0;
	/* Columns 0..43 get 0xf0 from the last 44 bytes, not 0x0f & 0xf0. */
	program(0x004000, data, sizeof(data));
	flash_read(0x004000, back, sizeof(back));
	for (size_t i = 0; i < sizeof(back); i++)
		ck_assert_uint_eq(back[i], i < sizeof(data) - EMU_FLASH_PAGE ? 0xf0 : 0x0f);
	assert_erased(0x004100, 1);
}
END_TEST

START_TEST(test_flash_program_only_clears_bits)
{
	program_byte(0x000010, 0xf0);
	ck_assert_uint_eq(flash_read_byte(0x000010), 0xf0);
	program_byte(0x000010, 0x3c);
	ck_assert_uint_eq(flash_read_byte(0x000010), 0x30);
	program_byte(0x000010, 0xff);
	ck_assert_uint_eq(flash_read_byte(0x000010), 0x30);
}
END_TEST

START_TEST(test_flash_sector_erase)
{
	program_byte(0x000fff, 0x11);
	program_byte(0x001000, 0x22);
	program_byte(0x001abc, 0x33);
	program_byte(0x001fff, 0x44);
	program_byte(0x002000, 0x55);

	SEND(WREN);
	sector_erase(0x001234); /* any address in the sector */
	wait_ready();
	assert_erased(0x001000, EMU_FLASH_SECTOR);
	ck_assert_uint_eq(flash_read_byte(0x000fff), 0x11);
	ck_assert_uint_eq(flash_read_byte(0x002000), 0x55);
}
END_TEST

START_TEST(test_flash_chip_erase)
{
	const uint8_t instr[] = { CE, CE_ALT };

	program_byte(0x000000, 0x00);
	program_byte(0x07ffff, 0x12);
	program_byte(EMU_FLASH_SIZE - 1, 0x34);
	SEND(WREN);
	spi(0, &instr[_i], NULL, 1);
	wait_ready();
	assert_erased(0x000000, 1);
	assert_erased(0x07ffff, 1);
	assert_erased(EMU_FLASH_SIZE - 1, 1);
}
END_TEST

/* Each operation keeps BUSY set for its time from the moment CS rises. */
START_TEST(test_flash_busy_for_typical_time)
{
	static const uint64_t busy_ns[] = {
		EMU_FLASH_PROGRAM_NS, EMU_FLASH_SECTOR_ERASE_NS, EMU_FLASH_CHIP_ERASE_NS,
	};
	uint64_t done_ns;

	SEND(WREN);
	switch (_i) {
	case 0:
		page_program(0x000000, (const uint8_t[]){ 0x00 }, 1);
		break;
	case 1:
		sector_erase(0x000000);
		break;
	default:
		SEND(CE);
		break;
	}
	done_ns = now_ns + busy_ns[_i];
	ck_assert(emu_flash_busy(dev, now_ns));
	ck_assert_uint_eq(read_status() & SR_BUSY, SR_BUSY);

	/* The status byte of this read is clocked one byte before the end. */
	now_ns = done_ns - 3 * BYTE_NS;
	ck_assert_uint_eq(read_status() & SR_BUSY, SR_BUSY);
	ck_assert(emu_flash_busy(dev, done_ns - 1));
	ck_assert(!emu_flash_busy(dev, done_ns));
	ck_assert_uint_eq(read_status(), 0);
}
END_TEST

START_TEST(test_flash_status_polled_in_one_selection)
{
	uint8_t tx[200] = { RDSR }, rx[sizeof(tx)];
	size_t busy_bytes = 0;

	program_byte(0x000000, 0xff); /* leaves nothing busy */
	SEND(WREN);
	page_program(0x000000, (const uint8_t[]){ 0x00 }, 1);
	/* 200 bytes at 8 µs outlast tPP: BUSY reads 1 and then 0 within one CS-low period. */
	spi(0, tx, rx, sizeof(tx));
	for (size_t i = 1; i < sizeof(rx); i++) {
		if (rx[i] & SR_BUSY) {
			ck_assert_uint_eq(busy_bytes, i - 1);
			busy_bytes++;
		}
	}
	ck_assert_uint_gt(busy_bytes, 0);
	ck_assert_uint_lt(busy_bytes, sizeof(rx) - 1);
	ck_assert_uint_eq(rx[sizeof(rx) - 1], 0);
}
END_TEST

START_TEST(test_flash_ignores_commands_while_busy)
{
	uint8_t rx[4];

	program_byte(0x000000, 0x5a);
	SEND(WREN);
	sector_erase(0x00f000);

	spi(0, (const uint8_t[]){ RDID, 0, 0, 0 }, rx, 4);
	ck_assert_mem_eq(rx, ((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff }), 4);
	ck_assert_uint_eq(flash_read_byte(0x000000), 0xff);
	SEND(WREN);
	page_program(0x000001, (const uint8_t[]){ 0x00 }, 1);
	ck_assert_uint_eq(read_status(), SR_BUSY);

	wait_ready();
	ck_assert_uint_eq(read_status(), 0); /* the WREN was not taken either */
	ck_assert_uint_eq(flash_read_byte(0x000000), 0x5a);
	ck_assert_uint_eq(flash_read_byte(0x000001), 0xff);
}
END_TEST

START_TEST(test_flash_wel_in_status)
{
	ck_assert_uint_eq(read_status(), 0);
	SEND(WREN);
	ck_assert_uint_eq(read_status(), SR_WEL);
	SEND(WRDI);
	ck_assert_uint_eq(read_status(), 0);
	SEND(WREN);
	page_program(0x000000, (const uint8_t[]){ 0x00 }, 1);
	wait_ready();
	ck_assert_uint_eq(read_status(), 0);
}
END_TEST

/* Program and erase not completed on a byte boundary the datasheet names are not executed,
 * and WEL stays set. */
START_TEST(test_flash_incomplete_commands_do_nothing)
{
	program_byte(0x001000, 0x00);
	SEND(WREN);
	SEND(PP, 0x00, 0x00, 0x00); /* no data byte */
	SEND(SE, 0x00, 0x10);       /* address cut short */
	SEND(SE, 0x00, 0x10, 0x00, 0x00); /* CS not raised after the address */
	SEND(CE, 0x00);
	SEND(CE_ALT, 0x00);
	ck_assert_uint_eq(read_status(), SR_WEL);
	ck_assert_uint_eq(flash_read_byte(0x001000), 0x00);
}
END_TEST

START_TEST(test_flash_wrong_mode_ignored)
{
	unsigned mode = (unsigned)_i;
	bool works = mode == 0 || mode == 3;
	uint8_t rx[4];

	spi(mode, (const uint8_t[]){ RDID, 0, 0, 0 }, rx, 4);
	if (works)
		ck_assert_mem_eq(rx, ((const uint8_t[]){ 0xff, 0xef, 0x40, 0x14 }), 4);
	else
		ck_assert_mem_eq(rx, ((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff }), 4);

	SEND_MODE(mode, WREN);
	ck_assert_uint_eq(read_status(), works ? SR_WEL : 0);
	SEND(WREN);
	SEND_MODE(mode, PP, 0x00, 0x00, 0x00, 0x00);
	ck_assert_uint_eq(read_status(), works ? SR_BUSY : SR_WEL);
	wait_ready();
	ck_assert_uint_eq(flash_read_byte(0x000000), works ? 0x00 : 0xff);
}
END_TEST

START_TEST(test_flash_read_wraps_at_end)
{
	uint8_t back[4];

	program_byte(EMU_FLASH_SIZE - 1, 0x12);
	program_byte(0x000000, 0x34);
	program_byte(0x000001, 0x56);
	flash_read(EMU_FLASH_SIZE - 2, back, sizeof(back));
	ck_assert_mem_eq(back, ((const uint8_t[]){ 0xff, 0x12, 0x34, 0x56 }), 4);
	emu_flash_peek(dev, EMU_FLASH_SIZE - 2, back, sizeof(back));
	ck_assert_mem_eq(back, ((const uint8_t[]){ 0xff, 0x12, 0x34, 0x56 }), 4);
	/* A20..A23 are beyond an 8 Mbit array and ignored. */
	ck_assert_uint_eq(flash_read_byte(EMU_FLASH_SIZE), 0x34);
}
END_TEST

START_TEST(test_flash_unknown_instruction_ignored)
{
	uint8_t rx[3];

	SEND(WREN);
	spi(0, (const uint8_t[]){ 0x00, 0x12, 0x34 }, rx, 3);
	ck_assert_mem_eq(rx, ((const uint8_t[]){ 0xff, 0xff, 0xff }), 3);
	ck_assert_uint_eq(read_status(), SR_WEL);
}
END_TEST

START_TEST(test_flash_describe)
{
	char buf[256];

	ck_assert_str_eq(dev->ops->type, "flash");
	describe(buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "type=flash"));
	ck_assert_ptr_nonnull(strstr(buf, "jedec=ef4014"));
	ck_assert_ptr_nonnull(strstr(buf, "status=0x00"));
	ck_assert_ptr_nonnull(strstr(buf, "busy=0"));

	SEND(WREN);
	describe(buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "status=0x02"));
	ck_assert_ptr_nonnull(strstr(buf, "wel=1"));

	page_program(0x000000, (const uint8_t[]){ 0x00 }, 1);
	describe(buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "busy=1"));

	/* snprintf semantics: the full length, and a terminated prefix. */
	char small[8];
	int n = dev->ops->describe(dev, now_ns, small, sizeof(small));

	ck_assert_int_eq(n, (int)strlen(buf));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(dev->ops->describe(dev, now_ns, NULL, 0), n);
}
END_TEST

static Suite *suite_flash(void)
{
	Suite *s = suite_create("flash");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, flash_setup, free_dev);
	tcase_add_test(tc, test_flash_jedec_id);
	tcase_add_test(tc, test_flash_erased_reads_ff);
	tcase_add_test(tc, test_flash_program_full_page);
	tcase_add_test(tc, test_flash_program_needs_wren);
	tcase_add_test(tc, test_flash_program_wraps_in_page);
	tcase_add_test(tc, test_flash_program_last_256_bytes_count);
	tcase_add_test(tc, test_flash_program_only_clears_bits);
	tcase_add_test(tc, test_flash_sector_erase);
	tcase_add_loop_test(tc, test_flash_chip_erase, 0, 2);
	tcase_add_loop_test(tc, test_flash_busy_for_typical_time, 0, 3);
	tcase_add_test(tc, test_flash_status_polled_in_one_selection);
	tcase_add_test(tc, test_flash_ignores_commands_while_busy);
	tcase_add_test(tc, test_flash_wel_in_status);
	tcase_add_test(tc, test_flash_incomplete_commands_do_nothing);
	tcase_add_loop_test(tc, test_flash_wrong_mode_ignored, 0, 4);
	tcase_add_test(tc, test_flash_read_wraps_at_end);
	tcase_add_test(tc, test_flash_unknown_instruction_ignored);
	tcase_add_test(tc, test_flash_describe);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- 74HC595 chain ---------------------------------------------------------------------- */

static void shiftreg_setup(unsigned chain_len)
{
	dev = emu_shiftreg_new(chain_len);
	ck_assert_ptr_nonnull(dev);
	now_ns = 0;
}

START_TEST(test_shiftreg_chain_length_bounds)
{
	ck_assert_ptr_null(emu_shiftreg_new(0));
	ck_assert_ptr_null(emu_shiftreg_new(EMU_SHIFTREG_MAX_CHAIN + 1));
	for (unsigned n = 1; n <= EMU_SHIFTREG_MAX_CHAIN; n++) {
		shiftreg_setup(n);
		ck_assert_uint_eq(emu_shiftreg_outputs(dev), 0); /* power-up state */
		free_dev();
	}
}
END_TEST

START_TEST(test_shiftreg_latches_on_deselect)
{
	shiftreg_setup(1);
	dev->ops->select(dev, 0, 0);
	dev->ops->transfer(dev, 0xa5, BYTE_NS);
	ck_assert_uint_eq(emu_shiftreg_outputs(dev), 0);
	dev->ops->deselect(dev, 2 * BYTE_NS);
	ck_assert_uint_eq(emu_shiftreg_outputs(dev), 0xa5);
}
END_TEST

/* The byte sent last sits in the register on MOSI; earlier ones moved down the chain. */
START_TEST(test_shiftreg_chain_order)
{
	const uint8_t tx[] = { 0x11, 0x22, 0x33, 0x44 };
	unsigned n = (unsigned)_i;
	uint32_t expect = 0;

	shiftreg_setup(n);
	spi(0, tx, NULL, n);
	for (unsigned i = 0; i < n; i++)
		expect |= (uint32_t)tx[n - 1 - i] << (8 * i);
	ck_assert_uint_eq(emu_shiftreg_outputs(dev), expect);
}
END_TEST

/* QH' of the last register gives back what the chain held, oldest byte first. */
START_TEST(test_shiftreg_miso_old_contents)
{
	uint8_t rx[3];

	shiftreg_setup(2);
	SEND(0xaa, 0xbb);
	ck_assert_uint_eq(emu_shiftreg_outputs(dev), 0xaabb);
	spi(0, (const uint8_t[]){ 0x01, 0x02 }, rx, 2);
	ck_assert_mem_eq(rx, ((const uint8_t[]){ 0xaa, 0xbb }), 2);
	ck_assert_uint_eq(emu_shiftreg_outputs(dev), 0x0102);

	/* More bytes than registers: the first ones pass through and fall out again. */
	spi(3, (const uint8_t[]){ 0xc1, 0xc2, 0xc3 }, rx, 3);
	ck_assert_mem_eq(rx, ((const uint8_t[]){ 0x01, 0x02, 0xc1 }), 3);
	ck_assert_uint_eq(emu_shiftreg_outputs(dev), 0xc2c3);
}
END_TEST

START_TEST(test_shiftreg_wrong_mode_ignored)
{
	unsigned mode = (unsigned)_i;
	uint8_t rx;

	shiftreg_setup(1);
	SEND(0x3c);
	SEND_MODE(mode, 0x81);
	ck_assert_uint_eq(emu_shiftreg_outputs(dev), 0x3c);
	spi(0, (const uint8_t[]){ 0x00 }, &rx, 1);
	ck_assert_uint_eq(rx, 0x3c);
}
END_TEST

START_TEST(test_shiftreg_describe)
{
	char buf[128];

	shiftreg_setup(2);
	ck_assert_str_eq(dev->ops->type, "shiftreg");
	SEND(0x12, 0x34);
	describe(buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "type=shiftreg"));
	ck_assert_ptr_nonnull(strstr(buf, "chain=2"));
	ck_assert_ptr_nonnull(strstr(buf, "outputs=0x1234"));
}
END_TEST

START_TEST(test_periph_free_null)
{
	emu_periph_free(NULL);
}
END_TEST

static Suite *suite_shiftreg(void)
{
	Suite *s = suite_create("shiftreg");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, free_dev);
	tcase_add_test(tc, test_shiftreg_chain_length_bounds);
	tcase_add_test(tc, test_shiftreg_latches_on_deselect);
	tcase_add_loop_test(tc, test_shiftreg_chain_order, 1, EMU_SHIFTREG_MAX_CHAIN + 1);
	tcase_add_test(tc, test_shiftreg_miso_old_contents);
	tcase_add_loop_test(tc, test_shiftreg_wrong_mode_ignored, 1, 3);
	tcase_add_test(tc, test_shiftreg_describe);
	tcase_add_test(tc, test_periph_free_null);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite_loopback, suite_flash, suite_shiftreg)

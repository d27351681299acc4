/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text attribute parsing: values with or without one newline, strict numbers, and the
 * settings text, which must read back to exactly what restores the same state.
 */
#include <errno.h>
#include <string.h>

#include <check.h>
#include <fuse_lowlevel.h>

#include "cli_options.h"
#include "fs_settings_text.h"
#include "util/text.h"
#include "check_main.h"

START_TEST(test_value_newline_rules)
{
	char out[16];

	ck_assert_int_eq(text_value("1\n", 2, false, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1");
	ck_assert_int_eq(text_value("1", 1, false, out, sizeof(out)), 0);
	ck_assert_int_eq(text_value("1\n\n", 3, false, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(text_value("\n", 1, false, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(text_value("a\nb", 3, false, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(text_value("a\nb\n", 4, true, out, sizeof(out)), 0);
	ck_assert_int_eq(text_value("a\0b", 3, true, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(text_value("0123456789abcdef", 16, false, out, sizeof(out)), -EINVAL);
}
END_TEST

START_TEST(test_uint_is_strict)
{
	unsigned long v;

	ck_assert_int_eq(text_uint("12000000", 1500, 12000000, &v), 0);
	ck_assert_uint_eq(v, 12000000);
	ck_assert_int_eq(text_uint("0x1ff", 0, 0x1ff, &v), 0);
	ck_assert_uint_eq(v, 0x1ff);
	ck_assert_int_eq(text_uint(" 1", 0, 9, &v), -EINVAL);
	ck_assert_int_eq(text_uint("+1", 0, 9, &v), -EINVAL);
	ck_assert_int_eq(text_uint("-1", 0, 9, &v), -EINVAL);
	ck_assert_int_eq(text_uint("1x", 0, 9, &v), -EINVAL);
	ck_assert_int_eq(text_uint("0x", 0, 9, &v), -EINVAL);
	ck_assert_int_eq(text_uint("10", 0, 9, &v), -EINVAL);
	ck_assert_int_eq(text_uint("99999999999999999999999", 0, ~0ul, &v), -EINVAL);
}
END_TEST

/* One parser for every number (issue 13 item 9): hex with 0x, whole string or nothing. */
START_TEST(test_number_one_way)
{
	static const struct {
		const char *s;
		int base;
		unsigned long max, want; /* want ~0ul: -EINVAL */
	} cases[] = {
		{ "0x3e8", 0, 100000, 1000 }, { "0X3E8", 0, 100000, 1000 }, { "100abc", 0, 600000, ~0ul },
		{ "", 0, 9, ~0ul },            { "0x0x5", 0, 9, ~0ul },      { "0x-5", 0, 9, ~0ul },
		/* USB IDs: hexadecimal with or without 0x, as lsusb prints them */
		{ "04d8", 16, 0xffff, 0x04d8 }, { "0x04d8", 16, 0xffff, 0x04d8 }, { "0x0x4", 16, 0xffff, ~0ul },
		{ "10000", 16, 0xffff, ~0ul },
		/* bus and address: decimal, leading zeros as lsusb prints them, never octal */
		{ "010", 10, 255, 10 },         { "0x10", 10, 255, ~0ul },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long v = 0;
		int ret = text_number(cases[i].s, cases[i].base, 0, cases[i].max, &v);

		if (cases[i].want == ~0ul) {
			ck_assert_msg(ret == -EINVAL, "accepted '%s' (base %d)", cases[i].s, cases[i].base);
		} else {
			ck_assert_msg(ret == 0, "refused '%s' (base %d)", cases[i].s, cases[i].base);
			ck_assert_uint_eq(v, cases[i].want);
		}
	}
}
END_TEST

/* -o options go through the same parser: 0x3e8 is 1000, a trailing word is refused. */
static int parse_opts(struct mount_options *opt, const char *o)
{
	char *argv[] = { (char *)"mcp2210fs", (char *)"--emulate", (char *)"-o", (char *)o, (char *)"/mnt" };
	struct fuse_args args = FUSE_ARGS_INIT(5, argv);
	int ret = options_parse(&args, opt);

	fuse_opt_free_args(&args);
	return ret;
}

START_TEST(test_options_numbers)
{
	struct mount_options opt;

	ck_assert_int_eq(parse_opts(&opt, "emu_frame_us=0x3e8"), 0);
	ck_assert_uint_eq(opt.emu_frame_us, 1000);
	options_free(&opt);
	ck_assert_int_eq(parse_opts(&opt, "timeout=0x1f4,poll_interval=0x0a"), 0);
	ck_assert_uint_eq(opt.timeout_ms, 500);
	ck_assert_uint_eq(opt.poll_interval_ms, 10);
	options_free(&opt);
	ck_assert_int_eq(parse_opts(&opt, "timeout=100abc"), -EINVAL);
	options_free(&opt);
	ck_assert_int_eq(parse_opts(&opt, "emu_frame_us=-1"), -EINVAL);
	options_free(&opt);
	ck_assert_int_eq(parse_opts(&opt, "poll_interval= 5"), -EINVAL);
	options_free(&opt);
}
END_TEST

static struct settings sample(void)
{
	struct settings s = {
		.chip = { .pin_function = { 1, 1, 2, 0, 0, 2, 2, 0, 2 }, .gpio_value = 0x0a5, .gpio_direction = 0x1f0,
			  .remote_wakeup = true, .irq_mode = MCP2210_IRQ_HIGH_PULSES, .spi_bus_hold = true },
		.spi = { .bitrate = 3000000, .cs_idle = 0x1ff, .cs_active = 0x1fc, .delay_cs_to_data = 3,
			 .delay_data_to_cs = 65535, .delay_between_bytes = 1, .mode = 3 },
	};
	return s;
}

/* What settings_format writes, settings_parse turns back into the same state. */
START_TEST(test_settings_round_trip)
{
	struct settings s = sample(), back = { 0 };
	struct text t;

	text_init(&t);
	settings_format(&s, &t);
	ck_assert(!t.overflow);
	ck_assert_ptr_nonnull(strstr(t.buf, "gp2_function=suspend\n"));
	ck_assert_ptr_nonnull(strstr(t.buf, "spi_delay_data_to_cs_us=6553500\n"));
	ck_assert_int_eq(settings_parse(t.buf, &back), 0);
	ck_assert_mem_eq(&back.chip, &s.chip, sizeof(s.chip));
	ck_assert_mem_eq(&back.spi, &s.spi, sizeof(s.spi));
}
END_TEST

/* A chip keeps `ff ff` in its 16-bit chip-select fields (issue 11, item 3): the text shows the
 * 9 pins, and writing it back, or writing other pins, keeps bits 9..15 as they were. */
START_TEST(test_settings_keep_cs_bits_9_to_15)
{
	struct settings s = sample(), back;
	struct text t;
	char line[] = "spi_cs_idle=0x1fe\nspi_cs_active=0x000\n";

	s.spi.cs_idle = 0xFFFF;
	s.spi.cs_active = 0xFE00;
	back = s;
	text_init(&t);
	settings_format(&s, &t);
	ck_assert_ptr_nonnull(strstr(t.buf, "spi_cs_idle=0x1ff\n"));
	ck_assert_int_eq(settings_parse(t.buf, &back), 0);
	ck_assert_mem_eq(&back.spi, &s.spi, sizeof(s.spi));
	ck_assert_int_eq(settings_parse(line, &back), 0);
	ck_assert_uint_eq(back.spi.cs_idle, 0xFFFE);
	ck_assert_uint_eq(back.spi.cs_active, 0xFE00);
}
END_TEST

/* Issue 11 item 10: GP8 designation 01 (set by another tool; GP8 has no chip select) reads
 * "gp8_function=0x01" and parses back to 01, and so does every byte 0..255 on every pin. */
START_TEST(test_settings_designation_round_trip)
{
	struct settings s = sample();
	struct text t;

	s.chip.pin_function[8] = 0x01;
	text_init(&t);
	settings_format(&s, &t);
	ck_assert_ptr_nonnull(strstr(t.buf, "gp8_function=0x01\n"));
	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++) {
		for (unsigned byte = 0; byte <= 0xFF; byte++) {
			struct settings back = sample();

			s = sample();
			s.chip.pin_function[pin] = (uint8_t)byte;
			back.chip.pin_function[pin] = (uint8_t)(byte + 1);
			text_init(&t);
			settings_format(&s, &t);
			ck_assert_int_eq(settings_parse(t.buf, &back), 0);
			ck_assert_uint_eq(back.chip.pin_function[pin], byte);
		}
	}
}
END_TEST

START_TEST(test_settings_rejects)
{
	static const char *const bad[] = {
		"bogus=1", "spi_mode=4", "spi_mode=1\nspi_mode=2", "gp0_function=interrupt", "gp8_function=cs",
		"spi_bitrate=1499", "gpio_value=0x200", "interrupt_mode=sometimes", "spi_delay_cs_to_data_us=6553501",
		"remote_wakeup", "remote_wakeup=2", "gp0_function=256", "gp8_function=0x100", "gp1_function=-1",
		"gp2_function=0x", "gp3_function=CS", "gpio_direction=0x0ff",
	};
	struct settings s = sample();
	char buf[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(buf, bad[i]);
		ck_assert_msg(settings_parse(buf, &s) == -EINVAL, "accepted: %s", bad[i]);
	}
}
END_TEST

/* One flag parser (issue 12): exactly 0 or 1, as sysfs GPIO takes value and active_low; the
 * same in a settings line, where remote_wakeup and spi_bus_hold are flags. */
START_TEST(test_bool_one_way)
{
	static const char *const bad[] = { "", "2", "01", "00", "0x1", "0x0", "1 ",
					   " 0", "+1", "-0", "true", "on", "yes" };
	static const char *const bad_lines[] = { "remote_wakeup=0x1", "remote_wakeup=01", "spi_bus_hold=true",
						 "spi_bus_hold=00" };
	struct settings s = sample();
	char buf[64];
	bool v = true;

	ck_assert_int_eq(text_bool("0", &v), 0);
	ck_assert(!v);
	ck_assert_int_eq(text_bool("1", &v), 0);
	ck_assert(v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = true;
		ck_assert_msg(text_bool(bad[i], &v) == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_msg(v, "'%s' changed the value", bad[i]);
	}
	strcpy(buf, "remote_wakeup=0\nspi_bus_hold=0");
	ck_assert_int_eq(settings_parse(buf, &s), 0);
	ck_assert(!s.chip.remote_wakeup && !s.chip.spi_bus_hold);
	strcpy(buf, "remote_wakeup=1\nspi_bus_hold=1");
	ck_assert_int_eq(settings_parse(buf, &s), 0);
	ck_assert(s.chip.remote_wakeup && s.chip.spi_bus_hold);
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		strcpy(buf, bad_lines[i]);
		ck_assert_msg(settings_parse(buf, &s) == -EINVAL, "accepted: %s", bad_lines[i]);
	}
}
END_TEST

/* Delays are written in µs and kept in the chip's 100 µs units, rounded up. */
START_TEST(test_delay_rounds_up)
{
	uint16_t units;

	ck_assert_int_eq(settings_delay_parse("150", &units), 0);
	ck_assert_uint_eq(units, 2);
	ck_assert_int_eq(settings_delay_parse("100", &units), 0);
	ck_assert_uint_eq(units, 1);
	ck_assert_int_eq(settings_delay_parse("0", &units), 0);
	ck_assert_uint_eq(units, 0);
}
END_TEST

static Suite *text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_value_newline_rules);
	tcase_add_test(tc, test_uint_is_strict);
	tcase_add_test(tc, test_number_one_way);
	tcase_add_test(tc, test_bool_one_way);
	tcase_add_test(tc, test_options_numbers);
	tcase_add_test(tc, test_settings_round_trip);
	tcase_add_test(tc, test_settings_keep_cs_bits_9_to_15);
	tcase_add_test(tc, test_settings_designation_round_trip);
	tcase_add_test(tc, test_settings_rejects);
	tcase_add_test(tc, test_delay_rounds_up);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(text_suite)

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated chip's state file as a file (issue 13, items 15 and 16): a save that fails is
 * refused like a flash write that failed (0xFA, nothing changed, logged); one file serves one
 * emulator at a time; a symlink is written through, the target replaced; the file is mode
 * 0600; the serial names the chip; a damaged file is refused with its line and reason.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_fixture.h"
#include "check_main.h"
#include "util/log.h"

static char dir[64];
static char path[128];
static struct emu *emu;
static char logged[4096]; /* every message logged during the test, one per line */

static void capture(enum log_level level, const char *msg)
{
	size_t used = strlen(logged);

	(void)level;
	snprintf(logged + used, sizeof(logged) - used, "%s\n", msg);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mcp2210-state-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/chip.state", dir);
	logged[0] = '\0';
	log_set_sink(capture);
	emu = NULL;
}

static void teardown(void)
{
	char cmd[128];

	emu_free(emu);
	emu = NULL;
	log_set_sink(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int open_emu(const char *file, const char *serial, struct emu **out)
{
	const struct emu_config cfg = { .state_file = file, .serial = serial };

	return emu_new(&cfg, out);
}

static uint8_t write_eeprom(uint8_t addr, uint8_t value) { return fx_write_eeprom(emu, addr, value); }

static uint8_t read_eeprom(uint8_t addr) { return fx_read_eeprom(emu, addr); }

/* The emulator on file again, as after a restart of the daemon. */
static void reopen_emu(const char *file)
{
	emu_free(emu);
	emu = NULL;
	ck_assert_int_eq(open_emu(file, NULL, &emu), 0);
}

static mode_t file_mode(const char *file)
{
	struct stat st;

	ck_assert_int_eq(stat(file, &st), 0);
	return st.st_mode & 07777;
}

/* ---- saving ---------------------------------------------------------------------------- */

START_TEST(test_created_mode_0600)
{
	mode_t old = umask(022);

	ck_assert_int_eq(open_emu(path, NULL, &emu), 0);
	umask(old);
	ck_assert_uint_eq(file_mode(path), 0600);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_uint_eq(write_eeprom(0x10, 0x5A), 0x00);
	ck_assert_uint_eq(file_mode(path), 0600); /* the password is never world-readable */
}
END_TEST

/* The directory is gone: no temp file can be made, the save fails. */
static void break_saving(void)
{
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}

START_TEST(test_failed_save_refuses_eeprom_write)
{
	ck_assert_int_eq(open_emu(path, NULL, &emu), 0);
	ck_assert_uint_eq(write_eeprom(0x20, 0x11), 0x00);
	break_saving();
	ck_assert_uint_eq(write_eeprom(0x20, 0x22), 0xFA); /* EEPROM write failed */
	ck_assert_uint_eq(read_eeprom(0x20), 0x11);
	ck_assert_ptr_nonnull(strstr(logged, "cannot save state to"));
	ck_assert_int_eq(mkdir(dir, 0700), 0); /* for the teardown */
}
END_TEST

START_TEST(test_failed_save_refuses_nvram_write)
{
	struct mcp2210_spi_settings spi = { .bitrate = 3000000, .cs_idle = 0x1FF, .bytes_per_transaction = 8 }, got;
	mcp2210_report req, resp;

	ck_assert_int_eq(open_emu(path, NULL, &emu), 0);
	break_saving();
	ck_assert_int_eq(proto_encode_set_nvram_spi(req, &spi), 0);
	fx_xchg(emu, req, resp);
	ck_assert_uint_eq(resp[1], 0xFA);
	ck_assert_int_eq(proto_encode_get_nvram(req, MCP2210_NVRAM_SPI), 0);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_nvram_spi(resp, &got), 0);
	ck_assert_uint_eq(got.bitrate, 1000000); /* the factory value, unchanged */
	ck_assert_ptr_nonnull(strstr(logged, "cannot save state to"));
	ck_assert_int_eq(mkdir(dir, 0700), 0);
}
END_TEST

/* ---- one file, one emulator ------------------------------------------------------------ */

START_TEST(test_second_emulator_refused)
{
	struct emu *second = NULL;

	ck_assert_int_eq(open_emu(path, NULL, &emu), 0);
	ck_assert_int_eq(open_emu(path, NULL, &second), -EBUSY);
	ck_assert_ptr_null(second);
	/* also after saves, which replace the file the lock is on */
	ck_assert_uint_eq(write_eeprom(0x30, 0x33), 0x00);
	ck_assert_int_eq(open_emu(path, NULL, &second), -EBUSY);
	reopen_emu(path);
	ck_assert_uint_eq(read_eeprom(0x30), 0x33);
}
END_TEST

/* ---- symlinks --------------------------------------------------------------------------- */

START_TEST(test_symlink_written_through)
{
	char sub[96], target[128], link[128], buf[128];
	struct stat st;
	ssize_t n;

	snprintf(sub, sizeof(sub), "%s/keep", dir);
	snprintf(target, sizeof(target), "%s/keep/chip.state", dir);
	snprintf(link, sizeof(link), "%s/link.state", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(symlink("keep/chip.state", link), 0); /* relative, dangling at first */
	ck_assert_int_eq(open_emu(link, NULL, &emu), 0);
	ck_assert_uint_eq(write_eeprom(0x40, 0x44), 0x00);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	n = readlink(link, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "keep/chip.state");
	ck_assert_int_eq(lstat(target, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	reopen_emu(target);
	ck_assert_uint_eq(read_eeprom(0x40), 0x44);
}
END_TEST

START_TEST(test_symlink_loop_refused)
{
	char a[128], b[128];
	struct emu *e = NULL;

	snprintf(a, sizeof(a), "%s/a.state", dir);
	snprintf(b, sizeof(b), "%s/b.state", dir);
	ck_assert_int_eq(symlink("b.state", a), 0);
	ck_assert_int_eq(symlink("a.state", b), 0);
	ck_assert_int_eq(open_emu(a, NULL, &e), -ELOOP);
	ck_assert_ptr_null(e);
}
END_TEST

/* ---- serial ----------------------------------------------------------------------------- */

START_TEST(test_serial_names_the_chip)
{
	struct emu *other = NULL;
	char serial[32];

	ck_assert_int_eq(open_emu(path, "SN-1", &emu), 0);
	emu_free(emu);
	emu = NULL;
	ck_assert_int_eq(open_emu(path, "SN-2", &other), -EEXIST);
	ck_assert_ptr_null(other);
	ck_assert_ptr_nonnull(strstr(logged, "SN-1"));
	ck_assert_int_eq(open_emu(path, NULL, &emu), 0);
	emu_usb_identity(emu, NULL, NULL, NULL, serial);
	ck_assert_str_eq(serial, "SN-1");
	emu_free(emu);
	emu = NULL;
	ck_assert_int_eq(open_emu(path, "SN-1", &emu), 0);
}
END_TEST

static const struct {
	const char *serial;
	bool valid;
} serials[] = {
	{ "EMU0000001", true },
	{ "with space", true },
	{ "1234567890123456789012345678901", true },   /* 31 */
	{ "12345678901234567890123456789012", false }, /* 32 */
	{ "", false },
	{ "A\nB", false },
	{ "tab\there", false },
	{ "\xc3\xa9", false }, /* not ASCII */
};

START_TEST(test_serial_valid)
{
	struct emu *e = NULL;
	int ret;

	ck_assert_int_eq(emu_serial_valid(serials[_i].serial), serials[_i].valid);
	ret = open_emu(path, serials[_i].serial, &e);
	ck_assert_int_eq(ret, serials[_i].valid ? 0 : -EINVAL);
	emu_free(e);
}
END_TEST

/* ---- damaged files ---------------------------------------------------------------------- */

static const struct {
	const char *sed;  /* what is done to the file */
	const char *want; /* in the log */
} damages[] = {
	{ "1s/.*/mcp2210-emulator-state 2/", "line 1: not an emulator state file" },
	{ "s/^eeprom=ff/eeprom=zz/", "eeprom: expected 512 hex digits" },
	{ "3s/^/bogus=1\\n/", "line 3: unknown key" },
	{ "2s/.*/serial=A\\x01B/", "line 2: serial: not 1 to 31 printable ASCII characters" },
	{ "4s/.*/no equals sign/", "line 4: expected key=value" },
};

START_TEST(test_damaged_file_names_line_and_reason)
{
	char cmd[256];

	ck_assert_int_eq(open_emu(path, NULL, &emu), 0);
	emu_free(emu);
	emu = NULL;
	snprintf(cmd, sizeof(cmd), "sed -i '%s' '%s'", damages[_i].sed, path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(open_emu(path, NULL, &emu), -EINVAL);
	ck_assert_ptr_null(emu);
	ck_assert_msg(strstr(logged, damages[_i].want) && strstr(logged, path), "logged: %s", logged);
}
END_TEST

START_TEST(test_cut_file_names_last_line)
{
	struct stat st;

	ck_assert_int_eq(open_emu(path, NULL, &emu), 0);
	emu_free(emu);
	emu = NULL;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(truncate(path, st.st_size - 1), 0); /* the last newline */
	ck_assert_int_eq(open_emu(path, NULL, &emu), -EINVAL);
	ck_assert_ptr_nonnull(strstr(logged, "cut short"));
}
END_TEST

static Suite *suite_state_file(void)
{
	Suite *s = suite_create("state file");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_created_mode_0600);
	tcase_add_test(tc, test_failed_save_refuses_eeprom_write);
	tcase_add_test(tc, test_failed_save_refuses_nvram_write);
	tcase_add_test(tc, test_second_emulator_refused);
	tcase_add_test(tc, test_symlink_written_through);
	tcase_add_test(tc, test_symlink_loop_refused);
	tcase_add_test(tc, test_serial_names_the_chip);
	tcase_add_loop_test(tc, test_serial_valid, 0, (int)(sizeof(serials) / sizeof(serials[0])));
	tcase_add_loop_test(tc, test_damaged_file_names_line_and_reason, 0, (int)(sizeof(damages) / sizeof(damages[0])));
	tcase_add_test(tc, test_cut_file_names_last_line);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite_state_file)

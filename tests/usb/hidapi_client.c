/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usb-hidapi-client: an MCP2210 client written the way public MCP2210 libraries are, on
 * Debian's hidapi-libusb (not on mcp2210fs's transport), run against the emulated chip under
 * tests/usb-emu-run (issue 11). Every expected byte comes from the datasheet (DS22288A; pages
 * as doc/protocol.md gives them) or the issue's own inputs.
 *
 *   usb-hidapi-client [--control FIFO] SERIAL
 *
 * One line per check, "PASS <id>: <what>" or "FAIL <id>: <what>: <detail>". --control names
 * the harness's control FIFO: the password checks power-cycle the chip through it (as a user
 * would replug it) and fail without it. Exit status: 0 all passed, 1 some failed, 2 usage or
 * the device could not be opened.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <hidapi.h>

#define REPORT 64
#define TIMEOUT_MS 1000
#define LOOP_MAX 200 /* 0x42 exchanges per transaction before a client gives up */

static hid_device *dev;
static const char *control;
static unsigned failures;

static void __attribute__((format(printf, 3, 4))) check(bool ok, const char *id, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: ", ok ? "PASS" : "FAIL", id);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
	fflush(stdout);
}

static void hex(char *out, size_t size, const uint8_t *b, size_t n)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && pos + 4 < size; i++)
		pos += (size_t)snprintf(out + pos, size - pos, "%s%02x", i ? " " : "", b[i]);
}

/* One command as the libraries do it: hid_write of report 0 (65 bytes with the report ID),
 * hid_read_timeout of the answer, echo byte checked. 0, or -1 with the reason in why. */
static int xchg(const uint8_t req[REPORT], uint8_t resp[REPORT], char *why, size_t size)
{
	uint8_t out[REPORT + 1] = { 0 };
	int n;

	memcpy(out + 1, req, REPORT);
	if (hid_write(dev, out, sizeof(out)) < 0) {
		snprintf(why, size, "hid_write: %ls", hid_error(dev));
		return -1;
	}
	n = hid_read_timeout(dev, resp, REPORT, TIMEOUT_MS);
	if (n < 0) {
		snprintf(why, size, "hid_read: %ls", hid_error(dev));
		return -1;
	}
	if (n != REPORT) {
		snprintf(why, size, "%d bytes instead of an answer within %d ms", n, TIMEOUT_MS);
		return -1;
	}
	if (resp[0] != req[0]) {
		snprintf(why, size, "answer echoes 0x%02x, not 0x%02x", resp[0], req[0]);
		return -1;
	}
	return 0;
}

/* A command whose answer must have status 0x00 (byte 1). */
static bool cmd_ok(const uint8_t req[REPORT], uint8_t resp[REPORT], char *why, size_t size)
{
	if (xchg(req, resp, why, size) < 0)
		return false;
	if (resp[1] != 0x00) {
		snprintf(why, size, "status 0x%02x", resp[1]);
		return false;
	}
	return true;
}

/* ---- settings reads: 0x10 (p. 59), 0x20 (pp. 39-40), 0x41 (p. 34), 0x61 (pp. 23-31) ---------- */

static void settings_reads(void)
{
	uint8_t req[REPORT] = { 0x10 }, resp[REPORT];
	char why[160] = "", name[64] = "";
	wchar_t wname[64];
	bool ok;

	check(cmd_ok(req, resp, why, sizeof(why)), "status", "0x10 get chip status answers 10 00 %s", why);
	req[0] = 0x20;
	check(cmd_ok(req, resp, why, sizeof(why)), "chip-settings", "0x20 get chip settings answers 20 00 %s", why);
	req[0] = 0x41;
	ok = cmd_ok(req, resp, why, sizeof(why));
	check(ok && resp[2] == 0x11, "spi-settings", "0x41 answers 41 00 11 (structure size 17) %s",
	      ok ? "" : why);
	/* 0x61/0x40: the product string from NVRAM, [4] = 2*len+2, [5] = 0x03, UTF-16LE from [6];
	 * the same string as the USB descriptor hidapi reads. */
	req[0] = 0x61;
	req[1] = 0x40;
	ok = cmd_ok(req, resp, why, sizeof(why)) && resp[5] == 0x03 && resp[4] >= 2 && resp[4] <= 60;
	for (unsigned i = 0; ok && i < (resp[4] - 2u) / 2 && i < sizeof(name) - 1; i++)
		name[i] = (char)resp[6 + 2 * i];
	if (hid_get_product_string(dev, wname, sizeof(wname) / sizeof(wname[0])) < 0)
		wname[0] = L'\0';
	check(ok && strcmp(name, "MCP2210 USB to SPI Master") == 0 && wcscmp(wname, L"MCP2210 USB to SPI Master") == 0,
	      "nvram-product", "0x61/0x40 and the USB descriptor both name 'MCP2210 USB to SPI Master' (got '%s', '%ls') %s",
	      name, wname, ok ? "" : why);
}

/* ---- SPI ------------------------------------------------------------------------------------ */

/* 0x40: bit rate, idle and active CS (16 bits each, as the host writes them), no delays, n bytes
 * per transaction, mode 0. Layout: pp. 36-37, bytes 4..20 (doc/protocol.md, SPI transfer
 * settings). */
static void spi_settings_req(uint8_t req[REPORT], uint32_t bitrate, uint16_t idle, uint16_t active, uint16_t n)
{
	memset(req, 0, REPORT);
	req[0] = 0x40;
	for (int i = 0; i < 4; i++)
		req[4 + i] = (uint8_t)(bitrate >> (8 * i));
	req[8] = (uint8_t)idle;
	req[9] = (uint8_t)(idle >> 8);
	req[10] = (uint8_t)active;
	req[11] = (uint8_t)(active >> 8);
	req[18] = (uint8_t)n;
	req[19] = (uint8_t)(n >> 8);
}

/* What public libraries check after 0x40: the echo of bytes 4..20 equals the request. */
static bool set_spi_checked(uint32_t bitrate, uint16_t idle, uint16_t active, uint16_t n, char *why, size_t size)
{
	uint8_t req[REPORT], resp[REPORT];
	char a[64], b[64];

	spi_settings_req(req, bitrate, idle, active, n);
	if (!cmd_ok(req, resp, why, size))
		return false;
	if (memcmp(req + 4, resp + 4, 17) != 0) {
		hex(a, sizeof(a), req + 4, 17);
		hex(b, sizeof(b), resp + 4, 17);
		snprintf(why, size, "echo [4..20] '%s', request '%s'", b, a);
		return false;
	}
	return true;
}

/* One 0x42 as the libraries build it. Collects received bytes of an 0x00 answer into rx.
 * Returns the engine status (0x10, 0x20, 0x30), 0xF8 for busy, or -1 on another answer. */
static int spi_chunk(const uint8_t *data, unsigned n, uint8_t *rx, unsigned *got, unsigned cap, char *why, size_t size)
{
	uint8_t req[REPORT] = { 0x42, (uint8_t)n }, resp[REPORT];

	if (n) /* data is NULL for a poll */
		memcpy(req + 4, data, n);
	if (xchg(req, resp, why, size) < 0)
		return -1;
	if (resp[1] == 0xF8)
		return 0xF8;
	if (resp[1] != 0x00 || resp[2] > 60 || *got + resp[2] > cap) {
		snprintf(why, size, "answer 42 %02x %02x %02x after %u bytes received", resp[1], resp[2], resp[3], *got);
		return -1;
	}
	memcpy(rx + *got, resp + 4, resp[2]);
	*got += resp[2];
	return resp[3];
}

/* The datasheet's way (0x42, pp. 54-55): chunks of up to 60 bytes, each resent while the chip
 * answers 0xF8, then 0x42 with no data until the engine says 0x10. */
static bool spi_plain(const uint8_t *tx, unsigned n, uint8_t *rx, char *why, size_t size)
{
	unsigned sent = 0, got = 0, loops = 0;
	int st = 0;

	while (sent < n && loops++ < LOOP_MAX) {
		unsigned len = n - sent < 60 ? n - sent : 60;

		st = spi_chunk(tx + sent, len, rx, &got, n, why, size);
		if (st < 0)
			return false;
		if (st != 0xF8)
			sent += len;
	}
	while (st != 0x10 && loops++ < LOOP_MAX)
		if ((st = spi_chunk(NULL, 0, rx, &got, n, why, size)) < 0)
			return false;
	if (st != 0x10 || got != n) {
		snprintf(why, size, "engine 0x%02x, %u of %u bytes back after %u exchanges", (unsigned)st, got, n, loops);
		return false;
	}
	return true;
}

/* A public library's way (the one whose EEPROM example runs on silicon): the first chunks as
 * above, then the last chunk sent again and again, with its data, until the engine says 0x10.
 * Once all N bytes are in, a 0x42 with data is answered like one without (issue 11 item 1). */
static bool spi_resend_last(const uint8_t *tx, const unsigned *chunks, unsigned nchunks, uint8_t *rx, unsigned n,
			    char *why, size_t size)
{
	unsigned off = 0, got = 0, loops = 0, busy = 0;
	int st = 0;

	for (unsigned c = 0; c < nchunks; c++) {
		do {
			st = spi_chunk(tx + off, chunks[c], rx, &got, n, why, size);
			if (st < 0)
				return false;
			busy += st == 0xF8;
		} while ((st == 0xF8 || c == nchunks - 1) && st != 0x10 && ++loops < LOOP_MAX);
		off += chunks[c];
	}
	if (st != 0x10 || got != n) {
		snprintf(why, size, "engine 0x%02x, %u of %u bytes back after %u repeats of the last chunk (%u answered f8)",
			 (unsigned)st, got, n, loops, busy);
		return false;
	}
	return true;
}

/* GP1 becomes CS1 (the loopback of EMU_DEFAULT_PERIPHERALS): 0x20 read, designation of GP1
 * (byte 5) = 0x01, all of it written back with 0x21 (pp. 39-44). */
static bool use_cs1(char *why, size_t size)
{
	uint8_t req[REPORT] = { 0x20 }, resp[REPORT];

	if (!cmd_ok(req, resp, why, size))
		return false;
	memcpy(req, resp, REPORT);
	req[0] = 0x21;
	req[1] = req[2] = req[3] = 0;
	req[5] = 0x01;
	memset(req + 18, 0, REPORT - 18);
	return cmd_ok(req, resp, why, size);
}

/* 0x11 cancel (p. 56): each check starts with an idle engine, whatever the one before left, so
 * that one failure does not fail the next check too. */
static void cancel(void)
{
	uint8_t req[REPORT] = { 0x11 }, resp[REPORT];
	char why[160];

	if (xchg(req, resp, why, sizeof(why)) < 0)
		printf("note: 0x11 cancel: %s\n", why);
}

static void spi_checks(void)
{
	static const uint8_t four[4] = { 0xa5, 0x5a, 0x00, 0xff };
	uint8_t tx[100], rx[100];
	char why[200] = "";
	bool ok;

	for (unsigned i = 0; i < sizeof(tx); i++)
		tx[i] = (uint8_t)(i * 13 + 7);
	ok = use_cs1(why, sizeof(why));
	check(ok, "cs1", "GP1 designated chip select with 0x20 then 0x21 %s", why);
	/* idle 0x1ff (every CS high), active 0x1fd (CS1 low): 9-bit values */
	ok = set_spi_checked(1000000, 0x01ff, 0x01fd, sizeof(tx), why, sizeof(why));
	check(ok, "echo", "0x40 (1 Mbit/s, CS ff 01 / fd 01, 100 bytes) echoes its request %s", why);
	ok = ok && spi_plain(tx, sizeof(tx), rx, why, sizeof(why)) && memcmp(tx, rx, sizeof(tx)) == 0;
	check(ok, "transfer", "100 bytes through the loopback on CS1 in 60 + 40 byte chunks come back %s", why);

	/* issue 11 item 1: N = 4, the same 0x42 with data sent until the engine says finished */
	cancel();
	why[0] = '\0';
	ok = set_spi_checked(1000000, 0x01ff, 0x01fd, 4, why, sizeof(why)) &&
	     spi_resend_last(four, (const unsigned[]){ 4 }, 1, rx, 4, why, sizeof(why)) && memcmp(rx, four, 4) == 0;
	check(ok, "surplus-4", "N = 4: '42 04 00 00 a5 5a 00 ff' resent until finished gives a5 5a 00 ff back %s", why);
	/* and the 2-then-9 pattern, N = 11 */
	cancel();
	why[0] = '\0';
	ok = set_spi_checked(1000000, 0x01ff, 0x01fd, 11, why, sizeof(why)) &&
	     spi_resend_last(tx, (const unsigned[]){ 2, 9 }, 2, rx, 11, why, sizeof(why)) && memcmp(rx, tx, 11) == 0;
	check(ok, "surplus-2-9", "N = 11: '42 02 ..', then '42 09 ..' resent until finished gives 11 bytes back %s", why);

	/* issue 11 item 3: 16-bit CS fields as the host writes them, echoed and read back as such */
	cancel();
	why[0] = '\0';
	ok = set_spi_checked(1000000, 0xffff, 0xfffd, 4, why, sizeof(why));
	check(ok, "echo-cs16", "0x40 with idle CS ff ff, active CS fd ff echoes ff ff / fd ff %s", why);
	{
		uint8_t req[REPORT] = { 0x41 }, resp[REPORT];

		why[0] = '\0';
		ok = cmd_ok(req, resp, why, sizeof(why)) && resp[8] == 0xff && resp[9] == 0xff && resp[10] == 0xfd &&
		     resp[11] == 0xff;
		check(ok, "read-cs16", "0x41 then reads idle ff ff, active fd ff (got %02x %02x / %02x %02x) %s", resp[8],
		      resp[9], resp[10], resp[11], why);
	}
	/* whatever the echo, the chip acts on the low 9 bits: CS1 still selects the loopback */
	why[0] = '\0';
	{
		uint8_t req[REPORT], resp[REPORT];

		spi_settings_req(req, 1000000, 0xffff, 0xfffd, 4);
		ok = cmd_ok(req, resp, why, sizeof(why)) && spi_plain(four, 4, rx, why, sizeof(why)) &&
		     memcmp(rx, four, 4) == 0;
	}
	check(ok, "cs16-transfer", "with CS fields ff ff / fd ff a 4-byte transfer on CS1 comes back %s", why);
}

/* ---- the password (0x70, pp. 32-33, figure 3-11) ------------------------------------------------ */

static bool power_cycle(char *why, size_t size)
{
	char reply_path[256], line[128] = "";
	FILE *f;

	if (!control) {
		snprintf(why, size, "no --control FIFO to power-cycle the chip");
		return false;
	}
	f = fopen(control, "w");
	if (!f || fprintf(f, "power_cycle 1\n") < 0 || fclose(f) != 0) {
		snprintf(why, size, "cannot write to %s", control);
		return false;
	}
	snprintf(reply_path, sizeof(reply_path), "%s.reply", control);
	f = fopen(reply_path, "r");
	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "ok", 2) != 0) {
		snprintf(why, size, "harness: %s", line[0] ? line : "no reply");
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	return true;
}

/* 0x60/0x20 (pp. 11-13): the chip's power-up settings as read with 0x61/0x20, access control and
 * password changed (bytes 18 and 19..26). */
static bool set_access(uint8_t access, const char *password, char *why, size_t size)
{
	uint8_t req[REPORT] = { 0x61, 0x20 }, resp[REPORT];

	if (!cmd_ok(req, resp, why, size))
		return false;
	memcpy(req, resp, REPORT);
	req[0] = 0x60;
	req[1] = 0x20;
	req[2] = req[3] = 0;
	memset(req + 19, 0, REPORT - 19);
	req[18] = access;
	memcpy(req + 19, password, 8);
	return cmd_ok(req, resp, why, size);
}

static int send_password(const char *password, char *why, size_t size)
{
	uint8_t req[REPORT] = { 0x70 }, resp[REPORT];

	memcpy(req + 4, password, 8);
	return xchg(req, resp, why, size) < 0 ? -1 : resp[1];
}

static void password_checks(void)
{
	static const uint8_t want[7] = { 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfb, 0xfb };
	uint8_t got[7] = { 0 };
	char why[160] = "", seq[40];
	int st;
	bool ok;

	st = send_password("anything", why, sizeof(why));
	check(st == 0x00, "password-unprotected", "0x70 on a chip without protection answers 70 00 (got 0x%02x) %s", (unsigned)st, why);
	ok = set_access(0x40, "secret12", why, sizeof(why)) && power_cycle(why, sizeof(why));
	check(ok, "password-set", "0x60/0x20 protects NVRAM with a password, chip power-cycled %s", why);
	for (unsigned i = 0; ok && i < sizeof(got); i++)
		got[i] = (uint8_t)send_password("wrong-pw", why, sizeof(why));
	hex(seq, sizeof(seq), got, sizeof(got));
	check(ok && memcmp(got, want, sizeof(want)) == 0, "password-sequence",
	      "7 wrong passwords answer fd fd fd fd fd fb fb (got %s)", seq);
	st = ok ? send_password("secret12", why, sizeof(why)) : -1;
	check(st == 0xfb, "password-blocked", "then the right one answers fb until power-up (got 0x%02x) %s", (unsigned)st, why);
	ok = ok && power_cycle(why, sizeof(why));
	st = ok ? send_password("secret12", why, sizeof(why)) : -1;
	check(st == 0x00, "password-right", "after power-up the right password answers 70 00 (got 0x%02x) %s", (unsigned)st, why);
	ok = set_access(0x00, "\0\0\0\0\0\0\0\0", why, sizeof(why));
	check(ok, "password-clear", "0x60/0x20 removes the protection again %s", why);
}

int main(int argc, char **argv)
{
	wchar_t serial[32];
	int arg = 1;

	if (argc == 4 && strcmp(argv[1], "--control") == 0) {
		control = argv[2];
		arg = 3;
	}
	if (arg != argc - 1 || strlen(argv[arg]) >= sizeof(serial) / sizeof(serial[0])) {
		fprintf(stderr, "usage: usb-hidapi-client [--control FIFO] SERIAL\n");
		return 2;
	}
	mbstowcs(serial, argv[arg], sizeof(serial) / sizeof(serial[0]));
	if (hid_init() != 0) {
		fprintf(stderr, "usb-hidapi-client: hid_init failed\n");
		return 2;
	}
	dev = hid_open(0x04d8, 0x00de, serial);
	if (!dev) {
		fprintf(stderr, "usb-hidapi-client: hid_open(04d8:00de, %s) failed: %ls\n", argv[arg], hid_error(NULL));
		hid_exit();
		return 2;
	}
	settings_reads();
	spi_checks();
	password_checks();
	hid_close(dev);
	hid_exit();
	printf("%u check(s) failed\n", failures);
	return failures ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exchange traces (-o trace=FILE, doc/trace-format.md): the line format both ways, the trace
 * transport over the emulated chip on its virtual clock (one 1 ms frame per exchange with the
 * IN transfer first), a write error logged once while exchanges go on, and the device's
 * comings and goings (presence, identity, waiting, reconnecting) forwarded to the transport
 * underneath, as the emulated chip reports them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "emu/emu.h"
#include "util/log.h"
#include "transport_trace_format.h"
#include "transport.h"
#include "check_main.h"

/* A request's trailing zeros are left out; the issue writes reports the same way. */
START_TEST(test_format_report)
{
	mcp2210_report r = { 0x42, 0x04, 0x00, 0x00, 0xa5, 0x5a, 0x00, 0xff };
	char line[TRACE_LINE_MAX];

	trace_format_report(line, sizeof(line), 37000000, TRACE_REQUEST, r);
	ck_assert_str_eq(line, "T+37000 > 42 04 00 00 a5 5a 00 ff");
	memset(r, 0, sizeof(r));
	trace_format_report(line, sizeof(line), 1500, TRACE_ANSWER, r);
	ck_assert_str_eq(line, "T+1.500 < 00");
	memset(r, 0xff, sizeof(r));
	trace_format_report(line, sizeof(line), 0, TRACE_ANSWER, r);
	ck_assert_uint_eq(strlen(line), strlen("T+0 <") + 64 * 3);
	trace_format_event(line, sizeof(line), 2000000, -ETIMEDOUT);
	ck_assert_str_eq(line, "T+2000 ! timeout");
	trace_format_event(line, sizeof(line), 3000, -ENODEV);
	ck_assert_str_eq(line, "T+3 ! error ENODEV");
	trace_format_drained(line, sizeof(line), 4000, 2);
	ck_assert_str_eq(line, "T+4 ! drained 2");
}
END_TEST

START_TEST(test_parse)
{
	struct trace_line l;

	ck_assert_int_eq(trace_parse_line("T+37000 > 42 04 00 00 a5 5a 00 FF\n", &l), 0);
	ck_assert_int_eq(l.kind, TRACE_REQUEST);
	ck_assert_uint_eq(l.ns, 37000000);
	ck_assert_uint_eq(l.data[0], 0x42);
	ck_assert_uint_eq(l.data[7], 0xff);
	ck_assert_uint_eq(l.data[8], 0);
	ck_assert_int_eq(trace_parse_line("T+1.500 < 10 00", &l), 0);
	ck_assert_int_eq(l.kind, TRACE_ANSWER);
	ck_assert_uint_eq(l.ns, 1500);
	ck_assert_int_eq(trace_parse_line("T+9 ! timeout", &l), 0);
	ck_assert_int_eq(l.kind, TRACE_TIMEOUT);
	ck_assert_int_eq(trace_parse_line("T+9 ! error ENODEV\n", &l), 0);
	ck_assert_int_eq(l.kind, TRACE_ERROR);
	ck_assert_str_eq(l.error, "ENODEV");
	ck_assert_int_eq(trace_parse_line("T+9 ! drained 3", &l), 0);
	ck_assert_int_eq(l.kind, TRACE_DRAINED);
	ck_assert_uint_eq(l.count, 3);
	ck_assert_int_eq(trace_parse_line("# frame_us: 1000\n", &l), 0);
	ck_assert_int_eq(l.kind, TRACE_BLANK);
	ck_assert_int_eq(trace_parse_line("\n", &l), 0);
	ck_assert_int_eq(l.kind, TRACE_BLANK);
	/* not the format */
	ck_assert_int_eq(trace_parse_line("T+9 > 4", &l), -EINVAL);
	ck_assert_int_eq(trace_parse_line("T+9 > 4g", &l), -EINVAL);
	ck_assert_int_eq(trace_parse_line("T+9 >", &l), -EINVAL);
	ck_assert_int_eq(trace_parse_line("9 > 10", &l), -EINVAL);
	ck_assert_int_eq(trace_parse_line("T+9 ? 10", &l), -EINVAL);
	ck_assert_int_eq(trace_parse_line("T+9.5 > 10", &l), -EINVAL);
	ck_assert_int_eq(trace_parse_line("T+9 ! drained", &l), -EINVAL);
	ck_assert_int_eq(trace_parse_line("T+9 ! timeout x", &l), -EINVAL);
}
END_TEST

/* 65 bytes are one too many for a report. */
START_TEST(test_parse_too_long)
{
	char line[TRACE_LINE_MAX + 8] = "T+0 >";
	struct trace_line l;

	for (int i = 0; i < 65; i++)
		strcat(line, " 01");
	ck_assert_int_eq(trace_parse_line(line, &l), -EINVAL);
	line[strlen(line) - 3] = '\0';
	ck_assert_int_eq(trace_parse_line(line, &l), 0);
	ck_assert_uint_eq(l.data[63], 0x01);
}
END_TEST

struct rig {
	struct emu *emu;
	struct transport *inner, *t;
	char path[64];
};

static void rig_up(struct rig *r)
{
	struct emu_config cfg = { .frame_ns = EMU_DEFAULT_FRAME_NS };
	int fd;

	snprintf(r->path, sizeof(r->path), "/tmp/check_trace.XXXXXX");
	fd = mkstemp(r->path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(emu_new(&cfg, &r->emu), 0);
	ck_assert_int_eq(transport_emu_new(r->emu, false, &r->inner), 0);
	ck_assert_int_eq(transport_trace_new(r->inner, r->path, "# peripherals: none\n", &r->t), 0);
}

static void rig_down(struct rig *r)
{
	transport_free(r->t);
	transport_free(r->inner);
	emu_free(r->emu);
	unlink(r->path);
}

/* The first n lines after the head, without newlines; fails if there are fewer or more. */
static void body_lines(const char *path, char lines[][TRACE_LINE_MAX + 2], unsigned n)
{
	char line[TRACE_LINE_MAX + 2];
	FILE *f = fopen(path, "r");
	unsigned i = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		ck_assert_uint_lt(i, n);
		line[strcspn(line, "\n")] = '\0';
		strcpy(lines[i++], line);
	}
	fclose(f);
	ck_assert_uint_eq(i, n);
}

/* On the chip's virtual clock an exchange with IN first is one 1 ms frame: the request goes at
 * the frame's start, the answer comes at its end. */
START_TEST(test_trace_exchanges)
{
	char lines[6][TRACE_LINE_MAX + 2];
	struct rig r;
	mcp2210_report req = { 0x10 }, resp;

	rig_up(&r);
	ck_assert_int_eq(transport_exchange(r.t, req, resp, 100), 0);
	ck_assert_uint_eq(resp[0], 0x10);
	req[0] = 0x31;
	ck_assert_int_eq(transport_exchange(r.t, req, resp, 100), 0);
	emu_fault_arm(r.emu, EMU_FAULT_NO_ANSWER, 1);
	ck_assert_int_eq(transport_exchange(r.t, req, resp, 100), -ETIMEDOUT);
	body_lines(r.path, lines, 6);
	ck_assert_str_eq(lines[0], "T+0 > 10");
	ck_assert_int_eq(strncmp(lines[1], "T+1000 < 10 00 ", 15), 0);
	ck_assert_str_eq(lines[2], "T+1000 > 31");
	ck_assert_int_eq(strncmp(lines[3], "T+2000 < 31 00 ", 15), 0);
	ck_assert_str_eq(lines[4], "T+2000 > 31");
	/* one frame, then the whole 100 ms timeout a host waits */
	ck_assert_str_eq(lines[5], "T+103000 ! timeout");
	rig_down(&r);
}
END_TEST

/* What the mount sees through the trace: the emulated cable pulled and put back, the USB
 * identity a host read at enumeration (an NVRAM change shows only at the next power-up), and a
 * monitor's wait ended for good by wake(). */
START_TEST(test_trace_forwards_device_events)
{
	struct mcp2210_usb_key key = { .vid = 0x1234, .pid = 0x5678, .power = 0x80, .current_2ma = 50 };
	mcp2210_report req = { 0x10 }, resp;
	struct transport_identity id;
	struct rig r;

	rig_up(&r);
	ck_assert(transport_present(r.t));
	transport_identity(r.t, &id);
	ck_assert_uint_eq(id.vid, MCP2210_VID_FACTORY);
	ck_assert_uint_eq(id.pid, MCP2210_PID_FACTORY);
	ck_assert_str_eq(id.serial, "0000000000");
	ck_assert_str_eq(id.product, "MCP2210 USB to SPI Master");
	ck_assert_uint_eq(id.bus, 0); /* on no bus */

	ck_assert_int_eq(proto_encode_set_nvram_usb_key(req, &key), 0);
	ck_assert_int_eq(transport_exchange(r.t, req, resp, 100), 0);
	ck_assert_uint_eq(resp[1], MCP2210_STATUS_OK);
	transport_identity(r.t, &id);
	ck_assert_uint_eq(id.vid, MCP2210_VID_FACTORY); /* until it enumerates again */
	emu_power_cycle(r.emu);
	transport_identity(r.t, &id);
	ck_assert_uint_eq(id.vid, 0x1234);
	ck_assert_uint_eq(id.pid, 0x5678);

	req[0] = 0x10;
	emu_unplug(r.emu);
	ck_assert(!transport_present(r.t));
	ck_assert_int_eq(transport_check(r.t), -ENODEV);
	ck_assert_int_eq(transport_exchange(r.t, req, resp, 100), -ENODEV);
	ck_assert_int_eq(transport_reconnect(r.t), -ENODEV);
	emu_replug(r.emu);
	ck_assert(transport_present(r.t));
	ck_assert_int_eq(transport_check(r.t), 0);
	ck_assert_int_eq(transport_reconnect(r.t), 0);
	ck_assert_int_eq(transport_exchange(r.t, req, resp, 100), 0);

	/* this wait and every later one return at once (a minute would fail the test's timeout),
	 * with nothing for the worker to look at */
	transport_wake(r.t);
	ck_assert(!transport_wait(r.t, 60000));
	ck_assert(!transport_wait(r.t, 60000));
	rig_down(&r);
}
END_TEST

static unsigned errors_logged;
static void count_errors(enum log_level level, const char *msg)
{
	(void)msg;
	if (level == LOG_LEVEL_ERR)
		errors_logged++;
}

/* A pipe nobody reads: every write fails (EPIPE). Exchanges go on; the error is logged once. */
START_TEST(test_write_error_logged_once)
{
	struct emu_config cfg = { .frame_ns = 0 };
	struct transport *inner, *t;
	mcp2210_report req = { 0x10 }, resp;
	struct emu *e;
	char path[32];
	int fds[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(fds), 0);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[1]);
	ck_assert_int_eq(emu_new(&cfg, &e), 0);
	ck_assert_int_eq(transport_emu_new(e, false, &inner), 0);
	ck_assert_int_eq(transport_trace_new(inner, path, NULL, &t), 0);
	close(fds[0]);
	errors_logged = 0;
	log_set_sink(count_errors);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(transport_exchange(t, req, resp, 100), 0);
	log_set_sink(NULL);
	ck_assert_uint_eq(errors_logged, 1);
	transport_free(t);
	transport_free(inner);
	close(fds[1]);
	emu_free(e);
}
END_TEST

START_TEST(test_open_error)
{
	struct emu_config cfg = { .frame_ns = 0 };
	struct transport *inner, *t = (struct transport *)1;
	struct emu *e;

	ck_assert_int_eq(emu_new(&cfg, &e), 0);
	ck_assert_int_eq(transport_emu_new(e, false, &inner), 0);
	errors_logged = 0;
	log_set_sink(count_errors);
	ck_assert_int_eq(transport_trace_new(inner, "/nonexistent/dir/trace", NULL, &t), -ENOENT);
	log_set_sink(NULL);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(errors_logged, 1);
	transport_free(inner);
	emu_free(e);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_format_report);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_too_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("transport");
	tcase_add_test(tc, test_trace_exchanges);
	tcase_add_test(tc, test_write_error_logged_once);
	tcase_add_test(tc, test_open_error);
	tcase_add_test(tc, test_trace_forwards_device_events);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(trace_suite)

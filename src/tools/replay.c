/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mcp2210-replay: feed the requests of an exchange trace (-o trace=FILE, doc/trace-format.md)
 * to a fresh emulated MCP2210, on the trace's own clock, and list every answer that differs.
 * A trace from a real chip thus becomes a test of the emulator.
 *
 *   mcp2210-replay [--state FILE] [--peripherals SPEC] [--frame-us N] [--order in-first|out-first] TRACE
 *
 * Exit status: 0 every answer agrees, 1 some differ, 2 usage, unreadable or malformed trace.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/emu.h"
#include "util/log.h"
#include "transport_trace_format.h"

struct replay {
	/* from the command line, else from the trace's head, else the emulator's defaults */
	const char *state;
	const char *peripherals;
	char *head_peripherals; /* owned copy from the head */
	long frame_us; /* -1: not given */
	int order;     /* -1: not given, else enum emu_order */

	struct emu *e;
	char state_copy[64]; /* the emulator writes its state file: it gets a copy */
	unsigned long exchanges, differ, skipped;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mcp2210-replay [--state FILE] [--peripherals SPEC] [--frame-us N] "
		   "[--order in-first|out-first] TRACE\n"
		   "Replay a trace recorded with mcp2210fs -o trace=FILE on a fresh emulated MCP2210 and\n"
		   "list every answer that differs (doc/trace-format.md). Exit status 0: none differs,\n"
		   "1: some differ, 2: usage or trace error.\n");
}

/* "# key: value" lines of the head give what the command line did not. */
static int header_line(struct replay *r, const char *line)
{
	char value[200];

	if (sscanf(line, "# peripherals: %199[^\n]", value) == 1 && !r->peripherals) {
		r->peripherals = r->head_peripherals = strdup(value);
		return r->peripherals ? 0 : -ENOMEM;
	}
	if (sscanf(line, "# frame_us: %199[^\n]", value) == 1 && r->frame_us < 0)
		r->frame_us = strtol(value, NULL, 10);
	if (sscanf(line, "# order: %199[^\n]", value) == 1 && r->order < 0)
		r->order = strcmp(value, "out-first") == 0 ? EMU_OUT_FIRST : EMU_IN_FIRST;
	return 0;
}

static int copy_file(const char *from, int to_fd)
{
	char buf[4096];
	FILE *in = fopen(from, "r");
	size_t n;
	int ret = 0;

	if (!in)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (write(to_fd, buf, n) != (ssize_t)n) {
			ret = -EIO;
			break;
		}
	if (ferror(in))
		ret = -EIO;
	fclose(in);
	return ret;
}

static int chip_new(struct replay *r)
{
	struct emu_config cfg = { .frame_ns = (uint64_t)(r->frame_us < 0 ? 0 : r->frame_us) * 1000u };
	int ret;

	if (r->state) {
		int fd;

		snprintf(r->state_copy, sizeof(r->state_copy), "/tmp/mcp2210-replay.XXXXXX");
		fd = mkstemp(r->state_copy);
		if (fd < 0 || (ret = copy_file(r->state, fd)) < 0) {
			ret = fd < 0 ? -errno : ret;
			fprintf(stderr, "mcp2210-replay: cannot read the state file %s: %s\n", r->state, strerror(-ret));
			if (fd >= 0)
				close(fd);
			return ret;
		}
		close(fd);
		cfg.state_file = r->state_copy;
	}
	ret = emu_new(&cfg, &r->e);
	if (ret < 0) {
		fprintf(stderr, "mcp2210-replay: cannot create the emulated chip: %s\n", strerror(-ret));
		return ret;
	}
	ret = emu_attach_spec(r->e, r->peripherals ? r->peripherals : EMU_DEFAULT_PERIPHERALS);
	if (ret < 0)
		fprintf(stderr, "mcp2210-replay: bad peripherals '%s'\n", r->peripherals);
	return ret;
}

static void print_report(const char *label, const mcp2210_report rep)
{
	char line[TRACE_LINE_MAX];

	trace_format_report(line, sizeof(line), 0, TRACE_ANSWER, rep);
	printf("  %-9s%s\n", label, line + strlen("T+0 < "));
}

/* "  bytes differ: 1, 5-63": offsets from 0, runs as ranges. */
static void print_differing(const mcp2210_report a, const mcp2210_report b)
{
	const char *sep = "";

	printf("  bytes differ: ");
	for (unsigned i = 0; i < MCP2210_REPORT_SIZE; i++) {
		unsigned j = i;

		if (a[i] == b[i])
			continue;
		while (j + 1 < MCP2210_REPORT_SIZE && a[j + 1] != b[j + 1])
			j++;
		printf(j > i ? "%s%u-%u" : "%s%u", sep, i, j);
		sep = ", ";
		i = j;
	}
	printf("\n");
}

/* One recorded exchange: request at req->ns, then what was recorded (answer, timeout, error). */
static void replay_exchange(struct replay *r, unsigned lineno, const struct trace_line *req,
			    const struct trace_line *rec)
{
	mcp2210_report resp;
	uint64_t now = emu_now(r->e);
	bool same;
	int ret;

	if (rec->kind == TRACE_ERROR) { /* the request may never have reached the chip */
		r->skipped++;
		return;
	}
	if (req->ns > now)
		emu_advance(r->e, req->ns - now);
	r->exchanges++;
	ret = emu_exchange(r->e, req->data, resp, r->order < 0 ? EMU_IN_FIRST : (enum emu_order)r->order);
	if (rec->kind == TRACE_TIMEOUT)
		same = ret == -ETIMEDOUT;
	else
		same = ret == 0 && memcmp(resp, rec->data, sizeof(resp)) == 0;
	if (same)
		return;
	r->differ++;
	printf("line %u, exchange %lu, T+%llu:\n", lineno, r->exchanges, (unsigned long long)(req->ns / 1000));
	print_report("request", req->data);
	if (rec->kind == TRACE_TIMEOUT)
		printf("  %-9s%s\n", "recorded", "(no answer: timeout)");
	else
		print_report("recorded", rec->data);
	if (ret < 0) {
		printf("  %-9s(no answer: %s)\n", "emulated", strerror(-ret));
		return;
	}
	print_report("emulated", resp);
	if (rec->kind == TRACE_ANSWER)
		print_differing(resp, rec->data);
}

/* Stale answers the host threw away: the emulated chip must have held as many. */
static void replay_drain(struct replay *r, unsigned lineno, const struct trace_line *rec)
{
	mcp2210_report stale;
	unsigned n = 0;

	while (emu_in(r->e, stale) == 0)
		n++;
	if (n == rec->count)
		return;
	r->differ++;
	printf("line %u, after exchange %lu: recorded %u stale answer(s) drained, emulated %u\n", lineno, r->exchanges,
	       rec->count, n);
}

static int replay_file(struct replay *r, FILE *f, const char *path)
{
	char buf[1024];
	struct trace_line line, req;
	bool pending = false, head = true;
	unsigned lineno = 0;
	int ret;

	while (fgets(buf, sizeof(buf), f)) {
		lineno++;
		if (trace_parse_line(buf, &line) < 0) {
			fprintf(stderr, "mcp2210-replay: %s:%u: not a trace line: %.80s", path, lineno, buf);
			return -EINVAL;
		}
		if (line.kind == TRACE_BLANK) {
			if (head && (ret = header_line(r, buf)) < 0)
				return ret;
			continue;
		}
		if (head) { /* the head is over: make the chip it describes */
			head = false;
			if ((ret = chip_new(r)) < 0)
				return ret;
		}
		if (line.kind == TRACE_REQUEST && !pending) {
			req = line;
			pending = true;
		} else if (pending && (line.kind == TRACE_ANSWER || line.kind == TRACE_TIMEOUT || line.kind == TRACE_ERROR)) {
			replay_exchange(r, lineno - 1, &req, &line);
			pending = false;
		} else if (line.kind == TRACE_DRAINED && !pending) {
			replay_drain(r, lineno, &line);
		} else {
			fprintf(stderr, "mcp2210-replay: %s:%u: %s\n", path, lineno,
				pending ? "a request must be followed by its answer, '! timeout' or '! error'"
					: "an answer without its request");
			return -EINVAL;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "mcp2210-replay: reading %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	if (pending) {
		fprintf(stderr, "mcp2210-replay: %s: the last request has no answer line\n", path);
		return -EINVAL;
	}
	return head ? chip_new(r) : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },   { "peripherals", required_argument, NULL, 'p' },
		{ "frame-us", required_argument, NULL, 'f' }, { "order", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	struct replay r = { .frame_us = -1, .order = -1 };
	FILE *f;
	char *end;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			r.state = optarg;
			break;
		case 'p':
			r.peripherals = optarg;
			break;
		case 'f':
			r.frame_us = strtol(optarg, &end, 10);
			if (*end || r.frame_us < 0 || r.frame_us > 1000000) {
				fprintf(stderr, "mcp2210-replay: --frame-us takes 0..1000000\n");
				return 2;
			}
			break;
		case 'o':
			if (strcmp(optarg, "in-first") != 0 && strcmp(optarg, "out-first") != 0) {
				fprintf(stderr, "mcp2210-replay: --order takes in-first or out-first\n");
				return 2;
			}
			r.order = strcmp(optarg, "out-first") == 0 ? EMU_OUT_FIRST : EMU_IN_FIRST;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	f = fopen(argv[optind], "r");
	if (!f) {
		fprintf(stderr, "mcp2210-replay: cannot open %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	ret = replay_file(&r, f, argv[optind]);
	fclose(f);
	if (ret == 0)
		printf("%lu exchanges replayed, %lu differ%s\n", r.exchanges, r.differ,
		       r.skipped ? " (some failed exchanges were not replayed)" : "");
	emu_free(r.e);
	if (r.state_copy[0])
		unlink(r.state_copy);
	free(r.head_peripherals);
	return ret < 0 ? 2 : r.differ ? 1 : 0;
}

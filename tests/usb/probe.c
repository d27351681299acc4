/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usb-probe: a small libusb client that checks the USB test harness (usb-emu-run) on its own,
 * the way a real MCP2210 driver talks to the chip: string descriptors, kernel-driver detach,
 * claim, and 64-byte exchanges with the IN transfer submitted before the OUT one.
 *
 *   usb-probe list                  one line per device: VID:PID BUS/ADDR SERIAL PRODUCT
 *   usb-probe xchg SERIAL HEX...    send one report (HEX = its first bytes), print the answer
 *   usb-probe bench SERIAL N        N get-status (0x10) exchanges, then exchanges per second
 * Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>

#include "util/clock.h"

#define PROBE_REPORT 64
#define PROBE_EP_OUT 0x01
#define PROBE_EP_IN 0x81
#define PROBE_TIMEOUT_MS 1000

struct probe_dev {
	libusb_device_handle *h;
	bool detached; /* we took interface 0 from the kernel driver: give it back */
	bool claimed;
};

static void probe_string(libusb_device_handle *h, uint8_t index, char *buf, int size)
{
	int n = index ? libusb_get_string_descriptor_ascii(h, index, (unsigned char *)buf, size) : 0;

	if (n < 0)
		snprintf(buf, (size_t)size, "(%s)", libusb_error_name(n));
	else
		buf[n] = '\0';
}

static int probe_list(libusb_context *ctx)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(ctx, &list);

	if (n < 0) {
		fprintf(stderr, "usb-probe: cannot list devices: %s\n", libusb_error_name((int)n));
		return 1;
	}
	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor dd;
		libusb_device_handle *h;
		char serial[128] = "?", product[128] = "?";
		int r;

		if (libusb_get_device_descriptor(list[i], &dd) < 0)
			continue;
		r = libusb_open(list[i], &h);
		if (r == 0) {
			probe_string(h, dd.iSerialNumber, serial, sizeof(serial));
			probe_string(h, dd.iProduct, product, sizeof(product));
			libusb_close(h);
		} else {
			snprintf(serial, sizeof(serial), "(open: %s)", libusb_error_name(r));
		}
		printf("%04x:%04x %03u/%03u %s %s\n", dd.idVendor, dd.idProduct, libusb_get_bus_number(list[i]),
		       libusb_get_device_address(list[i]), serial, product);
	}
	libusb_free_device_list(list, 1);
	return 0;
}

static void probe_close(struct probe_dev *d)
{
	int r;

	if (d->claimed && (r = libusb_release_interface(d->h, 0)) < 0)
		fprintf(stderr, "usb-probe: release: %s\n", libusb_error_name(r));
	if (d->detached && (r = libusb_attach_kernel_driver(d->h, 0)) < 0)
		fprintf(stderr, "usb-probe: reattach: %s\n", libusb_error_name(r));
	libusb_close(d->h);
}

/* Open the device with this serial, take interface 0 from the kernel driver and claim it. */
static int probe_open(libusb_context *ctx, const char *serial, struct probe_dev *d)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(ctx, &list);
	int r;

	memset(d, 0, sizeof(*d));
	if (n < 0) {
		fprintf(stderr, "usb-probe: cannot list devices: %s\n", libusb_error_name((int)n));
		return -1;
	}
	for (ssize_t i = 0; i < n && !d->h; i++) {
		struct libusb_device_descriptor dd;
		libusb_device_handle *h;
		char s[128];

		if (libusb_get_device_descriptor(list[i], &dd) < 0 || libusb_open(list[i], &h) < 0)
			continue;
		probe_string(h, dd.iSerialNumber, s, sizeof(s));
		if (strcmp(s, serial) == 0)
			d->h = h;
		else
			libusb_close(h);
	}
	libusb_free_device_list(list, 1);
	if (!d->h) {
		fprintf(stderr, "usb-probe: no device with serial %s\n", serial);
		return -1;
	}
	r = libusb_kernel_driver_active(d->h, 0);
	if (r == 1) {
		if ((r = libusb_detach_kernel_driver(d->h, 0)) < 0) {
			fprintf(stderr, "usb-probe: detach: %s\n", libusb_error_name(r));
			goto err;
		}
		d->detached = true;
	} else if (r < 0 && r != LIBUSB_ERROR_NOT_SUPPORTED) {
		fprintf(stderr, "usb-probe: kernel driver query: %s\n", libusb_error_name(r));
		goto err;
	}
	if ((r = libusb_claim_interface(d->h, 0)) < 0) {
		fprintf(stderr, "usb-probe: claim: %s\n", libusb_error_name(r));
		goto err;
	}
	d->claimed = true;
	return 0;
err:
	probe_close(d);
	return -1;
}

static void LIBUSB_CALL probe_done(struct libusb_transfer *t) { *(int *)t->user_data = 1; }

/* One exchange: IN submitted first, then OUT, both asynchronous; bounded by a deadline. On
 * failure both transfers are cancelled and their completions awaited (again bounded). */
static int probe_exchange(libusb_context *ctx, libusb_device_handle *h, const uint8_t req[PROBE_REPORT],
			  uint8_t resp[PROBE_REPORT])
{
	struct libusb_transfer *in = libusb_alloc_transfer(0), *out = libusb_alloc_transfer(0);
	uint8_t inbuf[PROBE_REPORT], outbuf[PROBE_REPORT];
	int in_done = 0, out_done = 0, ret = -1, r;
	uint64_t deadline = mono_after_ms(2 * PROBE_TIMEOUT_MS);

	if (!in || !out)
		goto out;
	memcpy(outbuf, req, PROBE_REPORT);
	libusb_fill_interrupt_transfer(in, h, PROBE_EP_IN, inbuf, PROBE_REPORT, probe_done, &in_done, PROBE_TIMEOUT_MS);
	libusb_fill_interrupt_transfer(out, h, PROBE_EP_OUT, outbuf, PROBE_REPORT, probe_done, &out_done,
				       PROBE_TIMEOUT_MS);
	if ((r = libusb_submit_transfer(in)) < 0) {
		fprintf(stderr, "usb-probe: submit IN: %s\n", libusb_error_name(r));
		goto out;
	}
	if ((r = libusb_submit_transfer(out)) < 0) {
		fprintf(stderr, "usb-probe: submit OUT: %s\n", libusb_error_name(r));
		out_done = 1;
		libusb_cancel_transfer(in);
	}
	while ((!in_done || !out_done) && mono_now_ns() < deadline) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };

		r = libusb_handle_events_timeout_completed(ctx, &tv, NULL);
		if (r < 0 && r != LIBUSB_ERROR_INTERRUPTED) {
			fprintf(stderr, "usb-probe: handle events: %s\n", libusb_error_name(r));
			break;
		}
	}
	if (!in_done || !out_done) {
		fprintf(stderr, "usb-probe: exchange timed out\n");
		if (!in_done)
			libusb_cancel_transfer(in);
		if (!out_done)
			libusb_cancel_transfer(out);
		deadline = mono_after_ms(1000);
		while ((!in_done || !out_done) && mono_now_ns() < deadline) {
			struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };

			libusb_handle_events_timeout_completed(ctx, &tv, NULL);
		}
		if (!in_done || !out_done) {
			fprintf(stderr, "usb-probe: cancelled transfers did not complete; leaking them\n");
			return -1; /* freeing them now would be a use after free */
		}
		goto out;
	}
	if (out->status != LIBUSB_TRANSFER_COMPLETED || out->actual_length != PROBE_REPORT) {
		fprintf(stderr, "usb-probe: OUT: %s, %d bytes\n", libusb_error_name(out->status), out->actual_length);
		goto out;
	}
	if (in->status != LIBUSB_TRANSFER_COMPLETED || in->actual_length != PROBE_REPORT) {
		fprintf(stderr, "usb-probe: IN: status %d, %d bytes\n", in->status, in->actual_length);
		goto out;
	}
	if (inbuf[0] != req[0]) {
		fprintf(stderr, "usb-probe: answer echoes 0x%02x, not 0x%02x\n", inbuf[0], req[0]);
		goto out;
	}
	memcpy(resp, inbuf, PROBE_REPORT);
	ret = 0;
out:
	libusb_free_transfer(in);
	libusb_free_transfer(out);
	return ret;
}

static int probe_parse_hex(int argc, char **argv, uint8_t req[PROBE_REPORT])
{
	size_t n = 0;

	memset(req, 0, PROBE_REPORT);
	for (int i = 0; i < argc; i++) {
		for (const char *p = argv[i]; *p; p++) {
			char digit[3] = { 0 };

			if (*p == ' ' || *p == ':')
				continue;
			if (!p[1] || n >= PROBE_REPORT)
				return -1;
			digit[0] = p[0];
			digit[1] = p[1];
			if (!strchr("0123456789abcdefABCDEF", digit[0]) || !strchr("0123456789abcdefABCDEF", digit[1]))
				return -1;
			req[n++] = (uint8_t)strtoul(digit, NULL, 16);
			p++;
		}
	}
	return n ? 0 : -1;
}

static int probe_xchg(libusb_context *ctx, const char *serial, int argc, char **argv)
{
	uint8_t req[PROBE_REPORT], resp[PROBE_REPORT];
	struct probe_dev d;
	int ret;

	if (probe_parse_hex(argc, argv, req) < 0) {
		fprintf(stderr, "usb-probe: HEX must be pairs of hex digits, at most 64 bytes\n");
		return 2;
	}
	if (probe_open(ctx, serial, &d) < 0)
		return 1;
	ret = probe_exchange(ctx, d.h, req, resp);
	if (ret == 0)
		for (int i = 0; i < PROBE_REPORT; i++)
			printf("%02x%c", resp[i], i + 1 < PROBE_REPORT ? ' ' : '\n');
	probe_close(&d);
	return ret < 0 ? 1 : 0;
}

static int probe_bench(libusb_context *ctx, const char *serial, const char *count)
{
	uint8_t req[PROBE_REPORT] = { 0x10 }, resp[PROBE_REPORT];
	char *end;
	long n = strtol(count, &end, 10);
	struct probe_dev d;
	uint64_t t0, t1;
	long i;

	if (*end || n < 1 || n > 100000000) {
		fprintf(stderr, "usb-probe: N must be a positive number\n");
		return 2;
	}
	if (probe_open(ctx, serial, &d) < 0)
		return 1;
	t0 = mono_now_ns();
	for (i = 0; i < n; i++)
		if (probe_exchange(ctx, d.h, req, resp) < 0)
			break;
	t1 = mono_now_ns();
	probe_close(&d);
	if (i < n) {
		fprintf(stderr, "usb-probe: bench stopped after %ld exchanges\n", i);
		return 1;
	}
	printf("bench: %ld exchanges in %.3f s: %.0f exchanges/s\n", n, (double)(t1 - t0) / 1e9,
	       (double)n * 1e9 / (double)(t1 - t0));
	return 0;
}

static void probe_usage(FILE *f)
{
	fprintf(f, "usage: usb-probe list\n"
		   "       usb-probe xchg SERIAL HEX...\n"
		   "       usb-probe bench SERIAL N\n");
}

int main(int argc, char **argv)
{
	libusb_context *ctx;
	int r, ret;

	if (argc < 2) {
		probe_usage(stderr);
		return 2;
	}
	if ((r = libusb_init(&ctx)) < 0) {
		fprintf(stderr, "usb-probe: libusb_init: %s\n", libusb_error_name(r));
		return 1;
	}
	if (strcmp(argv[1], "list") == 0 && argc == 2) {
		ret = probe_list(ctx);
	} else if (strcmp(argv[1], "xchg") == 0 && argc >= 4) {
		ret = probe_xchg(ctx, argv[2], argc - 3, argv + 3);
	} else if (strcmp(argv[1], "bench") == 0 && argc == 4) {
		ret = probe_bench(ctx, argv[2], argv[3]);
	} else {
		probe_usage(stderr);
		ret = 2;
	}
	libusb_exit(ctx);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device layer: the chip as the worker thread sees it. It owns every exchange and every
 * piece of chip state: strict exchanges (echo checked, stale answers drained, 0xF8 retried a
 * bounded number of times), a cache of what only the host changes (live settings, the user
 * EEPROM), the NVRAM password, and the operations jobs are made of. Every function returns 0
 * (or a count) or the -errno a user sees: status bytes and malformed answers are mapped here,
 * once (a malformed answer is EIO). Only the worker thread calls these functions; nothing here
 * locks.
 *
 * One job per file: device.c strict exchanges and the cache; device_settings.c live chip and
 * SPI settings; device_gpio.c pins; device_spi.c transactions; device_eeprom.c the user
 * EEPROM; device_nvram.c power-up settings, USB identity, access control and the password;
 * device_status.c chip status and the GP6 event counter.
 */
#ifndef MCP2210FS_DEVICE_H
#define MCP2210FS_DEVICE_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/proto.h"
#include "transport.h"

struct worker_job;

/* Counted by the worker, read by anyone at any time: `stats` never waits behind a long job. */
struct device_stats {
	_Atomic uint64_t exchanges;
	_Atomic uint64_t retries;  /* 0xF8 answers retried */
	_Atomic uint64_t timeouts;
	_Atomic uint64_t errors;   /* exchanges that failed otherwise */
	_Atomic uint64_t drained;  /* stale IN reports thrown away */
	_Atomic uint64_t spi_bytes;
};

struct device {
	struct transport *transport;
	unsigned timeout_ms;   /* per exchange */
	unsigned busy_retries; /* 0xF8 answers accepted before EBUSY */
	bool use_cache;        /* false only for the benchmark's naive baseline (MOUNT_NAIVE) */

	/* What only the host changes, valid until an error or a reconnect. */
	bool chip_valid;
	struct mcp2210_chip_settings chip; /* gpio_value = latch, gpio_direction = directions */
	bool spi_valid;
	struct mcp2210_spi_settings spi;
	/* A failed transaction's cancel (0x11) failed too: the chip may still be in it, refusing
	 * SPI and chip settings (0xF8) until it gets one. Sent again before the next of those. */
	bool spi_cancel_pending;
	/* An exchange was abandoned (cancelled while its answer was late): drain before the next. */
	bool abandoned;
	/* Optional: while an SPI transaction waits for the chip to clock, until until_ns
	 * (CLOCK_MONOTONIC), other work may use the bus with commands that do not touch SPI, chip
	 * selects or pins (mount.c runs queued reads). */
	void (*idle)(void *ctx, uint64_t until_ns);
	void *idle_ctx;

	/* The user EEPROM byte by byte as last read or written (and read back): only the host
	 * writes it, so it is dropped only by device_invalidate() (power cycle, reconnect, the
	 * device found gone). */
	bool eeprom_valid[MCP2210_EEPROM_SIZE];
	uint8_t eeprom[MCP2210_EEPROM_SIZE];

	/* The NVRAM password: from -o password_file (device_set_password), or the one the chip
	 * accepted through device_nvram_unlock(). Memory only, wiped by device_forget_password(). */
	char password[MCP2210_PASSWORD_LEN];
	bool have_password;

	struct device_stats stats;
};

#define DEVICE_DEFAULT_TIMEOUT_MS 1000
#define DEVICE_DEFAULT_BUSY_RETRIES 50

/* ---- device.c: strict exchanges and the cache --------------------------------------------- */

/* timeout_ms per exchange, 0 for DEVICE_DEFAULT_TIMEOUT_MS. Every cache starts empty and no
 * password is known. */
void device_init(struct device *d, struct transport *t, unsigned timeout_ms);
/* Forget everything cached, the EEPROM included (after a power cycle, a reconnect). The
 * password stays: it is the user's, not the chip's. */
void device_invalidate(struct device *d);

/* One exchange with the echo byte checked: 0 (any status), or -ETIMEDOUT/-ENODEV/-EIO, or
 * -EINTR when the running job was cancelled while the answer was late (transport abort). */
int device_exchange(struct device *d, const mcp2210_report req, mcp2210_report resp);
/* One command to success: 0xF8 retried, other statuses as -errno (EBUSY, EACCES, EPERM, EIO;
 * doc/protocol.md, "Status byte"). */
int device_command(struct device *d, const mcp2210_report req, mcp2210_report resp);

/* Before serving anything from a cache: -ENODEV (every cache dropped) if the device went away. */
int device_check(struct device *d);

/* At start: a chip left mid-transfer by an earlier host answers 0xF8 until 0x11 (DS22288A
 * p. 56). 0 or -errno. */
int device_recover(struct device *d);

/* ---- device_settings.c: live chip and SPI settings (cached) ------------------------------- */

/* Live chip settings (0x20, DS22288A pp. 39-40), from the cache once read. 0 or -errno. */
int device_chip_settings(struct device *d, struct mcp2210_chip_settings *cs);
/* Live SPI transfer settings (0x41, p. 34), from the cache once read. 0 or -errno. */
int device_spi_settings(struct device *d, struct mcp2210_spi_settings *ss);
/* Apply live chip settings with 0x21 (pp. 41-44; remember: it rewrites GPIO values and
 * directions). -EINVAL for values the chip cannot hold; 0 or -errno. */
int device_set_chip_settings(struct device *d, const struct mcp2210_chip_settings *cs);
/* Apply live SPI settings with 0x40 (pp. 36-37). The cache takes the chip's echo, not the
 * request: a chip runs and answers a rounded bit rate (public report; the emulator's model is
 * emu_spi_bitrate()), which is what spi/bitrate then reads back and what paces transfers.
 * -EINVAL for values the chip cannot hold; 0 or -errno. */
int device_set_spi_settings(struct device *d, const struct mcp2210_spi_settings *ss);

/* Changes a copy of the chip and SPI settings in place (the file layer's text parser): 0, or
 * -errno (-EINVAL for text that does not parse), and then nothing is written. */
typedef int (*device_settings_edit_fn)(void *ctx, struct mcp2210_chip_settings *chip,
				       struct mcp2210_spi_settings *spi);
/* Read the live settings, edit them, and apply with 0x21 and 0x40 only the blocks that
 * changed. Nothing else runs on the chip in between. 0 or -errno. */
int device_edit_settings(struct device *d, device_settings_edit_fn edit, void *ctx);

/* ---- device_gpio.c: pins ------------------------------------------------------------------ */

/* Pin levels now, bit n = GPn (0x31, p. 48; never cached). 0 or -errno. */
int device_gpio_levels(struct device *d, uint16_t *levels);
/* Drive a GPIO output (0x30, p. 46; the latch from the cache): -EPERM unless the pin is a GPIO
 * output, -EINVAL for a pin above 8. 0 or -errno. */
int device_gpio_write(struct device *d, unsigned pin, bool level);
/* Make a GPIO pin an input, or an output at a level set before the switch (glitch-free; 0x30
 * then 0x32, p. 47). -EPERM for a pin that is not a GPIO, or an output on GP8 (input only);
 * -EINVAL for a pin above 8. 0 or -errno. */
int device_gpio_direction(struct device *d, unsigned pin, bool output, bool level);

/* ---- device_spi.c: transactions ------------------------------------------------------------ */

/* One SPI transaction of n bytes (1..65535) with the current chip selects, mode and rate
 * (0x42, pp. 54-55; 0x40 first only when n changed). Checks worker_job_cancelled(job) between
 * exchanges: on cancel, or any failure mid-transaction, the transfer is aborted with 0x11 so
 * the chip is ready for the next one. Returns n, or -errno (-EINTR when cancelled, -EFBIG for
 * n above 65535, -EINVAL for 0). job may be NULL. */
ssize_t device_spi_transfer(struct device *d, struct worker_job *job, const uint8_t *tx, uint8_t *rx, size_t n);

/* ---- device_eeprom.c: the user EEPROM (256 bytes) ------------------------------------------ */

/* len bytes from off, from the cache, each byte not cached read with 0x50 (p. 50). Returns
 * len; the bytes read before a failure; or -errno when the first failed (-ENODEV gone,
 * -ETIMEDOUT, -EIO; -EINVAL for off + len above 256). */
ssize_t device_eeprom_read(struct device *d, size_t off, uint8_t *buf, size_t len);
/* Write len bytes from off with 0x51 (p. 51), each read back with 0x50: the chip answers
 * success even when a cell did not take the value, and such a byte is -EIO (the cache then
 * holds what the chip read back). Returns len; the bytes written before a failure; or -errno
 * when the first failed (-EACCES NVRAM protection, -EIO a failed or wrong write, -EINVAL for
 * off + len above 256, ...). */
ssize_t device_eeprom_write(struct device *d, size_t off, const uint8_t *buf, size_t len);

/* ---- device_nvram.c: power-up settings, USB identity, access control, password ------------ */

/* Every NVRAM write below (0x60, pp. 11-22) is made only for a block that changes (each one
 * wears the flash), preceded by the password (0x70) when the chip is protected and one is
 * known, and read back (0x61): a block that reads back different is -EIO, never success.
 * A write the chip refuses (protected and no right password given; locked) is -EACCES. */

/* The power-up chip settings (0x61/0x20, p. 26; no password: the chip never returns it) and
 * SPI settings (0x61/0x10, p. 24). 0 or -errno. */
int device_nvram_settings(struct device *d, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi);
/* Read the power-up settings, edit them, write the blocks that changed, keeping access
 * control and its password as they are, and verify. 0 or -errno. */
int device_nvram_edit_settings(struct device *d, device_settings_edit_fn edit, void *ctx);

/* The USB identity in NVRAM (0x61/0x30, 0x40, 0x50; pp. 29-31), in effect at the next
 * enumeration. */
struct device_usb {
	struct mcp2210_usb_key key;
	struct mcp2210_usb_string manufacturer, product;
};

/* 0 or -errno. */
int device_nvram_usb(struct device *d, struct device_usb *u);
/* Changes a copy of the USB identity in place: 0, or -errno and then nothing is written. */
typedef int (*device_usb_edit_fn)(void *ctx, struct device_usb *u);
/* Read the USB identity, edit it, write the blocks that changed, verify. 0 or -errno. */
int device_nvram_edit_usb(struct device *d, device_usb_edit_fn edit, void *ctx);

/* The NVRAM access control byte (MCP2210_ACCESS_*), read from NVRAM (0x61/0x20) every time:
 * the protection NVRAM writes are checked against ("the one stored in the chip", DS22288A
 * p. 18), which a write to nvram/access changes at once. Not from the live chip settings
 * (0x20, cached): those are RAM "copied from NVRAM at power-up or Reset" (p. 11). 0 or -errno. */
int device_nvram_access(struct device *d, uint8_t *access);
/* Set access control (MCP2210_ACCESS_*) in the power-up chip settings, verified. Password
 * protection needs a known password, which becomes the chip's: -EPERM without one. 0 or
 * -errno. */
int device_nvram_set_access(struct device *d, uint8_t access);

/* Give the chip a password (0x70, pp. 32-33). The three refusals of figure 3-11 are told
 * apart: -EACCES a wrong one (tries 1 to 5 since power-up, counted in the log); -EPERM after 5
 * wrong ones (every password refused until power-up) or on a permanently locked chip. A
 * password a protected chip accepted is remembered for the NVRAM writes that follow (they must
 * carry it to keep it); on a chip that is not protected it is not. 0 or -errno. */
int device_nvram_unlock(struct device *d, const char password[MCP2210_PASSWORD_LEN]);
/* The password from -o password_file, before any job runs. */
void device_set_password(struct device *d, const char password[MCP2210_PASSWORD_LEN]);
/* Wipe the remembered password (explicit_bzero): at stop, it never outlives the mount. */
void device_forget_password(struct device *d);

/* ---- device_status.c: chip status and the GP6 event counter ------------------------------- */

/* Chip status (0x10, p. 59): bus owner, bus release request, password attempts. 0 or -errno. */
int device_chip_status(struct device *d, struct mcp2210_chip_status *st);
/* The GP6 event counter (0x12, p. 53; counts only while GP6 has its dedicated function), 0 to
 * 65535; reset to 0 after the read when reset is true. 0 or -errno. */
int device_event_count(struct device *d, bool reset, uint16_t *count);

#endif

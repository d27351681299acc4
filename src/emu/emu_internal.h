/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210's state, shared by the files that each handle one part of the chip.
 * Every function here expects the emulator's mutex to be held by its caller.
 */
#ifndef MCP2210FS_EMU_INTERNAL_H
#define MCP2210FS_EMU_INTERNAL_H

#include <pthread.h>

#include "emu/emu.h"

#define EMU_CS_LINES 8 /* GP0..GP7; GP8 has no chip-select role on current silicon */
#define EMU_SERIAL_MAX 31
#define EMU_DELAY_UNIT_NS 100000ull /* SPI delays count in 100 µs */

/* What the chip keeps across power cycles. */
struct emu_nvram {
	struct mcp2210_chip_settings chip; /* includes access control and password */
	struct mcp2210_spi_settings spi;
	struct mcp2210_usb_key usb_key;
	struct mcp2210_usb_string manufacturer;
	struct mcp2210_usb_string product;
	uint8_t eeprom[MCP2210_EEPROM_SIZE];
};

/* One SPI transaction as the 0x42 engine runs it (emu_spi.c). */
struct emu_spi_engine {
	bool active;      /* started and not yet fully handed back to the host */
	bool cs_asserted; /* chip selects at their active levels */
	bool orphaned;    /* the host vanished mid-transaction: 0xF8 until 0x11 */
	bool stalled;     /* fault injection: clocking stopped */
	uint32_t total;   /* N, "bytes per SPI transaction" when it started */
	uint32_t sent;    /* bytes accepted from the host */
	uint32_t delivered; /* received bytes handed back */
	/* The chunk being clocked: bytes [chunk_first, sent) start at chunk_start_ns. */
	uint32_t chunk_first;
	uint64_t chunk_start_ns;
	uint64_t byte_ns; /* 8 bit times */
	uint64_t gap_ns;  /* delay between bytes */
	uint64_t release_ns; /* CS goes idle (valid once sent == total) */
	uint8_t rx[MCP2210_SPI_TRANSACTION_MAX];
};

struct emu_fault_state {
	unsigned armed[EMU_FAULT_KIND_COUNT];
	bool disconnect_armed;
	bool hold_next_in; /* a late answer: the next IN finds nothing once */
};

struct emu {
	pthread_mutex_t lock; /* protects everything below, the peripherals included */
	struct emu_config cfg;
	char *state_file; /* the file a symlink chain ends at (emu_state_target) */
	int state_fd;     /* state_file, open and flock()ed for the emulator's life; -1 none */
	char serial[EMU_SERIAL_MAX + 1];
	uint64_t now_ns;
	bool plugged;

	struct emu_nvram nvram;

	/* Live state, loaded from NVRAM at power-up. */
	struct mcp2210_chip_settings live; /* functions and flags; gpio fields unused */
	uint16_t latch;     /* output latch of every pin */
	uint16_t direction; /* 1 = input */
	uint16_t external;  /* levels driven from outside */
	bool gp7_ack;       /* level on GP7 as bus release acknowledge: 0x80 or the hand-over */
	struct mcp2210_spi_settings spi;
	uint16_t gp6_count;
	uint8_t password_attempts;
	bool password_guessed;
	bool external_master; /* the bus is granted to another master (emu_bus.c) */
	bool bus_held; /* the bridge kept the bus after a transfer (spi_bus_hold) */

	struct emu_spi_engine engine;
	struct emu_periph *periph[EMU_CS_LINES];
	uint8_t selected; /* bit n: the peripheral on CSn is selected now */

	/* The chip's one 64-byte IN buffer (DS22288A p. 1: one 64-byte buffer each way): while
	 * its answer is unread the OUT endpoint NAKs, so the next OUT report waits in the host
	 * controller, which retries it; the chip takes it once the answer was read
	 * (doc/protocol.md, "Framing"). */
	bool answer_ready;
	mcp2210_report answer;
	bool out_waiting; /* an OUT the endpoint NAKed, taken when the answer is read */
	mcp2210_report waiting_out;

	struct emu_fault_state faults;
	struct emu_counters counters;

	/* The descriptors a host read at the last enumeration (emu_power_up()). */
	struct mcp2210_usb_key enumerated_key;
	struct mcp2210_usb_string enumerated_manufacturer, enumerated_product;
	/* emu_usb_listen(): told of unplugs and power-ups, under the lock */
	void (*listener)(void *arg, bool plugged);
	void *listener_arg;
};

/* emu_usb.c: take one armed fault of this kind (counted); false if none is armed. */
bool emu_fault_fire(struct emu *e, enum emu_fault kind);
/* emu_usb.c: the unread answer and a waiting OUT are gone (power-up, unplug, host gone). */
void emu_usb_flush(struct emu *e);

/* emu_core.c */
void emu_power_up(struct emu *e);
/* Tell the listener (emu_usb_listen()) that the cable was pulled or the chip powered up. */
void emu_usb_changed(struct emu *e);
/* Copy a serial number that emu_serial_valid() accepts; -EINVAL otherwise (nothing copied).
 * Touches no chip state, so needs no lock. */
int emu_serial_set(char serial[EMU_SERIAL_MAX + 1], const char *value);
/* Act on everything due by now (a transaction's CS release), hand the bus over, and move the
 * peripherals to the pin levels. */
void emu_sync(struct emu *e);
/* The part of emu_sync() that follows a command: the bus hand-over and the peripherals, not
 * the SPI engine's clock (a command takes no time). */
void emu_settle(struct emu *e);

/* emu_commands.c: one OUT report in, one answer out. */
void emu_handle_command(struct emu *e, const mcp2210_report req, mcp2210_report resp);

/* emu_gpio.c */
uint16_t emu_gpio_levels(const struct emu *e);
void emu_gpio_cs_update(struct emu *e, uint64_t at_ns);
void emu_gpio_input_changed(struct emu *e, unsigned pin, bool level);
void emu_gpio_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp);

/* emu_spi.c */
void emu_spi_reset(struct emu *e);
void emu_spi_sync(struct emu *e);
void emu_spi_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp);
void emu_spi_cancel(struct emu *e);
uint8_t emu_spi_bus_owner(const struct emu *e);
/* The rate the chip runs for a requested one (the model is at the definition). */
uint32_t emu_spi_bitrate(uint32_t requested);
/* Turn a structure as sent with 0x40 (live) or 0x60/0x10 (NVRAM) into what the chip keeps. */
void emu_spi_settings_take(struct mcp2210_spi_settings *ss, bool live);

/* emu_bus.c: the SPI bus hand-over (GP8 request, GP7 acknowledge, 0x80). */
bool emu_bus_request_pending(const struct emu *e);
/* Grant the bus to a requesting external master once the engine is idle, take it back
 * when the request ends. */
void emu_bus_sync(struct emu *e);
void emu_bus_release_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp);

/* emu_nvram.c: NVRAM, EEPROM and access control commands. */
void emu_nvram_factory(struct emu_nvram *nv);
void emu_nvram_cmd(struct emu *e, const mcp2210_report req, mcp2210_report resp);

/* emu_state.c: the file's content. emu_state_save: save the NVRAM, EEPROM and serial (0, or
 * -errno of the write: -ENOSPC, -EIO, ...). emu_state_start does what emu_new needs: open and
 * load the file, or make it for a new chip; with serial given, a file holding another chip's
 * serial fails with -EEXIST. -EINVAL for a damaged file and -EBUSY for one another emulator
 * holds, each logged with the reason. */
int emu_state_save(struct emu *e);
int emu_state_start(struct emu *e, const char *serial);

/* emu_state_file.c: the file. emu_state_target: the path a chain of symlinks from path ends
 * at (malloc'd; NULL with errno, ELOOP for a loop). emu_state_open: open and lock it; 0,
 * -ENOENT when there is none, -EBUSY when another process holds its lock. emu_state_replace:
 * write data to a new 0600 file in the same directory, lock it, and put it in place of the old
 * (atomically; the first time only if there is still none: else -EEXIST). */
char *emu_state_target(const char *path);
int emu_state_open(struct emu *e);
void emu_state_close(struct emu *e);
int emu_state_replace(struct emu *e, const char *data, size_t len);

#endif

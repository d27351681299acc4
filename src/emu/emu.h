/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210: the chip's whole command set as a state machine over 64-byte reports,
 * plus what the chip's surroundings do (pins driven from outside, SPI peripherals, an external
 * SPI master, USB frame timing, power cycles, faults). No FUSE, no libusb.
 *
 * Time is virtual (nanoseconds). It advances only through emu_exchange() (whole USB frames)
 * and emu_advance(), so tests are deterministic; a transport that wants real-time behaviour
 * sleeps until emu_now() itself. All functions are thread-safe (one mutex per emulator).
 */
#ifndef MCP2210FS_EMU_H
#define MCP2210FS_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "emu/periph.h"

struct emu;

struct emu_config {
	/* NVRAM and EEPROM are loaded from and saved to this file (NULL: kept in memory only).
	 * A missing file starts a factory-fresh chip and is created (mode 0600: it holds the
	 * password). A symlink is followed: its target is what is replaced at each save. The
	 * file is locked while the emulator lives: a second emulator on it fails with -EBUSY. */
	const char *state_file;
	/* USB serial number string (the chip's factory serial; not in NVRAM), as
	 * emu_serial_valid() accepts. A state file remembers the serial it was created with:
	 * serial names the chip, and a file holding another serial fails with -EEXIST;
	 * serial_default only applies to a new chip. Both NULL: "0000000000". */
	const char *serial;
	const char *serial_default;
	/* Length of a USB frame in ns: 1 000 000 for full speed. 0 switches the timing model off:
	 * exchanges take no time and SPI clocking is instantaneous. */
	uint64_t frame_ns;
};

#define EMU_DEFAULT_FRAME_NS 1000000ull

/* Creates a powered-up chip. 0 or -errno: -ENOMEM; -EINVAL for a bad serial or a bad state
 * file (which line and why is logged); -EEXIST and -EBUSY as above; or the errno of opening,
 * reading or creating the file. */
int emu_new(const struct emu_config *cfg, struct emu **out);
void emu_free(struct emu *e);
/* A serial the emulator can report and keep in its state file: 1 to 31 printable ASCII
 * characters (0x20..0x7e; no newline, as the file is line-based). */
bool emu_serial_valid(const char *serial);

/* ---- the USB side ----------------------------------------------------------------------- */

enum emu_order {
	EMU_IN_FIRST,  /* IN transfer already waiting when the OUT goes: answer in the same frame */
	EMU_OUT_FIRST, /* IN submitted after the OUT completed: one more frame */
};

/* One request/answer exchange. 0 with resp filled; -ETIMEDOUT when no answer came (fault
 * injection), -ENODEV while unplugged. Advances virtual time by the frames it costs. */
int emu_exchange(struct emu *e, const mcp2210_report req, mcp2210_report resp, enum emu_order order);

/* The OUT half of an exchange in the frame model of emu_exchange(), for a transport that sees
 * the IN separately (the USB harness): order says whether an IN transfer was already pending
 * when the OUT came. Counts the exchange and its frames like emu_exchange(); *answer_ns is the
 * virtual time at which an IN collects the answer (emu_in() hands it over). Returns as
 * emu_out(). */
int emu_out_framed(struct emu *e, const mcp2210_report req, enum emu_order order, uint64_t *answer_ns);

/* The two halves, for a transport that models them separately. The chip has one IN buffer
 * (DS22288A p. 1): while its answer is unread the OUT endpoint NAKs, and one further OUT
 * report waits (as in a host controller retrying it) until emu_in() took the answer; then the
 * chip processes it. emu_out() returns 0 (processed, or waiting), -EAGAIN when a report
 * already waits (this one is not accepted, nothing changed) or -ENODEV. emu_in() takes the
 * answer (0), -EAGAIN when there is none, or -ENODEV. Neither advances time. */
int emu_out(struct emu *e, const mcp2210_report req);
int emu_in(struct emu *e, mcp2210_report resp);

/* ---- the outside world ------------------------------------------------------------------ */

uint64_t emu_now(const struct emu *e);
/* The USB frame length the emulator was made with (0: timing model off). */
uint64_t emu_frame_ns(const struct emu *e);
/* Let time pass with no USB traffic (SPI clocking, flash busy, ...). */
void emu_advance(struct emu *e, uint64_t ns);
/* A host's clock says elapsed_ns passed since virtual time 0: let the chip catch up, idle time
 * rounded to the nearest whole frame (whole microseconds without frames). Never goes back.
 * Shared by every transport that follows the wall clock, so that all have one frame model. */
void emu_follow(struct emu *e, uint64_t elapsed_ns);

/* Level an external circuit drives on a pin (0/1); what the chip reads when the pin is an
 * input. Edges on GP6 count per the interrupt mode when GP6 has its dedicated function.
 * Until driven, a pin reads 0, except GP8 (the bus release request, pulled up) and the
 * chip-select line of an attached peripheral (pulled up, so an input pin leaves it idle). */
int emu_set_input(struct emu *e, unsigned pin, bool level);
/* Levels actually on the pins now, bit n = GPn (outputs, chip selects, dedicated outputs,
 * external levels of inputs). */
uint16_t emu_pin_levels(struct emu *e);

/* The level last driven from outside on a pin. */
bool emu_input_level(struct emu *e, unsigned pin);

/* Another SPI master on the bus asks for it (true: drives the bus release request GP8 low,
 * as emu_set_input(e, 8, 0)) or lets it go (false: GP8 high). It gets the bus only with GP8 in
 * its dedicated function, once the chip has finished or the host cancelled the transaction in
 * progress; it keeps it while the request stands, and 0x42 answers 0xF7 meanwhile. GP7, when
 * dedicated, acknowledges low. See emu_bus.c for the model and its sources. */
void emu_set_external_master(struct emu *e, bool wants_bus);
/* Whether the external master holds the bus now. */
bool emu_external_master(struct emu *e);

/* Attach a peripheral to chip-select line cs (0..7); the emulator owns it from then on, also
 * on error. 0, -EINVAL (bad line) or -EBUSY (line taken). It is selected while GPcs is low,
 * whatever drives it: the chip select with its idle/active masks (polarity as on a real
 * board), a GPIO output, a dedicated output, or the outside level of an input. */
int emu_attach(struct emu *e, unsigned cs, struct emu_periph *p);
/* Attach from a text spec "TYPE@CS[:TYPE@CS...]" (',' also separates), TYPE one of loopback,
 * flash, shiftreg. 0 or -EINVAL/-EBUSY/-ENOMEM; on error nothing from the spec is attached. */
int emu_attach_spec(struct emu *e, const char *spec);
struct emu_periph *emu_periph_at(struct emu *e, unsigned cs);
/* The peripheral's describe() line under the emulator's lock; 0 when the line is free. */
int emu_describe_periph(struct emu *e, unsigned cs, char *buf, size_t size);
/* Chip selects the default demo and tests use: flash on CS0, loopback on CS1, shiftreg on CS2. */
#define EMU_DEFAULT_PERIPHERALS "flash@0:loopback@1:shiftreg@2"

/* Remove and restore power: live settings reload from NVRAM, password attempts, GP6 counter
 * and SPI engine reset, NVRAM and EEPROM kept (and already saved in the state file). */
void emu_power_cycle(struct emu *e);
/* USB unplug: every exchange fails with -ENODEV, a transfer in progress is abandoned.
 * Replug powers the chip up again. */
void emu_unplug(struct emu *e);
void emu_replug(struct emu *e);
bool emu_plugged(struct emu *e);
/* The host went away without finishing (process killed, cable to another host): a transfer in
 * progress is left stuck, and the next host sees 0xF8 until it sends 0x11. */
void emu_host_vanished(struct emu *e);

/* One listener of the chip's comings and goings on the USB, for a transport: fn(arg, plugged)
 * runs whenever the cable is pulled (emu_unplug(), a disconnect fault: plugged is false) or
 * the chip powers up (emu_replug(), emu_power_cycle(): plugged tells whether it is on the bus),
 * in the thread that did it and under the emulator's lock: fn must not call the emulator.
 * fn NULL: nobody is told. */
void emu_usb_listen(struct emu *e, void (*fn)(void *arg, bool plugged), void *arg);

/* USB identity from NVRAM, as enumeration would show it. */
void emu_usb_identity(struct emu *e, struct mcp2210_usb_key *key, struct mcp2210_usb_string *manufacturer,
		      struct mcp2210_usb_string *product, char serial[32]);
/* The USB identity a host read at the chip's last enumeration (its creation, a replug, a power
 * cycle): NVRAM changes made since then show only at the next, as on the bus. */
void emu_usb_enumerated(struct emu *e, struct mcp2210_usb_key *key, struct mcp2210_usb_string *manufacturer,
			struct mcp2210_usb_string *product, char serial[32]);

/* ---- fault injection -------------------------------------------------------------------- */

enum emu_fault {
	EMU_FAULT_NO_ANSWER,  /* the request is lost: no answer, the exchange times out */
	EMU_FAULT_LATE_ANSWER, /* the answer misses this exchange and waits in the IN queue */
	EMU_FAULT_CORRUPT,     /* the answer's payload bytes are scrambled (echo intact) */
	EMU_FAULT_WRONG_ECHO,  /* the answer's echo byte is wrong */
	EMU_FAULT_BUSY,        /* the command is refused with 0xF8 */
	EMU_FAULT_SPI_STALL,   /* the next SPI chunk taken never finishes clocking, until 0x11 */
	EMU_FAULT_DISCONNECT,  /* unplug after count more OUT reports (0: before the next) */
	EMU_FAULT_EEPROM_WRITE, /* the next count EEPROM writes answer 0xFA and change nothing */
	EMU_FAULT_SILENT_WRITE, /* the next count EEPROM/NVRAM writes store a wrong value, answer OK */
	EMU_FAULT_KIND_COUNT,
};

/* Arm a fault for the next count exchanges (see each kind). Replaces an armed fault of the
 * same kind; count 0 disarms (except DISCONNECT). */
void emu_fault_arm(struct emu *e, enum emu_fault kind, unsigned count);
void emu_fault_clear(struct emu *e);

/* ---- counters --------------------------------------------------------------------------- */

struct emu_counters {
	uint64_t exchanges;       /* emu_exchange() calls that reached the chip */
	uint64_t frames;          /* USB frames those exchanges occupied */
	uint64_t commands;        /* OUT reports the chip processed */
	uint64_t per_command[256]; /* by command byte */
	uint64_t spi_bytes;       /* bytes clocked on SPI */
	uint64_t faults;          /* injected faults that fired */
};
void emu_counters_get(struct emu *e, struct emu_counters *c);
void emu_counters_reset(struct emu *e);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MCP2210 protocol codec: typed views of the chip's 64-byte reports.
 * Pure functions: no I/O, no allocation, no threads. Host side builds requests and parses
 * answers; device side (the emulator) parses requests and builds answers, so each layout is
 * written down exactly once. Byte offsets follow doc/protocol.md.
 */
#ifndef MCP2210FS_PROTO_H
#define MCP2210FS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCP2210_REPORT_SIZE 64
#define MCP2210_VID_FACTORY 0x04D8
#define MCP2210_PID_FACTORY 0x00DE
#define MCP2210_PIN_COUNT 9
#define MCP2210_USB_FRAME_NS 1000000ull /* full speed: interrupt endpoints polled once per 1 ms frame */
#define MCP2210_PIN_MASK 0x01FFu
#define MCP2210_EEPROM_SIZE 256
#define MCP2210_SPI_CHUNK_MAX 60           /* data bytes in one 0x42 report */
#define MCP2210_SPI_TRANSACTION_MAX 65535u /* "bytes per SPI transaction" is 16 bits */
#define MCP2210_BITRATE_MIN 1500u
#define MCP2210_BITRATE_MAX 12000000u
#define MCP2210_PASSWORD_LEN 8
#define MCP2210_PASSWORD_ATTEMPTS_MAX 5
/* A USB string in NVRAM: [4] length byte, [5] 0x03, then UTF-16LE up to byte 63, so at most
 * 29 code units fit. The sheet calls 28 safe and 29 unconfirmed; we accept 29 because the
 * report has room for it and the emulator stores it. */
#define MCP2210_STRING_MAX_UNITS 29

typedef uint8_t mcp2210_report[MCP2210_REPORT_SIZE];

enum mcp2210_cmd {
	MCP2210_CMD_GET_STATUS = 0x10,
	MCP2210_CMD_CANCEL_SPI = 0x11,
	MCP2210_CMD_GET_GP6_COUNT = 0x12,
	MCP2210_CMD_GET_CHIP_SETTINGS = 0x20,
	MCP2210_CMD_SET_CHIP_SETTINGS = 0x21,
	MCP2210_CMD_SET_GPIO_VALUES = 0x30,
	MCP2210_CMD_GET_GPIO_VALUES = 0x31,
	MCP2210_CMD_SET_GPIO_DIRECTIONS = 0x32,
	MCP2210_CMD_GET_GPIO_DIRECTIONS = 0x33,
	MCP2210_CMD_SET_SPI_SETTINGS = 0x40,
	MCP2210_CMD_GET_SPI_SETTINGS = 0x41,
	MCP2210_CMD_SPI_TRANSFER = 0x42,
	MCP2210_CMD_READ_EEPROM = 0x50,
	MCP2210_CMD_WRITE_EEPROM = 0x51,
	MCP2210_CMD_SET_NVRAM = 0x60,
	MCP2210_CMD_GET_NVRAM = 0x61,
	MCP2210_CMD_SEND_PASSWORD = 0x70,
	MCP2210_CMD_REQUEST_BUS_RELEASE = 0x80,
};

enum mcp2210_nvram_sub {
	MCP2210_NVRAM_SPI = 0x10,
	MCP2210_NVRAM_CHIP = 0x20,
	MCP2210_NVRAM_USB_KEY = 0x30,
	MCP2210_NVRAM_PRODUCT = 0x40,
	MCP2210_NVRAM_MANUFACTURER = 0x50,
};

enum mcp2210_status {
	MCP2210_STATUS_OK = 0x00,
	MCP2210_STATUS_BUS_NOT_AVAILABLE = 0xF7,
	MCP2210_STATUS_BUSY = 0xF8,
	MCP2210_STATUS_UNKNOWN_COMMAND = 0xF9,
	MCP2210_STATUS_EEPROM_WRITE_FAILED = 0xFA,
	MCP2210_STATUS_BLOCKED = 0xFB,
	MCP2210_STATUS_ACCESS_REJECTED = 0xFC,
	MCP2210_STATUS_WRONG_PASSWORD = 0xFD,
};

/* Engine status, byte 3 of a 0x42 answer. */
enum mcp2210_engine {
	MCP2210_ENGINE_FINISHED = 0x10, /* last received data included */
	MCP2210_ENGINE_STARTED = 0x20,  /* started, no data yet */
	MCP2210_ENGINE_PENDING = 0x30,  /* not finished, received data available */
};

enum mcp2210_pin_function {
	MCP2210_PIN_GPIO = 0x00,
	MCP2210_PIN_CS = 0x01,
	MCP2210_PIN_DEDICATED = 0x02,
};

enum mcp2210_irq_mode {
	MCP2210_IRQ_OFF = 0,
	MCP2210_IRQ_FALLING = 1,
	MCP2210_IRQ_RISING = 2,
	MCP2210_IRQ_LOW_PULSES = 3,
	MCP2210_IRQ_HIGH_PULSES = 4,
};

enum mcp2210_access {
	MCP2210_ACCESS_NONE = 0x00,
	MCP2210_ACCESS_PASSWORD = 0x40,
	MCP2210_ACCESS_LOCKED = 0x80,
};

enum mcp2210_bus_owner {
	MCP2210_BUS_OWNER_NONE = 0,
	MCP2210_BUS_OWNER_BRIDGE = 1,
	MCP2210_BUS_OWNER_EXTERNAL = 2,
};

/* Power option byte of the USB key parameters. */
#define MCP2210_POWER_BUS 0x80
#define MCP2210_POWER_SELF 0x40
#define MCP2210_POWER_REMOTE_WAKEUP 0x20

/* Chip settings: answer of 0x20 and 0x61/0x20, request of 0x21 and 0x60/0x20. */
struct mcp2210_chip_settings {
	uint8_t pin_function[MCP2210_PIN_COUNT]; /* enum mcp2210_pin_function, or any byte a chip holds */
	uint16_t gpio_value;                     /* bit n = GPn */
	uint16_t gpio_direction;                 /* bit n = GPn, 1 = input */
	bool remote_wakeup;
	uint8_t irq_mode;     /* enum mcp2210_irq_mode */
	bool spi_bus_hold;    /* byte 17 bit 0: do NOT release the bus between transfers */
	uint8_t access;       /* enum mcp2210_access */
	char password[MCP2210_PASSWORD_LEN]; /* only sent with 0x60/0x20, never returned */
};

/* SPI transfer settings: answer of 0x41 and 0x61/0x10, request of 0x40 and 0x60/0x10.
 * Delays are in the chip's units of 100 µs. The chip-select fields are 16 bits wide in the
 * report and carried as such both ways: a real chip's NVRAM dump keeps `ff ff` as written
 * (public report), while only bits 0..8 (CS0..CS8) have a pin. Mask with MCP2210_PIN_MASK
 * where a pin is meant. */
struct mcp2210_spi_settings {
	uint32_t bitrate; /* bit/s; a chip answers the rate it runs, see emu_spi_bitrate() */
	uint16_t cs_idle;
	uint16_t cs_active;
	uint16_t delay_cs_to_data;
	uint16_t delay_data_to_cs;
	uint16_t delay_between_bytes;
	uint16_t bytes_per_transaction;
	uint8_t mode;
};

/* Answer of 0x10 (get status) and 0x11 (cancel). */
struct mcp2210_chip_status {
	bool bus_release_pending;
	uint8_t bus_owner; /* enum mcp2210_bus_owner */
	uint8_t password_attempts;
	bool password_guessed;
};

/* NVRAM 0x30: USB key parameters. */
struct mcp2210_usb_key {
	uint16_t vid;
	uint16_t pid;
	uint8_t power;      /* MCP2210_POWER_* bits */
	uint8_t current_2ma; /* requested current in 2 mA units */
};

/* NVRAM 0x40/0x50: a USB string as UTF-16 code units. */
struct mcp2210_usb_string {
	uint8_t len; /* code units */
	uint16_t units[MCP2210_STRING_MAX_UNITS];
};

/* 0x42: one chunk of an SPI transaction, either direction. */
struct mcp2210_spi_chunk {
	uint8_t len;
	uint8_t engine; /* enum mcp2210_engine; answers only */
	uint8_t data[MCP2210_SPI_CHUNK_MAX];
};

/* ---- shared helpers ------------------------------------------------------------------- */

/* The command byte of a request or echo byte of an answer. */
static inline uint8_t proto_cmd(const mcp2210_report r) { return r[0]; }

/* Validate settings values before they are sent; 0 or -EINVAL. The SPI check accepts whatever
 * a chip may have answered (any 16-bit chip-select fields, a rounded bit rate below
 * MCP2210_BITRATE_MIN), so that settings read from a chip can always be written back; it
 * refuses a zero or too fast bit rate, zero bytes per transaction and a mode above 3. The
 * file interface holds what users write to MCP2210_BITRATE_MIN..MCP2210_BITRATE_MAX. */
int proto_chip_settings_check(const struct mcp2210_chip_settings *cs);
int proto_spi_settings_check(const struct mcp2210_spi_settings *ss);

/* Same values, field by field, as a chip would hold and answer them: what decides whether a
 * write is needed (an NVRAM write wears flash) and whether one read back as written. Struct
 * padding is never compared, nor a chip settings password (the chip never answers it), nor
 * string units past len. */
bool proto_chip_settings_equal(const struct mcp2210_chip_settings *a, const struct mcp2210_chip_settings *b);
bool proto_spi_settings_equal(const struct mcp2210_spi_settings *a, const struct mcp2210_spi_settings *b);
bool proto_usb_key_equal(const struct mcp2210_usb_key *a, const struct mcp2210_usb_key *b);
bool proto_usb_string_equal(const struct mcp2210_usb_string *a, const struct mcp2210_usb_string *b);

/* UTF-8 <-> USB string. From UTF-8: -EINVAL on malformed input or too long.
 * To UTF-8: bytes written excluding the NUL, or -ENOSPC / -EINVAL (lone surrogate). */
int proto_usb_string_from_utf8(struct mcp2210_usb_string *s, const char *utf8);
int proto_usb_string_to_utf8(const struct mcp2210_usb_string *s, char *buf, size_t size);

/* ---- host side: request encoders ------------------------------------------------------- */
/* Every encoder zeroes the whole report first ("unused request bytes are 0"). Those that take
 * values validate them and return 0 or -EINVAL, leaving the report unusable on error. */

void proto_encode_get_status(mcp2210_report req);
void proto_encode_cancel_spi(mcp2210_report req);
void proto_encode_get_gp6_count(mcp2210_report req, bool reset);
void proto_encode_get_chip_settings(mcp2210_report req);
int proto_encode_set_chip_settings(mcp2210_report req, const struct mcp2210_chip_settings *cs);
void proto_encode_set_gpio_values(mcp2210_report req, uint16_t values);
void proto_encode_get_gpio_values(mcp2210_report req);
void proto_encode_set_gpio_directions(mcp2210_report req, uint16_t inputs);
void proto_encode_get_gpio_directions(mcp2210_report req);
int proto_encode_set_spi_settings(mcp2210_report req, const struct mcp2210_spi_settings *ss);
void proto_encode_get_spi_settings(mcp2210_report req);
int proto_encode_spi_transfer(mcp2210_report req, const uint8_t *data, size_t len);
void proto_encode_read_eeprom(mcp2210_report req, uint8_t addr);
void proto_encode_write_eeprom(mcp2210_report req, uint8_t addr, uint8_t value);
int proto_encode_set_nvram_spi(mcp2210_report req, const struct mcp2210_spi_settings *ss);
int proto_encode_set_nvram_chip(mcp2210_report req, const struct mcp2210_chip_settings *cs);
int proto_encode_set_nvram_usb_key(mcp2210_report req, const struct mcp2210_usb_key *key);
/* sub is MCP2210_NVRAM_PRODUCT or MCP2210_NVRAM_MANUFACTURER */
int proto_encode_set_nvram_string(mcp2210_report req, uint8_t sub, const struct mcp2210_usb_string *s);
int proto_encode_get_nvram(mcp2210_report req, uint8_t sub);
void proto_encode_send_password(mcp2210_report req, const char password[MCP2210_PASSWORD_LEN]);
void proto_encode_request_bus_release(mcp2210_report req, bool gp7_ack_level);

/* ---- host side: answer decoders -------------------------------------------------------- */
/* Every decoder checks the echo byte and the status byte first. Returns 0, the status's
 * -errno from the status table, or -EPROTO for a malformed answer (wrong echo, a field out of
 * range, an impossible length). Outputs are written only on success. */

int proto_check_answer(const mcp2210_report resp, uint8_t cmd);
int proto_decode_get_status(const mcp2210_report resp, struct mcp2210_chip_status *st);
int proto_decode_cancel_spi(const mcp2210_report resp, struct mcp2210_chip_status *st);
int proto_decode_get_gp6_count(const mcp2210_report resp, uint16_t *count);
int proto_decode_get_chip_settings(const mcp2210_report resp, struct mcp2210_chip_settings *cs);
int proto_decode_set_chip_settings(const mcp2210_report resp);
int proto_decode_set_gpio_values(const mcp2210_report resp, uint16_t *levels);
int proto_decode_get_gpio_values(const mcp2210_report resp, uint16_t *levels);
int proto_decode_set_gpio_directions(const mcp2210_report resp);
int proto_decode_get_gpio_directions(const mcp2210_report resp, uint16_t *inputs);
int proto_decode_set_spi_settings(const mcp2210_report resp, struct mcp2210_spi_settings *ss);
int proto_decode_get_spi_settings(const mcp2210_report resp, struct mcp2210_spi_settings *ss);
int proto_decode_spi_transfer(const mcp2210_report resp, struct mcp2210_spi_chunk *rx);
int proto_decode_read_eeprom(const mcp2210_report resp, uint8_t addr, uint8_t *value);
int proto_decode_write_eeprom(const mcp2210_report resp);
int proto_decode_set_nvram(const mcp2210_report resp, uint8_t sub);
int proto_decode_get_nvram_spi(const mcp2210_report resp, struct mcp2210_spi_settings *ss);
int proto_decode_get_nvram_chip(const mcp2210_report resp, struct mcp2210_chip_settings *cs);
int proto_decode_get_nvram_usb_key(const mcp2210_report resp, struct mcp2210_usb_key *key);
int proto_decode_get_nvram_string(const mcp2210_report resp, uint8_t sub, struct mcp2210_usb_string *s);
int proto_decode_send_password(const mcp2210_report resp);
int proto_decode_request_bus_release(const mcp2210_report resp);

/* ---- device side (the emulator): request decoders --------------------------------------- */
/* 0 or -EINVAL for a request the chip could not have been meant to get (a field out of range,
 * an impossible length). The SPI settings parsers (0x40, 0x60/0x10) return the structure as
 * sent, every value included: the chip has no answer for a bad value (DS22288A p. 37 and
 * p. 16 list only success and 0xF8/0xFB), so what it makes of them is the emulator's call. */

int proto_parse_get_gp6_count(const mcp2210_report req, bool *reset);
int proto_parse_set_chip_settings(const mcp2210_report req, struct mcp2210_chip_settings *cs);
int proto_parse_set_gpio_values(const mcp2210_report req, uint16_t *values);
int proto_parse_set_gpio_directions(const mcp2210_report req, uint16_t *inputs);
int proto_parse_set_spi_settings(const mcp2210_report req, struct mcp2210_spi_settings *ss);
int proto_parse_spi_transfer(const mcp2210_report req, struct mcp2210_spi_chunk *tx);
int proto_parse_read_eeprom(const mcp2210_report req, uint8_t *addr);
int proto_parse_write_eeprom(const mcp2210_report req, uint8_t *addr, uint8_t *value);
/* 0x60 and 0x61: the sub-command byte. */
int proto_parse_nvram_sub(const mcp2210_report req, uint8_t *sub);
int proto_parse_set_nvram_spi(const mcp2210_report req, struct mcp2210_spi_settings *ss);
int proto_parse_set_nvram_chip(const mcp2210_report req, struct mcp2210_chip_settings *cs);
int proto_parse_set_nvram_usb_key(const mcp2210_report req, struct mcp2210_usb_key *key);
int proto_parse_set_nvram_string(const mcp2210_report req, struct mcp2210_usb_string *s);
int proto_parse_send_password(const mcp2210_report req, char password[MCP2210_PASSWORD_LEN]);
int proto_parse_request_bus_release(const mcp2210_report req, bool *gp7_ack_level);

/* ---- device side: answer encoders ------------------------------------------------------- */
/* Each zeroes the report, writes the echo byte and the status, then the payload. */

void proto_answer_status(mcp2210_report resp, uint8_t cmd, uint8_t status);
void proto_answer_chip_status(mcp2210_report resp, uint8_t cmd, const struct mcp2210_chip_status *st);
void proto_answer_gp6_count(mcp2210_report resp, uint16_t count);
void proto_answer_chip_settings(mcp2210_report resp, const struct mcp2210_chip_settings *cs);
/* 0x30, 0x31 and 0x33 answer a 16-bit pin register at [4..5]. */
void proto_answer_pins(mcp2210_report resp, uint8_t cmd, uint16_t pins);
/* 0x40 and 0x41 answer the SPI settings structure. */
void proto_answer_spi_settings(mcp2210_report resp, uint8_t cmd, const struct mcp2210_spi_settings *ss);
void proto_answer_spi_transfer(mcp2210_report resp, const struct mcp2210_spi_chunk *rx);
void proto_answer_read_eeprom(mcp2210_report resp, uint8_t addr, uint8_t value);
void proto_answer_set_nvram(mcp2210_report resp, uint8_t sub);
void proto_answer_set_nvram_status(mcp2210_report resp, uint8_t sub, uint8_t status);
void proto_answer_nvram_spi(mcp2210_report resp, const struct mcp2210_spi_settings *ss);
void proto_answer_nvram_chip(mcp2210_report resp, const struct mcp2210_chip_settings *cs);
void proto_answer_nvram_usb_key(mcp2210_report resp, const struct mcp2210_usb_key *key);
void proto_answer_nvram_string(mcp2210_report resp, uint8_t sub, const struct mcp2210_usb_string *s);

/* ---- status table (proto_status.c) ----------------------------------------------------------- */

/* -errno for a status byte: 0 for success, -EPROTO for a byte the chip never sends. */
int proto_status_errno(uint8_t status);
/* A short name for logs: "success", "bus not available", ... or "unknown status". */
const char *proto_status_name(uint8_t status);
/* The name of a command, for logs and statistics: "get chip status", ... or NULL. */
const char *proto_cmd_name(uint8_t cmd);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the MCP2210 codec, shared by proto_host.c (requests out, answers in) and
 * proto_device.c (requests in, answers out): little-endian access and the packing of the
 * structures that several commands carry, so that each structure is laid out in one place.
 */
#ifndef MCP2210FS_PROTO_INTERNAL_H
#define MCP2210FS_PROTO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/proto.h"

#define PROTO_OFF_STATUS 1       /* answers: status byte */
#define PROTO_OFF_SUB 1          /* 0x60/0x61 requests: NVRAM sub-command */
#define PROTO_OFF_SUB_ECHO 2     /* 0x60/0x61 answers: sub-command echo */
#define PROTO_SPI_STRUCT_SIZE 0x11 /* byte 2 of the 0x40/0x41 answers */
#define PROTO_STRING_TYPE 0x03   /* USB string descriptor type, byte 5 of 0x40/0x50 */
/* Power option byte bits with a meaning (the rest are "don't care" in answers, 0 in requests). */
#define PROTO_POWER_KNOWN_BITS (MCP2210_POWER_BUS | MCP2210_POWER_SELF | MCP2210_POWER_REMOTE_WAKEUP)
/* The chip reads its 9-bit pin registers back with bits 9..15 set. */
#define PROTO_PIN_READBACK_ONES 0xFE00u

static inline uint16_t proto_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t proto_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void proto_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void proto_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Zero the whole report ("unused bytes are 0") and write the command or echo byte. */
void proto_report_init(mcp2210_report r, uint8_t cmd);

/* One of the five NVRAM sub-commands / one of the two string sub-commands. */
bool proto_nvram_sub_valid(uint8_t sub);
bool proto_nvram_sub_is_string(uint8_t sub);

/* Power option byte of the USB key: exactly one of bus/self powered, no unknown bits.
 * 0 or -EINVAL. */
int proto_usb_key_check(const struct mcp2210_usb_key *key);

/* Which parts of the chip settings structure a report carries. */
enum proto_chip_layout {
	PROTO_CHIP_LIVE_REQUEST,  /* 0x21: bytes 4..17, byte 18 sent as 0 */
	PROTO_CHIP_NVRAM_REQUEST, /* 0x60/0x20: bytes 4..18, password 19..26 */
	PROTO_CHIP_ANSWER,        /* 0x20, 0x61/0x20: bytes 4..18, pins with bits 9..15 set */
};

/* Bytes 4..26 of a report; the rest is untouched. Values are not validated here. */
void proto_chip_settings_pack(mcp2210_report r, const struct mcp2210_chip_settings *cs,
			      enum proto_chip_layout layout);
/* Reads what the layout carries, masks pin fields with MCP2210_PIN_MASK and zeroes what it
 * does not carry. Validate the result with proto_chip_settings_check(). */
void proto_chip_settings_unpack(const mcp2210_report r, struct mcp2210_chip_settings *cs,
				enum proto_chip_layout layout);

/* Bytes 4..20 of a report; the rest is untouched. */
void proto_spi_settings_pack(mcp2210_report r, const struct mcp2210_spi_settings *ss);
/* All 16 bits of the chip-select fields, as in the report; validate the result afterwards. */
void proto_spi_settings_unpack(const mcp2210_report r, struct mcp2210_spi_settings *ss);
/* What an answer from a real chip must satisfy (looser than proto_spi_settings_check()). */
bool proto_spi_settings_plausible(const struct mcp2210_spi_settings *ss);

/* Bytes 4.. of a 0x60/0x61 string report. Packing clamps len to MCP2210_STRING_MAX_UNITS;
 * unpacking returns false for a bad length or type byte. */
void proto_usb_string_pack(mcp2210_report r, const struct mcp2210_usb_string *s);
bool proto_usb_string_unpack(const mcp2210_report r, struct mcp2210_usb_string *s);

#endif

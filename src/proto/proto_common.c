/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MCP2210 codec, the parts both sides share: value checks, the chip settings and SPI
 * settings structures, the NVRAM string layout, and UTF-8 <-> UTF-16 for USB strings.
 * Byte offsets follow doc/protocol.md ("Shared structures").
 */
#include <errno.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_internal.h"

/* Chip settings, byte 17. */
#define CHIP_B17_REMOTE_WAKEUP 0x10
#define CHIP_B17_IRQ_SHIFT 1
#define CHIP_B17_IRQ_MASK 0x07
#define CHIP_B17_BUS_HOLD 0x01

void proto_report_init(mcp2210_report r, uint8_t cmd)
{
	memset(r, 0, MCP2210_REPORT_SIZE);
	r[0] = cmd;
}

bool proto_nvram_sub_valid(uint8_t sub)
{
	switch (sub) {
	case MCP2210_NVRAM_SPI:
	case MCP2210_NVRAM_CHIP:
	case MCP2210_NVRAM_USB_KEY:
	case MCP2210_NVRAM_PRODUCT:
	case MCP2210_NVRAM_MANUFACTURER:
		return true;
	default:
		return false;
	}
}

bool proto_nvram_sub_is_string(uint8_t sub)
{
	return sub == MCP2210_NVRAM_PRODUCT || sub == MCP2210_NVRAM_MANUFACTURER;
}

static bool access_valid(uint8_t access)
{
	return access == MCP2210_ACCESS_NONE || access == MCP2210_ACCESS_PASSWORD ||
	       access == MCP2210_ACCESS_LOCKED;
}

/* Designation bytes are not checked: the datasheet names 0x00..0x02 (DS22288A p. 40), but a
 * chip holds whatever byte another tool sent it, and a host must be able to read it and write
 * it back unchanged (issue 11, item 10). */
int proto_chip_settings_check(const struct mcp2210_chip_settings *cs)
{
	if (cs->gpio_value & ~MCP2210_PIN_MASK || cs->gpio_direction & ~MCP2210_PIN_MASK)
		return -EINVAL;
	if (cs->irq_mode > MCP2210_IRQ_HIGH_PULSES)
		return -EINVAL;
	if (!access_valid(cs->access))
		return -EINVAL;
	return 0;
}

int proto_spi_settings_check(const struct mcp2210_spi_settings *ss)
{
	if (ss->bitrate == 0 || ss->bitrate > MCP2210_BITRATE_MAX)
		return -EINVAL;
	if (ss->bytes_per_transaction == 0)
		return -EINVAL;
	if (ss->mode > 3)
		return -EINVAL;
	return 0;
}

bool proto_chip_settings_equal(const struct mcp2210_chip_settings *a, const struct mcp2210_chip_settings *b)
{
	return memcmp(a->pin_function, b->pin_function, sizeof(a->pin_function)) == 0 &&
	       a->gpio_value == b->gpio_value && a->gpio_direction == b->gpio_direction &&
	       a->remote_wakeup == b->remote_wakeup && a->irq_mode == b->irq_mode &&
	       a->spi_bus_hold == b->spi_bus_hold && a->access == b->access;
}

bool proto_spi_settings_equal(const struct mcp2210_spi_settings *a, const struct mcp2210_spi_settings *b)
{
	return a->bitrate == b->bitrate && a->cs_idle == b->cs_idle && a->cs_active == b->cs_active &&
	       a->delay_cs_to_data == b->delay_cs_to_data && a->delay_data_to_cs == b->delay_data_to_cs &&
	       a->delay_between_bytes == b->delay_between_bytes &&
	       a->bytes_per_transaction == b->bytes_per_transaction && a->mode == b->mode;
}

bool proto_usb_key_equal(const struct mcp2210_usb_key *a, const struct mcp2210_usb_key *b)
{
	return a->vid == b->vid && a->pid == b->pid && a->power == b->power && a->current_2ma == b->current_2ma;
}

bool proto_usb_string_equal(const struct mcp2210_usb_string *a, const struct mcp2210_usb_string *b)
{
	return a->len == b->len && a->len <= MCP2210_STRING_MAX_UNITS &&
	       memcmp(a->units, b->units, a->len * sizeof(a->units[0])) == 0;
}

/* The chip caps rates above 12 Mbit/s and rounds the rest (public report: the 0x40 echo
 * differs from the request below about 10 kHz), so an answer is only required to be a usable
 * rate and a real mode. */
bool proto_spi_settings_plausible(const struct mcp2210_spi_settings *ss)
{
	return ss->bitrate != 0 && ss->mode <= 3;
}

int proto_usb_key_check(const struct mcp2210_usb_key *key)
{
	uint8_t supply = key->power & (MCP2210_POWER_BUS | MCP2210_POWER_SELF);

	if (key->power & ~PROTO_POWER_KNOWN_BITS)
		return -EINVAL;
	if (supply != MCP2210_POWER_BUS && supply != MCP2210_POWER_SELF)
		return -EINVAL;
	return 0;
}

/*
 * Chip settings structure:
 * @4, 9:   GP0..GP8 designation (enum mcp2210_pin_function; any byte is carried as is)
 * @13, 2:  default GPIO output values, bit n = GPn
 * @15, 2:  default GPIO directions, bit n = GPn, 1 = input
 * @17, 1:  bit4 remote wake-up, bits3..1 GP6 interrupt mode, bit0 SPI bus NOT released
 * @18, 1:  NVRAM access control (0x20/0x61 answers and the 0x60 request only)
 * @19, 8:  new password (0x60/0x20 request only, and only when access is 0x40)
 */
void proto_chip_settings_pack(mcp2210_report r, const struct mcp2210_chip_settings *cs,
			      enum proto_chip_layout layout)
{
	uint16_t ones = layout == PROTO_CHIP_ANSWER ? PROTO_PIN_READBACK_ONES : 0;

	for (size_t i = 0; i < MCP2210_PIN_COUNT; i++)
		r[4 + i] = cs->pin_function[i];
	proto_put_le16(&r[13], (uint16_t)(cs->gpio_value | ones));
	proto_put_le16(&r[15], (uint16_t)(cs->gpio_direction | ones));
	r[17] = (uint8_t)((cs->remote_wakeup ? CHIP_B17_REMOTE_WAKEUP : 0) |
			  (cs->irq_mode & CHIP_B17_IRQ_MASK) << CHIP_B17_IRQ_SHIFT |
			  (cs->spi_bus_hold ? CHIP_B17_BUS_HOLD : 0));
	/* Whether 0x21 honours byte 18 is UNCONFIRMED: we never send it live, see
	 * proto_encode_set_chip_settings(). */
	if (layout != PROTO_CHIP_LIVE_REQUEST)
		r[18] = cs->access;
	if (layout == PROTO_CHIP_NVRAM_REQUEST && cs->access == MCP2210_ACCESS_PASSWORD)
		memcpy(&r[19], cs->password, MCP2210_PASSWORD_LEN);
}

void proto_chip_settings_unpack(const mcp2210_report r, struct mcp2210_chip_settings *cs,
				enum proto_chip_layout layout)
{
	memset(cs, 0, sizeof(*cs));
	for (size_t i = 0; i < MCP2210_PIN_COUNT; i++)
		cs->pin_function[i] = r[4 + i];
	cs->gpio_value = proto_get_le16(&r[13]) & MCP2210_PIN_MASK;
	cs->gpio_direction = proto_get_le16(&r[15]) & MCP2210_PIN_MASK;
	cs->remote_wakeup = r[17] & CHIP_B17_REMOTE_WAKEUP;
	cs->irq_mode = (r[17] >> CHIP_B17_IRQ_SHIFT) & CHIP_B17_IRQ_MASK;
	cs->spi_bus_hold = r[17] & CHIP_B17_BUS_HOLD;
	if (layout != PROTO_CHIP_LIVE_REQUEST)
		cs->access = r[18];
	if (layout == PROTO_CHIP_NVRAM_REQUEST && cs->access == MCP2210_ACCESS_PASSWORD)
		memcpy(cs->password, &r[19], MCP2210_PASSWORD_LEN);
}

/*
 * SPI transfer settings structure:
 * @4, 4:   bit rate, bits per second
 * @8, 2:   idle chip-select values, bit n = CSn (bits 9..15 kept as written, no pin)
 * @10, 2:  active chip-select values (likewise)
 * @12, 2:  CS asserted -> first data byte delay, 100 us units
 * @14, 2:  last data byte -> CS released delay, 100 us units
 * @16, 2:  delay between data bytes, 100 us units
 * @18, 2:  bytes per SPI transaction
 * @20, 1:  SPI mode 0..3
 */
void proto_spi_settings_pack(mcp2210_report r, const struct mcp2210_spi_settings *ss)
{
	proto_put_le32(&r[4], ss->bitrate);
	proto_put_le16(&r[8], ss->cs_idle);
	proto_put_le16(&r[10], ss->cs_active);
	proto_put_le16(&r[12], ss->delay_cs_to_data);
	proto_put_le16(&r[14], ss->delay_data_to_cs);
	proto_put_le16(&r[16], ss->delay_between_bytes);
	proto_put_le16(&r[18], ss->bytes_per_transaction);
	r[20] = ss->mode;
}

void proto_spi_settings_unpack(const mcp2210_report r, struct mcp2210_spi_settings *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->bitrate = proto_get_le32(&r[4]);
	ss->cs_idle = proto_get_le16(&r[8]);
	ss->cs_active = proto_get_le16(&r[10]);
	ss->delay_cs_to_data = proto_get_le16(&r[12]);
	ss->delay_data_to_cs = proto_get_le16(&r[14]);
	ss->delay_between_bytes = proto_get_le16(&r[16]);
	ss->bytes_per_transaction = proto_get_le16(&r[18]);
	ss->mode = r[20];
}

/*
 * NVRAM string (0x60 and 0x61, sub 0x40/0x50), a USB string descriptor:
 * @4, 1:      bLength = 2 * len + 2
 * @5, 1:      bDescriptorType = 0x03
 * @6, 2*len:  UTF-16LE code units; len <= 29 ends at byte 63
 */
void proto_usb_string_pack(mcp2210_report r, const struct mcp2210_usb_string *s)
{
	size_t len = s->len;

	if (len > MCP2210_STRING_MAX_UNITS)
		len = MCP2210_STRING_MAX_UNITS;
	r[4] = (uint8_t)(2 * len + 2);
	r[5] = PROTO_STRING_TYPE;
	for (size_t i = 0; i < len; i++)
		proto_put_le16(&r[6 + 2 * i], s->units[i]);
}

bool proto_usb_string_unpack(const mcp2210_report r, struct mcp2210_usb_string *s)
{
	uint8_t blen = r[4];

	if (blen < 2 || blen % 2 != 0 || blen > 2 * MCP2210_STRING_MAX_UNITS + 2)
		return false;
	if (r[5] != PROTO_STRING_TYPE)
		return false;
	memset(s, 0, sizeof(*s));
	s->len = (uint8_t)((blen - 2) / 2);
	for (size_t i = 0; i < s->len; i++)
		s->units[i] = proto_get_le16(&r[6 + 2 * i]);
	return true;
}

/* ---- UTF-8 <-> UTF-16 ------------------------------------------------------------------ */

#define CP_MAX 0x10FFFFu
#define SURROGATE_HIGH 0xD800u
#define SURROGATE_LOW 0xDC00u
#define SURROGATE_END 0xDFFFu

static bool is_high_surrogate(uint32_t u)
{
	return u >= SURROGATE_HIGH && u < SURROGATE_LOW;
}

static bool is_low_surrogate(uint32_t u)
{
	return u >= SURROGATE_LOW && u <= SURROGATE_END;
}

/* Decode one code point (RFC 3629 strictly: no overlong forms, no surrogates, nothing above
 * U+10FFFF). Continuation bytes are checked one at a time, so a NUL ends the scan. */
static int utf8_next(const unsigned char **pp, uint32_t *cp)
{
	const unsigned char *p = *pp;
	uint32_t c = p[0];
	uint32_t min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		*pp = p + 1;
		return 0;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 1;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 2;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		return -EINVAL;
	}
	for (size_t i = 1; i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return -EINVAL;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min || c > CP_MAX || (c >= SURROGATE_HIGH && c <= SURROGATE_END))
		return -EINVAL;
	*cp = c;
	*pp = p + 1 + n;
	return 0;
}

int proto_usb_string_from_utf8(struct mcp2210_usb_string *s, const char *utf8)
{
	struct mcp2210_usb_string out = { 0 };
	const unsigned char *p = (const unsigned char *)utf8;

	if (!utf8)
		return -EINVAL;
	while (*p) {
		uint32_t cp;
		size_t units;
		int ret = utf8_next(&p, &cp);

		if (ret < 0)
			return ret;
		units = cp >= 0x10000 ? 2 : 1;
		if (out.len + units > MCP2210_STRING_MAX_UNITS)
			return -EINVAL;
		if (units == 2) {
			cp -= 0x10000;
			out.units[out.len++] = (uint16_t)(SURROGATE_HIGH + (cp >> 10));
			out.units[out.len++] = (uint16_t)(SURROGATE_LOW + (cp & 0x3FF));
		} else {
			out.units[out.len++] = (uint16_t)cp;
		}
	}
	*s = out;
	return 0;
}

/* The code point starting at units[*i]; advances *i past it. A lone surrogate is -EINVAL,
 * and so is U+0000, which a C string cannot carry. */
static int utf16_next(const struct mcp2210_usb_string *s, size_t *i, uint32_t *cp)
{
	uint32_t u = s->units[*i];

	if (is_high_surrogate(u)) {
		if (*i + 1 >= s->len || !is_low_surrogate(s->units[*i + 1]))
			return -EINVAL;
		*cp = 0x10000 + ((u - SURROGATE_HIGH) << 10) + (s->units[*i + 1] - SURROGATE_LOW);
		*i += 2;
		return 0;
	}
	if (is_low_surrogate(u) || u == 0)
		return -EINVAL;
	*cp = u;
	*i += 1;
	return 0;
}

static size_t utf8_len(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static void utf8_put(char *out, uint32_t cp, size_t n)
{
	static const uint8_t lead[5] = { 0, 0x00, 0xC0, 0xE0, 0xF0 };

	for (size_t k = n - 1; k > 0; k--) {
		out[k] = (char)(0x80 | (cp & 0x3F));
		cp >>= 6;
	}
	out[0] = (char)(lead[n] | cp);
}

int proto_usb_string_to_utf8(const struct mcp2210_usb_string *s, char *buf, size_t size)
{
	size_t need = 0;
	size_t pos = 0;
	uint32_t cp;

	if (s->len > MCP2210_STRING_MAX_UNITS)
		return -EINVAL;
	/* Validate and measure first, so that buf is untouched on error. */
	for (size_t i = 0; i < s->len;) {
		int ret = utf16_next(s, &i, &cp);

		if (ret < 0)
			return ret;
		need += utf8_len(cp);
	}
	if (need + 1 > size)
		return -ENOSPC;
	for (size_t i = 0; i < s->len;) {
		size_t n;

		(void)utf16_next(s, &i, &cp);
		n = utf8_len(cp);
		utf8_put(&buf[pos], cp, n);
		pos += n;
	}
	buf[pos] = '\0';
	return (int)pos;
}

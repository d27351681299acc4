#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the seed corpora in fuzz/corpus/{decoders,text,emu}/ from doc/protocol.md and the
# datasheet pages it cites: valid answers and requests of every command, settings
# text, and emulator sessions. Seeds named regress-* (inputs that once failed) are kept.
# Usage: fuzz/make-seeds.sh
# Hex byte lists are split into words on purpose.
# shellcheck disable=SC2086,SC2046
set -eu
cd "$(dirname "$0")"

# bytes HEX...: the bytes given in hex
bytes() {
	for b in "$@"; do
		# shellcheck disable=SC2059 # the format is the octal escape being built
		printf "\\$(printf %03o "0x$b")"
	done
}
# report HEX...: a 64-byte report, zero padded
report() { { bytes "$@"; head -c 64 /dev/zero; } | head -c 64; }
# utf16 ASCII: the string's UTF-16LE code units in hex
utf16() { printf %s "$1" | od -An -tx1 -v | tr -s ' \n' '  ' | sed 's/ \([0-9a-f][0-9a-f]\)/ \1 00/g'; }
# string_len ASCII: bLength = 2 * len + 2, in hex
string_len() { printf %02x $((2 * ${#1} + 2)); }

for d in decoders text emu; do
	mkdir -p "corpus/$d"
	find "corpus/$d" -type f ! -name 'regress-*' -exec rm -f {} +
done

# ---- decoders: one 64-byte report per file (answers, then requests), plus UTF-8 text -------
D=corpus/decoders
# SPI settings structures [4..20]
SPI_FACTORY="40 42 0f 00 ff 01 00 00 00 00 00 00 00 00 04 00 00"
SPI_FAST="00 1b b7 00 fe 00 01 01 01 00 02 00 ff ff 10 00 03"
# chip settings [4..18] as answers show them (pin registers with bits 9..15 set)
CHIP_FACTORY="00 00 00 00 00 00 00 00 00 00 fe ff ff 00 00"
CHIP_MIXED="01 01 02 01 00 02 02 02 02 a5 fe 0e ff 17 40"
PRODUCT="MCP2210 USB to SPI Master"
MAKER="Microchip Technology Inc."

report 10 00 01 00 00 00 >$D/ans-10-status
report 10 00 00 01 03 01 >$D/ans-10-status-pending
report 11 00 01 02 05 00 >$D/ans-11-cancel
report 12 00 00 00 34 12 >$D/ans-12-gp6-count
report 20 00 00 00 $CHIP_FACTORY >$D/ans-20-chip-factory
report 20 00 00 00 $CHIP_MIXED >$D/ans-20-chip-mixed
report 21 00 >$D/ans-21
report 30 00 00 00 a5 fe >$D/ans-30-levels
report 31 00 00 00 ff ff >$D/ans-31-levels
report 32 00 >$D/ans-32
report 33 00 00 00 0e ff >$D/ans-33-directions
report 40 00 11 00 $SPI_FACTORY >$D/ans-40-spi-echo
report 41 00 11 00 $SPI_FAST >$D/ans-41-spi
report 40 f8 >$D/ans-40-busy
report 42 00 00 20 >$D/ans-42-started
report 42 00 04 30 de ad be ef >$D/ans-42-pending
report 42 00 3c 10 $(seq 1 60 | xargs printf '%02x ') >$D/ans-42-finished-60
report 42 f7 >$D/ans-42-bus-not-available
report 42 f8 >$D/ans-42-busy
report 50 00 05 ab >$D/ans-50-eeprom
report 51 00 >$D/ans-51
report 51 fa >$D/ans-51-write-failed
report 51 fb >$D/ans-51-blocked
report 60 00 10 >$D/ans-60-10
report 60 00 20 >$D/ans-60-20
report 60 00 30 >$D/ans-60-30
report 60 00 40 >$D/ans-60-40
report 60 fb 50 >$D/ans-60-blocked
report 61 00 10 00 $SPI_FACTORY >$D/ans-61-10-spi
report 61 00 20 00 $CHIP_MIXED >$D/ans-61-20-chip
report 61 00 30 00 00 00 00 00 00 00 00 00 d8 04 de 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 32 \
	>$D/ans-61-30-usb-key
report 61 00 40 00 "$(string_len "$PRODUCT")" 03 $(utf16 "$PRODUCT") >$D/ans-61-40-product
report 61 00 50 00 "$(string_len "$MAKER")" 03 $(utf16 "$MAKER") >$D/ans-61-50-manufacturer
# 29 units: "Grüße €" then U+1D11E (a surrogate pair), then ASCII to fill
report 61 00 40 00 3c 03 47 00 72 00 fc 00 df 00 65 00 20 00 ac 20 34 d8 1e dd $(utf16 "abcdefghijklmnopqrst") \
	>$D/ans-61-40-product-29-units
report 61 00 50 00 02 03 >$D/ans-61-50-empty
report 61 f9 >$D/ans-61-unknown
report 70 00 >$D/ans-70
report 70 fd >$D/ans-70-wrong
report 70 fc >$D/ans-70-rejected
report 70 fb >$D/ans-70-blocked
report 80 00 >$D/ans-80
report 80 f8 >$D/ans-80-busy
report 99 f9 >$D/ans-unknown-command
# requests, for the device-side parsers
report 12 00 >$D/req-12-reset
report 21 00 00 00 01 01 02 01 00 02 02 02 02 a5 00 0e 01 17 >$D/req-21
report 30 00 00 00 a5 01 >$D/req-30
report 32 00 00 00 0e 01 >$D/req-32
report 40 00 00 00 $SPI_FAST >$D/req-40
report 42 04 00 00 9f 00 00 00 >$D/req-42
report 50 7f >$D/req-50
report 51 7f 5a >$D/req-51
report 60 10 00 00 $SPI_FACTORY >$D/req-60-10
report 60 20 00 00 00 00 00 00 00 00 00 00 00 00 00 ff 01 00 40 73 65 63 72 65 74 21 00 >$D/req-60-20-password
report 60 30 00 00 d8 04 de 00 a0 fa >$D/req-60-30
report 60 40 00 00 "$(string_len "$PRODUCT")" 03 $(utf16 "$PRODUCT") >$D/req-60-40
report 61 30 >$D/req-61-30
report 70 00 00 00 73 65 63 72 65 74 21 00 >$D/req-70
report 80 01 >$D/req-80
# UTF-8 for the string converters (the whole input is also read as a C string)
printf '%s' "$MAKER" >$D/utf8-ascii
printf 'Gr\303\274\303\237e \342\202\254 \360\235\204\236' >$D/utf8-mixed
printf '\355\240\200\355\260\200' >$D/utf8-cesu-surrogates
printf '\300\257\340\200\257' >$D/utf8-overlong
{ report 61 00 40 00 04 03 41 00; printf 'tail \364\217\277\277'; } >$D/report-and-utf8

# ---- text: attribute values ----------------------------------------------------------------
T=corpus/text
cat >$T/settings-factory <<'EOF'
gp0_function=gpio
gp1_function=gpio
gp2_function=gpio
gp3_function=gpio
gp4_function=gpio
gp5_function=gpio
gp6_function=gpio
gp7_function=gpio
gp8_function=gpio
gpio_value=0x000
gpio_direction=0x1ff
remote_wakeup=0
interrupt_mode=off
spi_bus_hold=0
spi_bitrate=1000000
spi_mode=0
spi_cs_idle=0x1ff
spi_cs_active=0x000
spi_delay_cs_to_data_us=0
spi_delay_data_to_cs_us=0
spi_delay_between_bytes_us=0
EOF
cat >$T/settings-dedicated <<'EOF'
gp0_function=cs
gp1_function=cs
gp2_function=suspend
gp3_function=spi_led
gp4_function=low_power
gp5_function=usb_cfg
gp6_function=interrupt
gp7_function=bus_release_ack
gp8_function=bus_release_request
interrupt_mode=high_pulses
remote_wakeup=1
spi_bus_hold=1
EOF
printf 'spi_bitrate=12000000\nspi_mode=3\nspi_cs_idle=0x1fe\nspi_cs_active=510\n' >$T/settings-spi
printf 'spi_delay_cs_to_data_us=150\nspi_delay_data_to_cs_us=6553500\nspi_delay_between_bytes_us=1\n' >$T/settings-delays
printf 'interrupt_mode=falling\n\n\ngpio_value=0X1A5\n' >$T/settings-blank-lines
printf 'gp6_function=interrupt\ninterrupt_mode=rising' >$T/settings-no-newline
printf 'interrupt_mode=low_pulses\ngpio_direction=0\n' >$T/settings-irq
printf 'spi_mode=1\nspi_mode=2\n' >$T/settings-repeated-key
printf 'gp8_function=cs\n' >$T/settings-gp8-cs
printf 'spi_bitrate=1499\n' >$T/settings-bitrate-low
printf 'spi_bitrate= 1500\n' >$T/settings-blank-value
printf 'unknown_key=1\n' >$T/settings-unknown-key
printf 'gpio_value\n' >$T/settings-no-equals
printf '1\n' >$T/value-one
printf '0x1ff\n' >$T/value-hex
printf '0X1FF' >$T/value-hex-upper
printf '12000000' >$T/value-bitrate
printf '6553500\n' >$T/value-delay-max
printf '6553501\n' >$T/value-delay-over
printf '18446744073709551615' >$T/value-ulong-max
printf '18446744073709551616' >$T/value-ulong-overflow
printf '0x' >$T/value-bare-0x
printf '%s' '-1' >$T/value-negative
printf '+1' >$T/value-plus
printf '007' >$T/value-leading-zeros
printf 'cs\n' >$T/value-cs
printf 'bus_release_ack' >$T/value-dedicated
printf 'high_pulses\n' >$T/value-irq
printf 'two\nlines\n' >$T/value-two-lines
printf 'nul\000inside' >$T/value-nul
printf '\n' >$T/value-only-newline

# ---- emu: byte 0 = timing model, then records [control][argument][64-byte request] ----------
E=corpus/emu
# rec CONTROL ARGUMENT HEX...: control = action << 1 | order (1: OUT first)
rec() {
	c=$1
	a=$2
	shift 2
	bytes "$c" "$a"
	report "$@"
}
x() { rec 00 00 "$@"; }           # plain exchange, IN first
advance() { rec 10 "$1" 10; }     # emu_advance(arg^3 us), then get status
pin() { rec 12 "$1" 31; }         # emu_set_input(arg & 15, arg & 16), then get GPIO values
fault() { rec 14 "$1" "$2"; }     # arm fault kind | count << 4, then exchange
power_cycle() { rec 16 00 "$@"; }
external() { rec 18 "$1" 42 04 00 00 01 02 03 04; }
vanish() { rec 1a 00 "$@"; }
unplug() { rec 1c 01 10; }
replug() { rec 1c 00 10; }
clear() { rec 1e 00 10; }
out_only() { rec 0c 00 "$@"; }
in_only() { rec 0e 00 10; }
# SPI settings request with cs_active ACT (low byte) and N bytes per transaction
spi() { x 40 00 00 00 40 42 0f 00 ff 01 "$1" 01 00 00 00 00 00 00 "$2" 00 "${3:-00}"; }
# chip settings with GP0..GP2 as chip selects, the rest GPIO inputs
cs_pins() { x 21 00 00 00 01 01 01 00 00 00 00 00 00 00 00 f8 01 00; }
xfer4() { x 42 04 00 00 "$@"; }
poll() { x 42 00; }

{ bytes 00; x 10; } >$E/status
{ bytes 00; x 10; x 20; x 31; x 33; x 41; x 12 ff; x 61 10; x 61 20; x 61 30; x 61 40; x 61 50; x 50 00; } \
	>$E/read-everything
{ bytes 00; rec 01 00 10; rec 01 00 20; rec 01 00 41; } >$E/out-first
{ bytes 00; cs_pins; spi fd 04; xfer4 de ad be ef; poll; poll; } >$E/loopback-cs1
{ bytes 00; cs_pins; spi fe 04; xfer4 9f 00 00 00; poll; poll; } >$E/flash-jedec-id
{ bytes 00; cs_pins; spi fe 01; x 42 01 00 00 06; poll; spi fe 08; x 42 08 00 00 02 00 01 00 11 22 33 44; poll;
	spi fe 02; x 42 02 00 00 05 00; poll; advance 09; x 42 02 00 00 05 00; poll;
	spi fe 08; x 42 08 00 00 03 00 01 00 00 00 00 00; poll; } >$E/flash-program-read
{ bytes 00; cs_pins; spi fe 01; x 42 01 00 00 06; poll; x 42 01 00 00 c7; poll; x 42 01 00 00 05; poll;
	advance ff; x 42 01 00 00 05; poll; } >$E/flash-chip-erase
{ bytes 00; cs_pins; spi fe 01; x 42 01 00 00 06; poll; spi fe 06; x 42 06 00 00 02 01 23 45 00 00; poll;
	advance 09; spi fe 01; x 42 01 00 00 06; poll; spi fe 04; x 42 04 00 00 20 01 23 45; poll; advance 40;
	x 42 04 00 00 20 01 23 45; poll; spi fe 01; x 42 01 00 00 06; poll; x 42 01 00 00 60; poll; } \
	>$E/flash-erase-programmed
{ bytes 00; cs_pins; spi fb 02; x 42 02 00 00 a5 5a; poll; x 31; } >$E/shiftreg-cs2
{ bytes 00; cs_pins; spi fd 78 00; x 42 3c 00 00 $(seq 1 60 | xargs printf '%02x '); \
	x 42 3c 00 00 $(seq 61 120 | xargs printf '%02x '); poll; poll; poll; } >$E/loopback-120-bytes
{ bytes 00; x 51 10 42; x 50 10; x 51 ff 00; x 50 ff; } >$E/eeprom
{ bytes 00; x 60 20 00 00 00 00 00 00 00 00 00 00 00 00 00 ff 01 00 40 73 65 63 72 65 74 21 00;
	power_cycle 10; x 51 00 01; x 70 00 00 00 77 72 6f 6e 67 00 00 00; x 70 00 00 00 77 72 6f 6e 67 00 00 00;
	x 70 00 00 00 73 65 63 72 65 74 21 00; x 51 00 01; x 61 20; } >$E/password
{ bytes 00; x 60 20 00 00 00 00 00 00 00 00 00 00 00 00 00 ff 01 00 40 73 65 63 72 65 74 21 00; power_cycle 10;
	for _ in 1 2 3 4 5 6; do x 70 00 00 00 78 00 00 00 00 00 00 00; done; x 10; } >$E/password-lockout
{ bytes 00; x 60 20 00 00 00 00 00 00 00 00 00 00 00 00 00 ff 01 00 80; x 60 10 00 00 40 42 0f 00; x 51 00 00;
	power_cycle 20; x 70 00 00 00 73 65 63 72 65 74 21 00; x 60 30 00 00 d8 04 de 00 80 32; } >$E/locked
{ bytes 00; cs_pins; spi fd 08; xfer4 01 02 03 04; x 60 10 00 00 40 42 0f 00 ff 01 00 00 00 00 00 00 00 00 04;
	x 40 00 00 00 40 42 0f 00 ff 01 fd 01 00 00 00 00 00 00 04; x 80 00; x 11; } >$E/busy-during-transfer
{ bytes 00; x 60 40 00 00 "$(string_len "Fuzzed product")" 03 $(utf16 "Fuzzed product"); x 61 40;
	x 60 50 00 00 02 03; x 61 50; x 60 30 00 00 34 12 78 56 60 fa; x 61 30; x 60 30 00 00 34 12 78 56 c0 00; } \
	>$E/nvram-strings-key
{ bytes 00; x 60 10 00 00 00 1b b7 00 fe 00 01 01 00 00 00 00 00 00 10 00 03; power_cycle 41; } >$E/nvram-spi
{ bytes 00; x 32 00 00 00 00 00; x 30 00 00 00 a5 01; x 31; pin 03; pin 13; pin 18; pin 0f; x 33; } >$E/gpio
{ bytes 00; x 21 00 00 00 00 00 00 00 00 00 02 00 00 00 00 ff 01 06; pin 16; pin 06; pin 16; pin 06; x 12 ff;
	x 12 00; x 12 00; } >$E/gp6-counter
{ bytes 00; x 21 00 00 00 00 00 00 00 00 00 00 02 02 00 00 ff 01 00; x 80 01; x 31; pin 08; x 10; } \
	>$E/bus-release
{ bytes 00; cs_pins; spi fd 04; external 01; external 00; x 10; } >$E/external-master
{ bytes 00; cs_pins; spi fd 08; xfer4 01 02 03 04; vanish 42 00; x 11; x 10; poll; } >$E/host-vanished
{ bytes 00; cs_pins; spi fd 04; fault 15 42 04 00 00 01 02 03 04; poll; poll; x 11; } >$E/fault-spi-stall
{ bytes 00; fault 10 10; x 10; x 20; clear; power_cycle 10; x 10; } >$E/fault-no-answer
{ bytes 00; fault 11 10; x 20; x 31; x 33; power_cycle 10; x 10; } >$E/fault-late-answer
{ bytes 00; fault 12 20; x 41; x 10; } >$E/fault-corrupt
{ bytes 00; fault 13 33; x 10; } >$E/fault-wrong-echo
{ bytes 00; fault 24 42 04 00 00 01 02 03 04; x 51 00 00; x 10; } >$E/fault-busy
{ bytes 00; fault 16 10; x 10; x 10; replug; x 10; fault 06 10; x 20; } >$E/fault-disconnect
{ bytes 00; fault 17 51 00 01; x 51 00 01; x 50 00; } >$E/fault-eeprom-write
{ bytes 00; unplug; x 10; replug; x 10; } >$E/unplug-replug
{ bytes 00; out_only 10; out_only 20; in_only; in_only; in_only; x 41; } >$E/out-in-split
{ bytes 00; x 99; x 42 3d; x 61 99; x 60 10 00 00 00 00 00 00; x 40 00 00 00 00 00 00 00; x 70; } >$E/malformed
{ bytes 01; cs_pins; spi fd 20; xfer4 01 02 03 04; xfer4 05 06 07 08; poll; advance 20; poll; poll; } \
	>$E/timing-loopback
{ bytes 01; cs_pins; x 40 00 00 00 dc 05 00 00 ff 01 fe 01 0a 00 0a 00 05 00 04 00 00; xfer4 9f 00 00 00;
	poll; advance 30; poll; poll; } >$E/timing-slow-flash

for d in decoders text emu; do
	printf '%s: %s seeds\n' "$d" "$(find "corpus/$d" -type f | wc -l)"
done

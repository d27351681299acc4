#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's main job: the emulator tour runs to the end and its SPI loopback is byte-exact.
set -eu
out=$("${top_builddir:-.}/mcp2210-emu-tour")
echo "$out"
echo "$out" | grep -q "JEDEC ID ef 40 14"
echo "$out" | grep -q "65535-byte loopback on CS1: byte-exact"
echo "$out" | grep -q 'outputs latched 0xa5'

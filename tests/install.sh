#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The installation, tested: `make install DESTDIR=TMP` from a configured build tree puts every
# file where configure said (daemon, SPI helper, man page, systemd unit, both udev rules), the
# unit names the installed daemon and passes `systemd-analyze verify` (skipped, saying so,
# without systemd-analyze), and `make uninstall` removes every file again.
# Run from the build directory (or with top_builddir=DIR); `make check-install` does. Exit 0
# pass, 1 fail.
set -u

top_builddir=${top_builddir:-.}
MAKE=${MAKE:-make}
CHECKS=0

fail()
{
	printf 'FAIL: %s\n' "$*"
	exit 1
}

ok()
{
	CHECKS=$((CHECKS + 1))
	printf 'ok: %s\n' "$*"
}

[ -f "$top_builddir/Makefile" ] || fail "$top_builddir/Makefile missing: run configure first"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcp2210fs-install.XXXXXX") || fail "mktemp -d"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
DEST=$TMP/root

# makevar NAME: the Makefile's value of NAME, fully expanded (bindir is ${exec_prefix}/bin).
makevar()
{
	# shellcheck disable=SC2016 # $(...) is make's, not the shell's
	printf 'print-makevar:\n\t@echo $(%s)\n' "$1" |
		$MAKE -s --no-print-directory -C "$top_builddir" -f Makefile -f - print-makevar
}

if ! { bindir=$(makevar bindir) && mandir=$(makevar mandir) && man8dir=$(makevar man8dir) &&
	systemdsystemunitdir=$(makevar systemdsystemunitdir) && udevrulesdir=$(makevar udevrulesdir); }; then
	fail "cannot read the installation directories from $top_builddir/Makefile"
fi
for v in "bindir=$bindir" "man8dir=$man8dir" "systemdsystemunitdir=$systemdsystemunitdir" \
	"udevrulesdir=$udevrulesdir"; do
	echo "$v"
done
if [ -z "$bindir" ] || [ -z "$man8dir" ] || [ -z "$udevrulesdir" ]; then
	fail "an installation directory is empty"
fi

echo "# make install DESTDIR=$DEST"
$MAKE -C "$top_builddir" install DESTDIR="$DEST" >"$TMP/install.log" 2>&1 || {
	tail -n 30 "$TMP/install.log"
	fail "make install DESTDIR=$DEST"
}
ok "make install DESTDIR=..."

# expect_file PATH MODE: installed, a regular file with that mode.
expect_file()
{
	[ -f "$DEST$1" ] || fail "$1 not installed"
	_mode=$(stat -c %a "$DEST$1")
	[ "$_mode" = "$2" ] || fail "$1 has mode $_mode, want $2"
	ok "$1 ($2)"
}

expect_file "$bindir/mcp2210fs" 755
expect_file "$bindir/mcp2210-spi" 755
expect_file "$man8dir/mcp2210fs.8" 644
expect_file "$mandir/man1/mcp2210-spi.1" 644
expect_file "$udevrulesdir/60-mcp2210.rules" 644
expect_file "$udevrulesdir/61-mcp2210-mount.rules" 644
"$DEST$bindir/mcp2210fs" --version >"$TMP/version" 2>&1 || fail "the installed mcp2210fs --version failed"
ok "the installed daemon runs: $(head -n 1 "$TMP/version")"

unit=""
if [ -n "$systemdsystemunitdir" ]; then
	unit=$systemdsystemunitdir/mcp2210fs@.service
	expect_file "$unit" 644
	if grep -n '@[a-z_]*@' "$DEST$unit"; then
		fail "$unit: configure variables left unsubstituted"
	fi
	grep -q "^ExecStart=$bindir/mcp2210fs " "$DEST$unit" ||
		fail "$unit does not start $bindir/mcp2210fs: $(grep ExecStart= "$DEST$unit")"
	ok "$unit starts $bindir/mcp2210fs"
else
	echo "(configured --without-systemdsystemunitdir: no unit to check)"
fi

if [ -z "$unit" ]; then
	:
elif ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze verify (systemd-analyze not installed; Debian package systemd)"
else
	# The unit as installed, but naming the daemon and man page where DESTDIR put them, since
	# verify checks that both exist; instantiated for a made-up serial.
	mkdir "$TMP/verify" || fail "mkdir $TMP/verify"
	sed -e "s|^ExecStart=$bindir/|ExecStart=$DEST$bindir/|" "$DEST$unit" >"$TMP/verify/mcp2210fs@.service"
	if ! (cd "$TMP/verify" && MANPATH=$DEST$mandir systemd-analyze verify \
		./mcp2210fs@0001234567.service) >"$TMP/verify.log" 2>&1; then
		cat "$TMP/verify.log"
		fail "systemd-analyze verify mcp2210fs@0001234567.service"
	fi
	if [ -s "$TMP/verify.log" ]; then
		cat "$TMP/verify.log"
		fail "systemd-analyze verify: warnings"
	fi
	ok "systemd-analyze verify mcp2210fs@0001234567.service: clean"
fi

echo "# make uninstall DESTDIR=$DEST"
$MAKE -C "$top_builddir" uninstall DESTDIR="$DEST" >"$TMP/uninstall.log" 2>&1 || {
	tail -n 30 "$TMP/uninstall.log"
	fail "make uninstall DESTDIR=$DEST"
}
left=$(find "$DEST" ! -type d)
[ -z "$left" ] || fail "left after make uninstall: $left"
ok "make uninstall removed every file"

echo "PASS: $CHECKS checks"

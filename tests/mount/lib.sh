# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Sourced by every tests/mount/*.test: mounts the emulated MCP2210 with the real daemon on a
# real FUSE mount and offers small assertions that print one line per check.
# Exit codes: 0 pass, 1 fail, 77 skip. A test skips only for what no install step can fix
# (not root, no /dev/fuse, no private mount namespace in this container: README, "Skipped
# tests"); a missing program that scripts/bootstrap installs, or an unbuilt part, is a FAIL.
#
# Environment: top_builddir (default .) holds ./mcp2210fs and tests/mount/{fsop,...}.
#
# A test calls mount_emu [extra daemon args...]; the first call creates $TMP (mktemp -d) with
# $TMP/mnt as mount point and $TMP/chip.state as the emulator's state file. unmount_emu stops
# that daemon and keeps $TMP, so a later mount_emu runs on the same state file (NVRAM and
# EEPROM persist, as across a real unplug). On exit everything is unmounted and $TMP removed.

top_builddir=${top_builddir:-.}
DAEMON=${MCP2210FS:-$top_builddir/mcp2210fs}
HELPERS=${MOUNT_HELPERS:-$top_builddir/tests/mount}
FSOP=$HELPERS/fsop
XFER_MANY=$HELPERS/xfer_many
POLL_WAIT=$HELPERS/poll_wait
READ_INTR=$HELPERS/read_intr
WRITES=$HELPERS/writes
SYSLOG_LISTEN=$HELPERS/syslog_listen

TMP=""
MNT=""
DAEMON_PID=""
DAEMON_STATUS=""
CHECKS=0

# ---- reporting --------------------------------------------------------------------------

skip()
{
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# need_root WHY: skips, saying WHY, unless run as root. MCP2210FS_TEST_NO_ROOT=REASON skips
# such tests even as root, saying REASON (debian/rules sets it: a package build runs without
# root); it is for package builds only, never for make check, CI or check-fresh.
need_root()
{
	[ -z "${MCP2210FS_TEST_NO_ROOT:-}" ] || skip "$1 (MCP2210FS_TEST_NO_ROOT: $MCP2210FS_TEST_NO_ROOT)"
	[ "$(id -u)" -eq 0 ] || skip "$1"
}

show_log()
{
	if [ -n "$TMP" ] && [ -s "$TMP/daemon.log" ]; then
		echo "---- daemon log (last 40 lines) ----"
		tail -n 40 "$TMP/daemon.log" | sed 's/^/daemon: /'
		echo "----"
	fi
}

fail()
{
	printf 'FAIL: %s\n' "$*"
	show_log
	exit 1
}

# need_tool CMD PACKAGE: CMD is on PATH, or the test fails: scripts/bootstrap installs PACKAGE.
need_tool()
{
	command -v "$1" >/dev/null 2>&1 ||
		fail "$1 not found: scripts/bootstrap installs it (Debian package $2)"
}

ok()
{
	CHECKS=$((CHECKS + 1))
	printf 'ok: %s\n' "$*"
}

# Prints the final line; call at the end of a test.
pass()
{
	echo "PASS: $CHECKS checks"
	exit 0
}

expect_eq()
{
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		fail "$3: got '$1', want '$2'"
	fi
}

# ---- time and waiting (waiting for a state, always bounded) ------------------------------

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

# wait_until TRIES CMD...: runs CMD every 50 ms until it succeeds, at most TRIES times.
wait_until()
{
	_tries=$1
	shift
	while ! "$@"; do
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}

# A child that exited but was not reaped yet is a zombie: kill -0 would still succeed.
pid_alive()
{
	[ -r "/proc/$1/stat" ] || return 1
	_state=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$_state" ] && [ "$_state" != Z ] && [ "$_state" != X ]
}

pid_gone()
{
	! pid_alive "$1"
}

# wait_pid PID TRIES: waits (bounded) for a background child to end, then reaps it; sets
# WAIT_STATUS. Returns 1 (child killed) when it did not end in time.
# shellcheck disable=SC2034 # WAIT_STATUS is for the tests
wait_pid()
{
	if wait_until "$2" pid_gone "$1"; then
		wait "$1"
		WAIT_STATUS=$?
		return 0
	fi
	kill -KILL "$1" 2>/dev/null
	wait "$1"
	WAIT_STATUS=$?
	return 1
}

# ---- the mount --------------------------------------------------------------------------

# From /proc/self/mountinfo rather than stat(): a hung daemon must not hang the check.
is_mounted()
{
	[ -n "$MNT" ] && awk -v m="$MNT" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

not_mounted()
{
	! is_mounted
}

daemon_alive()
{
	[ -n "$DAEMON_PID" ] && pid_alive "$DAEMON_PID"
}

# mount_emu [extra mcp2210fs args...]
# Creates $TMP and $MNT once (mount_emu calls it; tests may call it earlier).
ensure_tmp()
{
	if [ -z "$TMP" ]; then
		TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcp2210fs-test.XXXXXX") || fail "mktemp -d"
		MNT=$TMP/mnt
		mkdir "$MNT" || fail "mkdir $MNT"
	fi
}

mount_emu()
{
	[ -z "$DAEMON_PID" ] || fail "mount_emu: a daemon is already running"
	ensure_tmp
	# MOUNT_PREFIX runs the daemon under another program (the USB harness); MOUNT_ARGS are the
	# daemon's device options (default: the emulated chip, no timing).
	_args=${MOUNT_ARGS-"--emulate=$TMP/chip.state -o emu_frame_us=0"}
	echo "== ${MOUNT_PREFIX:-}mcp2210fs $_args -f $* $MNT" >>"$TMP/daemon.log"
	echo "mount: ${MOUNT_PREFIX:-}mcp2210fs $_args -f $*"
	# A non-interactive shell starts background commands with SIGINT ignored, and libfuse
	# keeps an ignored signal ignored: give the daemon the default disposition back when env
	# can (the daemon must be stoppable with SIGINT as from a terminal).
	_env=""
	[ "$ENV_DEFAULT_SIGNAL" = yes ] && _env="env --default-signal=INT,QUIT"
	# shellcheck disable=SC2086 # the prefix, env and device options are word lists
	$_env ${MOUNT_PREFIX:-} "$DAEMON" $_args -f "$@" "$MNT" </dev/null >>"$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	_tries=200
	while ! is_mounted; do
		if ! daemon_alive; then
			wait "$DAEMON_PID"
			_st=$?
			DAEMON_PID=""
			fail "mount_emu: the daemon exited with status $_st before the mount came up"
		fi
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || fail "mount_emu: $MNT not mounted after 10 s"
		sleep 0.05
	done
}

# find_daemon: the pid of the mcp2210fs serving $MNT that went to the background (without
# -f), found by its command line, which names our (unique) mount point.
find_daemon()
{
	for _p in /proc/[0-9]*; do
		_c=$({ tr '\0' ' ' <"$_p/cmdline"; } 2>/dev/null) || continue
		case $_c in
		*mcp2210fs*" $MNT "*)
			echo "${_p#/proc/}"
			return 0
			;;
		esac
	done
	return 1
}

# bg_daemon: find_daemon, remembered for the cleanup (BG_PID), or fail.
BG_PID=""
bg_daemon()
{
	BG_PID=$(find_daemon) || fail "no mcp2210fs process for $MNT"
}

# unmount_bg [CMD...]: fusermount3 -u $MNT (run under CMD, e.g. as another user), then the
# background daemon BG_PID must end within 5 s.
unmount_bg()
{
	"$@" fusermount3 -u "$MNT" || fail "fusermount3 -u $MNT"
	wait_until 100 pid_gone "$BG_PID" || fail "the daemon (pid $BG_PID) still runs 5 s after fusermount3 -u"
	BG_PID=""
	ok "unmounted; the daemon exited"
}

# drop_copied_fuse_mounts: in a mount namespace of a test's own (unshare -m), detach the
# copies of FUSE mounts it was born with (other tests', running at the same time). Each copy
# keeps its file system alive: the daemon of a mount unmounted outside would go on running
# until this namespace ends.
drop_copied_fuse_mounts()
{
	awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) ~ /^fuse/) print $5 }' /proc/self/mountinfo |
		while read -r _m; do umount -l "$(printf '%b' "$_m")" 2>/dev/null; done
}

# Reaps the daemon after it has exited; sets DAEMON_STATUS.
reap_daemon()
{
	wait "$DAEMON_PID"
	DAEMON_STATUS=$?
	DAEMON_PID=""
}

# Kills a daemon that did not stop by itself and detaches its mount.
force_stop()
{
	if daemon_alive; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait_until 40 pid_gone "$DAEMON_PID" || kill -KILL "$DAEMON_PID" 2>/dev/null
	fi
	if [ -n "$DAEMON_PID" ]; then
		wait "$DAEMON_PID"
		DAEMON_STATUS=$?
		DAEMON_PID=""
	fi
	if is_mounted; then
		fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	fi
}

# unmount_emu: the clean way (fusermount3 -u); fails the test when the daemon does not exit
# within 5 s or exits with a non-zero status. Keeps $TMP and the state file.
unmount_emu()
{
	[ -n "$DAEMON_PID" ] || return 0
	if ! fusermount3 -u "$MNT" >>"$TMP/daemon.log" 2>&1; then
		force_stop
		fail "unmount_emu: fusermount3 -u $MNT failed"
	fi
	if ! wait_until 100 pid_gone "$DAEMON_PID"; then
		force_stop
		fail "unmount_emu: the daemon still runs 5 s after fusermount3 -u"
	fi
	reap_daemon
	[ "$DAEMON_STATUS" -eq 0 ] || fail "unmount_emu: the daemon exited with status $DAEMON_STATUS"
}

cleanup()
{
	_rc=$?
	trap - EXIT
	cd / || :
	if [ -n "$DAEMON_PID" ]; then
		if is_mounted; then
			fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT" 2>/dev/null
		fi
		if ! wait_until 100 pid_gone "$DAEMON_PID"; then
			echo "cleanup: the daemon did not exit after unmount; killing it"
			_rc=1
		fi
		force_stop
	fi
	if [ -n "$BG_PID" ]; then
		is_mounted && fusermount3 -u -z "$MNT" 2>/dev/null
		wait_until 100 pid_gone "$BG_PID" || kill -KILL "$BG_PID" 2>/dev/null
	fi
	if [ -n "$TMP" ]; then
		if is_mounted; then
			echo "cleanup: $MNT is still mounted; leaving $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
	exit "$_rc"
}

trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# ---- file access (paths relative to the mount point) -------------------------------------

# expect_content REL WANT MSG: the file's bytes are exactly WANT (trailing newlines count).
expect_content()
{
	printf '%s' "$2" >"$TMP/want"
	cat "$MNT/$1" >"$TMP/got" 2>"$TMP/got.err" || fail "$3: read $1: $(cat "$TMP/got.err")"
	if cmp -s "$TMP/got" "$TMP/want"; then
		ok "$3"
	else
		echo "--- want / +++ got ($1)"
		diff -u "$TMP/want" "$TMP/got" | tail -n +3
		fail "$3"
	fi
}

# attr REL: the value of a one-line text attribute (newline stripped); use as
# v=$(attr REL) || fail "...".
attr()
{
	cat "$MNT/$1"
}

# expect_attr REL VALUE: the file reads exactly "VALUE\n".
expect_attr()
{
	_got=$(cat "$MNT/$1" 2>&1 && echo x) || fail "read $1: $_got"
	_got=${_got%x}
	if [ "$_got" = "$2
" ]; then
		ok "$1 reads '$2'"
	else
		fail "$1: got '$(printf '%s' "$_got" | od -An -c | tr -s ' ')', want '$2\\n'"
	fi
}

# write_attr REL VALUE: printf '%s' VALUE > REL; returns the shell's status.
write_attr()
{
	(printf '%s' "$2" >"$MNT/$1") 2>/dev/null
}

# set_attr REL VALUE: echo VALUE > REL (with the newline echo adds), which must succeed.
set_attr()
{
	if (printf '%s\n' "$2" >"$MNT/$1") 2>"$TMP/set_attr.err"; then
		ok "echo $2 > $1"
	else
		fail "echo $2 > $1: $(cat "$TMP/set_attr.err")"
	fi
}

# fsop_out ARGS...: fsop's output (its exit status is in the output's form: OK or ENAME).
fsop_out()
{
	"$FSOP" "$@" 2>&1
}

# expect_write REL DATA WANT: one write(2) of DATA (fsop escapes: \n, \xHH) gives WANT
# (OK or an errno name).
expect_write()
{
	_got=$(fsop_out write "$MNT/$1" "$2")
	expect_eq "$_got" "$3" "write '$2' to $1 -> $3"
}

# expect_rejected REL DATA ERRNAME: the write fails with ERRNAME and the file's content is
# the same afterwards (bad input changes nothing).
expect_rejected()
{
	cat "$MNT/$1" >"$TMP/before" || fail "read $1"
	_got=$(fsop_out write "$MNT/$1" "$2")
	cat "$MNT/$1" >"$TMP/after" || fail "read $1"
	if [ "$_got" != "$3" ]; then
		fail "write '$2' to $1: got $_got, want $3"
	fi
	if ! cmp -s "$TMP/before" "$TMP/after"; then
		fail "write '$2' to $1 failed with $3 but changed it from '$(cat "$TMP/before")' to '$(cat "$TMP/after")'"
	fi
	ok "write '$2' to $1 -> $3, unchanged"
}

# expect_fsop WANT MSG ARGS...: runs fsop ARGS and compares its output with WANT.
expect_fsop()
{
	_want=$1
	_msg=$2
	shift 2
	_got=$(fsop_out "$@")
	expect_eq "$_got" "$_want" "$_msg"
}

# timed_fsop WANT MAX_MS MSG ARGS...: fsop ARGS gives WANT, and the operation (from its open
# to its last system call, as fsop -t measures it) took at most MAX_MS.
timed_fsop()
{
	_want=$1
	_max=$2
	_msg=$3
	shift 3
	_got=$("$FSOP" -t "$@" 2>"$TMP/fsop.time")
	expect_eq "$_got" "$_want" "$_msg"
	expect_time_ms "$TMP/fsop.time" "$_max" "$_msg"
}

# expect_time_ms FILE MAX_MS MSG: FILE holds fsop -t's "ms=N" and N <= MAX_MS.
expect_time_ms()
{
	_ms=$(sed -n 's/^ms=//p' "$1")
	[ -n "$_ms" ] || fail "$3: no time in $1: $(cat "$1")"
	[ "$_ms" -le "$2" ] || fail "$3: took $_ms ms (limit $2 ms)"
	ok "  ... in $_ms ms (limit $2 ms)"
}

# blocked_in_io PID: PID is inside a read(2) or write(2) (or their p/v forms), i.e. waiting
# for the daemon. The numbers in /proc/PID/syscall differ per architecture: fsop knows them.
blocked_in_io()
{
	[ -n "${IO_SYSCALLS:-}" ] || IO_SYSCALLS=$("$FSOP" syscalls) || fail "fsop syscalls"
	_nr=$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null) || return 1
	for _io in $IO_SYSCALLS; do
		[ "$_nr" = "$_io" ] && return 0
	done
	return 1
}

# expect_errno ERRNAME ARGS...: fsop ARGS (e.g. write PATH DATA) fails with ERRNAME.
expect_errno()
{
	_e=$1
	shift
	expect_fsop "$_e" "fsop $* -> $_e" "$@"
}

# ---- preconditions ----------------------------------------------------------------------

[ -c /dev/fuse ] || skip "/dev/fuse missing"
if ! [ -r /dev/fuse ] || ! [ -w /dev/fuse ]; then
	skip "/dev/fuse not accessible"
fi
need_tool fusermount3 fuse3
[ -x "$DAEMON" ] || fail "$DAEMON not built (make)"
if env --default-signal=INT true >/dev/null 2>&1; then
	ENV_DEFAULT_SIGNAL=yes
else
	ENV_DEFAULT_SIGNAL=no
fi
for _h in "$FSOP" "$XFER_MANY" "$POLL_WAIT" "$READ_INTR" "$SYSLOG_LISTEN"; do
	[ -x "$_h" ] || fail "test helper $_h not built"
done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the libFuzzer targets with clang into BUILD_DIR (default fuzz/build) and run each for
# $FUZZ_SECONDS (default 30) on a copy of its seed corpus in fuzz/corpus/<target>/.
# Exit 0: no findings; 1: a crash, leak or timeout (the input is left in BUILD_DIR);
# 77: no clang with libFuzzer's runtime (skip). Usage: fuzz/run.sh [BUILD_DIR]
# Environment: FUZZ_SECONDS, CLANG (default clang), CONFIG_H (the configured config.h; else
# ./config.h of an in-tree build, else built-in defines), FUZZ_TARGETS (default all three).
# Flag and file lists are split into words on purpose; PACKAGE_VERSION keeps its quotes.
# shellcheck disable=SC2086,SC2089,SC2090,SC2012
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$srcdir/fuzz/build}
seconds=${FUZZ_SECONDS:-30}
cc=${CLANG:-clang}
targets=${FUZZ_TARGETS:-"decoders text emu"}

mkdir -p "$build" || exit 1
build=$(cd "$build" && pwd)

sanitize="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
cat >"$build/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { (void)data; (void)size; return 0; }
EOF
if ! "$cc" $sanitize "$build/probe.c" -o "$build/probe" >"$build/probe.log" 2>&1; then
	echo "fuzz: SKIP: '$cc' cannot link with -fsanitize=fuzzer (libclang_rt.fuzzer missing?):" >&2
	tail -n 3 "$build/probe.log" >&2
	exit 77
fi

config=${CONFIG_H:-}
if [ -z "$config" ] && [ -f "$srcdir/config.h" ]; then
	config=$srcdir/config.h
fi
if [ -n "$config" ]; then
	defines="-include $config"
else
	defines="-D_GNU_SOURCE -DPACKAGE_VERSION=\"fuzz\""
fi

lib_sources="src/proto/proto_common.c src/proto/proto_host.c src/proto/proto_device.c src/proto/proto_status.c src/util/log.c src/util/text.c
	src/fs_settings_text.c src/emu/*.c"
cflags="-std=c11 -pthread -g -O1 -fno-omit-frame-pointer -Wall -Wextra $sanitize"

status=0
for t in $targets; do
	bin=$build/fuzz_$t
	echo "fuzz: building fuzz_$t"
	if ! (cd "$srcdir" && "$cc" $cflags $defines -Isrc -Ifuzz "fuzz/fuzz_$t.c" $lib_sources -o "$bin"); then
		echo "fuzz: FAIL: fuzz_$t does not build" >&2
		exit 1
	fi
done

for t in $targets; do
	bin=$build/fuzz_$t
	work=$build/corpus/$t
	log=$build/fuzz_$t.log
	rm -rf "$work"
	mkdir -p "$work"
	# A copy: what libFuzzer adds stays in the build directory, the committed seeds do not grow.
	cp "$srcdir/fuzz/corpus/$t/"* "$work/" 2>/dev/null || true
	rm -f "$build/crash-$t-"*
	case $t in
	decoders) max_len=256 ;;
	text) max_len=4096 ;;
	emu) max_len=4096 ;;
	*) max_len=4096 ;;
	esac
	dict=
	[ -f "$srcdir/fuzz/$t.dict" ] && dict="-dict=$srcdir/fuzz/$t.dict"
	echo "fuzz: running fuzz_$t for ${seconds}s on $(ls "$work" | wc -l) seeds"
	"$bin" -max_total_time="$seconds" -print_final_stats=1 -max_len="$max_len" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$build/crash-$t-" $dict "$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	printf 'fuzz: fuzz_%s: %s executions, %s exec/s, %s, corpus %s inputs\n' "$t" "${execs:-?}" \
		"${speed:-?}" "${cov:-cov: ?}" "$(ls "$work" | wc -l)"
	if [ "$rc" -ne 0 ]; then
		status=1
		echo "fuzz: FAIL: fuzz_$t exited $rc; log $log" >&2
		grep -E 'ERROR|invariant|SUMMARY|^ *#[0-9]+ ' "$log" | head -n 40 >&2
		for f in "$build/crash-$t-"*; do
			[ -e "$f" ] || continue
			echo "fuzz: input left in $f: $(od -An -tx1 -v "$f" | tr -d ' \n' | cut -c1-400)" >&2
		done
	fi
done
exit "$status"

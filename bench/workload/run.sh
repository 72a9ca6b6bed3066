#!/bin/bash
# Real-workload overhead of the ready-made probes, rseqtrace against LTTng-UST,
# each under a real session of its own daemon (per-UID buffers, discard mode,
# 4 x 1 MiB sub-buffers per CPU, contexts vpid+vtid+procname on both sides).
#
#   bench/workload/run.sh [BUILD_DIR]      (scripts/bench workload calls it)
#
# Workloads (unmodified programs; only LD_PRELOAD differs between the runs):
#   libc:  json_pp (Debian's perl package: the pure-Perl JSON::PP pretty-printer;
#          Debian's perl uses glibc's malloc) on a generated 2.6 MB JSON
#          document: about 9 million malloc/realloc/free calls per second, one
#          thread, output checked against the untraced run.
#          untraced | LD_PRELOAD=liblttng-ust-libc-wrapper.so | LD_PRELOAD=librseqtrace-libc-wrapper.so
#   cyg:   stbwork, Debian's stb image libraries (libstb-dev) compiled with
#          -finstrument-functions (PNG encode, decode, resize), for both
#          cyg-profile variants; "untraced" is the same binary with glibc's
#          no-op hooks, "not instrumented" the same code built without the flag.
# Each traced run gets a fresh session (create, start, run, stop, destroy); only
# the program's run is timed. Runs alternate untraced/LTTng/rseqtrace, RUNS times
# (default 5); the medians are printed with the overhead over untraced, the
# events recorded and discarded, and the ratio of the two overheads.
# Needs: lttng-tools, liblttng-ust-dev (the wrappers), babeltrace2, perl,
# python3, libstb-dev; starts lttng-sessiond --daemonize --no-kernel if none
# runs and stops only what it started.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-${RSEQTRACE_BENCH_BUILD:-$root/build-release}}
RUNS=${RUNS:-5}
JSON_ITEMS=${JSON_ITEMS:-15000}
STB_SIZE=${STB_SIZE:-512}
STB_ROUNDS=${STB_ROUNDS:-2}
SUBBUF=1M
NSUBBUF=4

die() { echo "workload: $*" >&2; exit 1; }

lttng_lib=$(ls /usr/lib/*/liblttng-ust-libc-wrapper.so.1 2>/dev/null | head -1)
lttng_libdir=$(dirname "${lttng_lib:-/nonexistent/x}")
for f in "$lttng_libdir/liblttng-ust-libc-wrapper.so.1" "$lttng_libdir/liblttng-ust-cyg-profile.so.1" \
	"$lttng_libdir/liblttng-ust-cyg-profile-fast.so.1"; do
	[ -e "$f" ] || die "missing $f (apt-get install liblttng-ust-dev)"
done
for t in lttng lttng-sessiond babeltrace2 json_pp python3; do
	command -v "$t" >/dev/null || die "missing $t (apt-get install lttng-tools babeltrace2 perl python3)"
done
rt_cli=$build/cli/rseqtrace
rt_daemon=$build/consumerd/rseqtraced
probes=$build/probes
stb=$build/bench/workload/workload_stb_instrumented
stb_plain=$build/bench/workload/workload_stb_plain
for f in "$rt_cli" "$rt_daemon" "$probes/librseqtrace-libc-wrapper.so" \
	"$probes/librseqtrace-cyg-profile.so" "$probes/librseqtrace-cyg-profile-fast.so" "$stb" "$stb_plain"; do
	[ -x "$f" ] || [ -f "$f" ] || die "missing $f: build the targets workload_all (needs libstb-dev)"
done

work=$(mktemp -d)
lttng_started=
rt_pid=
cleanup() {
	set +e
	for p in $rt_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	if [ -n "$lttng_started" ]; then
		kill "$lttng_started" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$lttng_started" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# ---- daemons ------------------------------------------------------------------
pidfile=/var/run/lttng/lttng-sessiond.pid
[ "$(id -u)" = 0 ] || pidfile=$HOME/.lttng/lttng-sessiond.pid
if ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
	lttng-sessiond --daemonize --no-kernel >/dev/null 2>&1 || die "cannot start lttng-sessiond"
	lttng_started=$(cat "$pidfile")
fi
# Two private rseqtraced: with its defaults (the drain timer starts at 200 ms
# and adapts), and with --drain-max-ms 1 (drains every millisecond while a
# session runs, as LTTng's consumer is woken at every sub-buffer switch).
start_rt() { # HOME_DIR [DAEMON_ARGS...]
	local h=$1
	shift
	mkdir -m 700 "$h"
	"$rt_daemon" --home "$h" --log "$h.log" --quiet "$@" &
	rt_pid="$rt_pid $!"
	for _ in $(seq 100); do [ -S "$h/rseqtraced.sock" ] && break; sleep 0.05; done
	[ -S "$h/rseqtraced.sock" ] || die "rseqtraced did not start: $(cat "$h.log")"
}
start_rt "$work/rt-home"
start_rt "$work/rt-home-1ms" --drain-max-ms 1
rt_home=
rt() { "$rt_cli" --home "$rt_home" "$@"; }

# ---- one run ------------------------------------------------------------------
# Sets: secs, recorded, discarded. Args: tracer (none|lttng|rseqtrace|rseqtrace1ms), event
# pattern, preload (or ""), stdin file (or ""), expected output md5, command...
now_ns() { date +%s%N; }
run_one() {
	local tracer=$1 pattern=$2 preload=$3 input=$4 want=$5
	shift 5
	local out=$work/out trace=$work/trace-$tracer name=wl$$-$RANDOM
	rm -rf "$trace"
	rt_home=$work/rt-home
	[ "$tracer" = rseqtrace1ms ] && rt_home=$work/rt-home-1ms
	case $tracer in
	lttng)
		lttng create "$name" --output="$trace" >/dev/null
		lttng enable-channel -u ch0 --discard --buffers-uid --subbuf-size=$SUBBUF \
			--num-subbuf=$NSUBBUF -s "$name" >/dev/null
		lttng add-context -u -s "$name" -c ch0 -t vpid -t vtid -t procname >/dev/null
		lttng enable-event -u -c ch0 "$pattern" -s "$name" >/dev/null
		lttng start "$name" >/dev/null ;;
	rseqtrace*)
		rt create "$name" -o "$trace" --subbuf-size $SUBBUF --num-subbuf $NSUBBUF >/dev/null
		rt enable-event -s "$name" "$pattern" >/dev/null
		rt start "$name" >/dev/null ;;
	esac
	local t0 t1
	t0=$(now_ns)
	if [ -n "$input" ]; then
		env ${preload:+LD_PRELOAD=$preload} RSEQTRACE_HOME="$rt_home" "$@" <"$input" >"$out"
	else
		env ${preload:+LD_PRELOAD=$preload} RSEQTRACE_HOME="$rt_home" "$@" >"$out"
	fi
	t1=$(now_ns)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	[ -z "$want" ] || [ "$(md5sum <"$out" | cut -d' ' -f1)" = "$want" ] ||
		die "$tracer: the program's output differs from the untraced run"
	recorded=- discarded=-
	case $tracer in
	lttng)
		lttng stop "$name" >/dev/null
		discarded=$(lttng list "$name" | awk '/Discarded events:/ { s += $3 } END { print s + 0 }')
		lttng destroy "$name" >/dev/null
		recorded=$(count_events "$trace") ;;
	rseqtrace*)
		local summary
		summary=$(rt stop "$name")
		rt destroy "$name" >/dev/null
		recorded=$(sed -n 's/^\([0-9]*\) events recorded, \([0-9]*\) discarded.*/\1/p' <<<"$summary" | head -1)
		discarded=$(sed -n 's/^\([0-9]*\) events recorded, \([0-9]*\) discarded.*/\2/p' <<<"$summary" | head -1)
		if [ -z "${checked_rt_counts:-}" ]; then
			# Once: the daemon's summary is what the trace holds.
			local c
			c=$(count_events "$trace")
			[ "$c" = "$recorded" ] || die "rseqtrace: stop says $recorded events, the trace holds $c"
			checked_rt_counts=1
		fi ;;
	esac
	rm -rf "$trace"
}

count_events() {
	babeltrace2 "$1" -c sink.utils.counter -p step=+0 2>/dev/null |
		awk '/Event messages/ { n = $1 } END { print n + 0 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# bench NAME PATTERN_LTTNG PRELOAD_LTTNG PATTERN_RT PRELOAD_RT INPUT CMD...
bench() {
	local title=$1 lpat=$2 lpre=$3 rpat=$4 rpre=$5 input=$6
	shift 6
	local want
	if [ -n "$input" ]; then want=$("$@" <"$input" | md5sum | cut -d' ' -f1)
	else want=$("$@" | md5sum | cut -d' ' -f1); fi
	local order=(none lttng rseqtrace rseqtrace1ms) tr
	for tr in "${order[@]}"; do : >"$work/$tr.t"; : >"$work/$tr.c"; done
	for ((r = 0; r < RUNS; r++)); do
		for ((k = 0; k < 4; k++)); do
			tr=${order[(k + r) % 4]}
			case $tr in
			none) run_one none "" "" "$input" "$want" "$@" ;;
			lttng) run_one lttng "$lpat" "$lpre" "$input" "$want" "$@" ;;
			rseqtrace*) run_one "$tr" "$rpat" "$rpre" "$input" "$want" "$@" ;;
			esac
			echo "$secs" >>"$work/$tr.t"
			[ "$tr" = none ] || echo "$recorded $discarded" >>"$work/$tr.c"
		done
	done
	local base lt
	base=$(median <"$work/none.t")
	lt=$(median <"$work/lttng.t")
	echo "== $title ($RUNS runs each, alternating; medians)"
	printf '  %-34s %8s %10s %16s %12s %9s\n' "" "wall s" "overhead" "events recorded" "discarded" "LTTng/us"
	printf '  %-34s %8s %10s %16s %12s %9s\n' "untraced" "$base" "-" "-" "-" "-"
	for tr in lttng rseqtrace rseqtrace1ms; do
		local t rec dis label ratio=-
		t=$(median <"$work/$tr.t")
		rec=$(cut -d' ' -f1 "$work/$tr.c" | median)
		dis=$(cut -d' ' -f2 "$work/$tr.c" | median)
		case $tr in
		lttng) label="LTTng-UST $lttng_version" ;;
		rseqtrace) label="rseqtrace (daemon defaults)" ;;
		rseqtrace1ms) label="rseqtrace (--drain-max-ms 1)" ;;
		esac
		# LTTng's overhead over this one's (above 1: we cost less)
		[ "$tr" = lttng ] || ratio=$(awk -v l="$lt" -v r="$t" -v b="$base" \
			'BEGIN { if (r > b) printf "%.2f", (l - b) / (r - b); else print "n/a" }')
		printf '  %-34s %8s %9s%% %16.0f %12.0f %9s\n' "$label" "$t" \
			"$(awk -v a="$t" -v b="$base" 'BEGIN { printf "%+.1f", 100 * (a - b) / b }')" "$rec" "$dis" "$ratio"
	done
}

lttng_version=$(dpkg-query -W -f='${Version}' liblttng-ust1 2>/dev/null | cut -d- -f1)

# ---- libc: json_pp ------------------------------------------------------------------
python3 - "$work/doc.json" "$JSON_ITEMS" <<'EOF'
import json, random, sys
r = random.Random(7)
d = [{"id": i, "name": "item%d" % i, "tags": ["t%d" % r.randrange(100) for _ in range(r.randrange(1, 6))],
      "price": round(r.random() * 100, 2), "nested": {"a": r.randrange(1000), "b": [r.random() for _ in range(3)]}}
     for i in range(int(sys.argv[2]))]
open(sys.argv[1], "w").write(json.dumps(d))
EOF
echo "workload: libc wrapper on json_pp ($(perl -e 'printf "perl %vd", $^V') JSON::PP, $(stat -c %s "$work/doc.json") bytes of JSON)"
bench "libc wrapper, json_pp" 'lttng_ust_libc:*' "$lttng_libdir/liblttng-ust-libc-wrapper.so.1" \
	'rseqtrace_libc:*' "$probes/librseqtrace-libc-wrapper.so" "$work/doc.json" json_pp

# ---- cyg-profile: stbwork -----------------------------------------------------------
plain=()
for ((r = 0; r < RUNS; r++)); do
	t0=$(now_ns); "$stb_plain" "$STB_SIZE" "$STB_ROUNDS" >/dev/null; t1=$(now_ns)
	plain+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
done
echo
echo "workload: stbwork $STB_SIZE x $STB_SIZE, $STB_ROUNDS rounds (libstb-dev, -finstrument-functions);" \
	"built without instrumentation it takes $(printf '%s\n' "${plain[@]}" | median) s"
bench "cyg-profile (func_entry/exit with addr + call_site)" 'lttng_ust_cyg_profile:*' \
	"$lttng_libdir/liblttng-ust-cyg-profile.so.1" 'rseqtrace_cyg_profile:*' \
	"$probes/librseqtrace-cyg-profile.so" "" "$stb" "$STB_SIZE" "$STB_ROUNDS"
bench "cyg-profile-fast (func_entry with addr, empty func_exit)" 'lttng_ust_cyg_profile_fast:*' \
	"$lttng_libdir/liblttng-ust-cyg-profile-fast.so.1" 'rseqtrace_cyg_profile_fast:*' \
	"$probes/librseqtrace-cyg-profile-fast.so" "" "$stb" "$STB_SIZE" "$STB_ROUNDS"

# shellcheck shell=bash
# Shared by the micro-benchmarks bench/parsebench.sh and bench/recordbench.sh
# (sourced, after `set -euo pipefail` and `cd` to the tree): a scratch folder,
# another revision's sources, the benchmark's message shapes, and helpers.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CC=${CC:-cc}
# shellcheck disable=SC2034 # used by the scripts that source this
FLAGS=(-O2 -std=gnu11 -D_GNU_SOURCE)

# old_sources REV: unpacks REV's src/ under $work/old and prints the folder
# that holds its syslog.c (src/ or src/proto/, by revision).
old_sources() {
	mkdir -p "$work/old"
	git archive "$1" src | tar -x -C "$work/old"
	dirname "$(find "$work/old/src" -name syslog.c | head -1)"
}

# loadgen_shapes: 1000 messages each of the loadgen shapes of make bench
# (RFC 3164 and RFC 5424, 100 bytes) in $work; prints the two file names.
loadgen_shapes() {
	local pad i
	pad=$(printf 'x%.0s' $(seq 1 50))
	for i in $(seq 1 1000); do
		printf '<13>Nov 20 12:00:00 benchhost loadgen[123]: c=0007 s=%09d %s\n' "$i" "$pad"
	done >"$work/loadgen-3164.txt"
	for i in $(seq 1 1000); do
		printf '<13>1 2024-11-20T12:00:00.000000+00:00 benchhost loadgen 123 - - c=0007 s=%09d %s\n' "$i" "$pad"
	done >"$work/loadgen-5424.txt"
	echo "$work/loadgen-3164.txt" "$work/loadgen-5424.txt"
}

fastest() { sort -n | sed -n 1p; }
pct() { awk -v o="$1" -v n="$2" 'BEGIN{printf "%+.1f%%", (n-o)*100/o}'; }

# instructions BIN ARG...: instructions of the whole run (callgrind); BIN's
# standard output goes to $work/cg.txt. Fails without valgrind.
instructions() {
	command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null || return 1
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$@" >"$work/cg.txt" 2>"$work/cg.err" || return 1
	callgrind_annotate "$work/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

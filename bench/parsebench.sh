#!/usr/bin/env bash
# Parser micro-benchmark, this tree against another revision, in one run:
#   bash bench/parsebench.sh [REV] [FILE...]
# REV defaults to main; the files default to the loadgen shapes of make bench
# (3164 and 5424, 100 bytes) and the conformance corpus's messages.  Each
# parser is run 7 times per file, alternating, and the fastest run is printed
# (the least disturbed by other load); with valgrind installed, the
# instructions per message (callgrind, 2 MB parsed) too, which load does not
# change.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-main}
shift || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/old/src"
git archive "$rev" src | tar -x -C "$work/old"
CC=${CC:-cc}
FLAGS="-O2 -std=gnu11 -D_GNU_SOURCE"
$CC $FLAGS -Isrc/proto -o "$work/new" bench/parsebench.c src/proto/syslog*.c
olddir=$(dirname "$(find "$work/old/src" -name syslog.c | head -1)")	# src/ or src/proto/, by revision
$CC $FLAGS -I"$olddir" -o "$work/old/bench" bench/parsebench.c "$olddir"/syslog*.c
if (($# == 0)); then
	pad=$(printf 'x%.0s' $(seq 1 50))
	for i in $(seq 1 1000); do
		printf '<13>Nov 20 12:00:00 benchhost loadgen[123]: c=0007 s=%09d %s\n' "$i" "$pad"
	done >"$work/loadgen-3164.txt"
	for i in $(seq 1 1000); do
		printf '<13>1 2024-11-20T12:00:00.000000+00:00 benchhost loadgen 123 - - c=0007 s=%09d %s\n' "$i" "$pad"
	done >"$work/loadgen-5424.txt"
	set -- "$work/loadgen-3164.txt" "$work/loadgen-5424.txt"
	if [[ -f tests/corpus/messages.jsonl ]]; then
		/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    l = l.strip()
    if l and not l.startswith("#"):
        r = json.loads(l)["raw"]
        if "\n" not in r: print(r)' tests/corpus/messages.jsonl >"$work/corpus.txt"
		set -- "$@" "$work/corpus.txt"
	fi
fi
fastest() { sort -n | sed -n 1p; }
pct() { awk -v o="$1" -v n="$2" 'BEGIN{printf "%+.1f%%", (n-o)*100/o}'; }
instr() { # instructions per message of one parser on one file
	local out=$work/cg.out lines
	valgrind --tool=callgrind --callgrind-out-file="$out" "$1" "$2" 2000000 >/dev/null 2>"$work/cg.err" || return 1
	lines=$(grep -c . "$2")
	callgrind_annotate "$out" 2>/dev/null | awk -v n="$lines" '/PROGRAM TOTALS/ {gsub(",", "", $1); t=$1} END {print t}' |
		awk -v n="$lines" -v f="$2" '{ printf "%s", $1 }'
}
for f in "$@"; do
	: >"$work/o"; : >"$work/n"
	for _ in 1 2 3 4 5 6 7; do
		"$work/old/bench" "$f" | awk '{print $1}' >>"$work/o"
		"$work/new" "$f" | awk '{print $1}' >>"$work/n"
	done
	o=$(fastest <"$work/o"); n=$(fastest <"$work/n")
	echo "$(basename "$f"): $rev $o ns/msg, this tree $n ns/msg ($(pct "$o" "$n"))"
	if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
		io=$(instr "$work/old/bench" "$f") && in=$(instr "$work/new" "$f") &&
			echo "    instructions (whole run, 2 MB): $rev $io, this tree $in ($(pct "$io" "$in"))"
	fi
done

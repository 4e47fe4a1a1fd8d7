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
. bench/microbench.sh
rev=${1:-main}
shift || true
olddir=$(old_sources "$rev")
"$CC" "${FLAGS[@]}" -Isrc/proto -o "$work/new" bench/parsebench.c src/proto/syslog*.c
"$CC" "${FLAGS[@]}" -I"$olddir" -o "$work/old/bench" bench/parsebench.c "$olddir"/syslog*.c
if (($# == 0)); then
	# shellcheck disable=SC2046
	set -- $(loadgen_shapes)
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
for f in "$@"; do
	: >"$work/o"; : >"$work/n"
	for _ in 1 2 3 4 5 6 7; do
		"$work/old/bench" "$f" | awk '{print $1}' >>"$work/o"
		"$work/new" "$f" | awk '{print $1}' >>"$work/n"
	done
	o=$(fastest <"$work/o"); n=$(fastest <"$work/n")
	echo "$(basename "$f"): $rev $o ns/msg, this tree $n ns/msg ($(pct "$o" "$n"))"
	if io=$(instructions "$work/old/bench" "$f" 2000000) && in=$(instructions "$work/new" "$f" 2000000); then
		echo "    instructions (whole run, 2 MB): $rev $io, this tree $in ($(pct "$io" "$in"))"
	fi
done

#!/usr/bin/env bash
# Record formatting micro-benchmark (parse + format, record_message()), this
# tree against another revision, text and json, in one run:
#   bash bench/recordbench.sh [REV] [FILE...]
# REV defaults to main; the files default to three 100-byte shapes: the
# loadgen messages of make bench (RFC 3164 and RFC 5424) and an RFC 5424
# message with structured data.  Each (revision, format) is run 7 times per
# file, alternating, and the fastest run is printed (the least disturbed by
# other load); with valgrind installed, the instructions per record
# (callgrind over 2 MB of messages) too, which load does not change.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/microbench.sh
rev=${1:-main}
shift || true
olddir=$(old_sources "$rev")
build() { # DIR OUT: recordbench with the record, escape, sender-time and parser sources in DIR
	local -a more=()
	local f
	for f in sendtime.c rec_clock.c; do	# (older revisions have neither)
		[[ -f $1/$f ]] && more+=("$1/$f")
	done
	"$CC" "${FLAGS[@]}" -I"$1" -o "$2" bench/recordbench.c "$1"/record.c "$1"/escape.c "$1"/syslog*.c \
		"${more[@]}"
}
build src/proto "$work/new"
build "$olddir" "$work/old/bench"
if (($# == 0)); then
	# shellcheck disable=SC2046
	set -- $(loadgen_shapes) "$work/sd-5424.txt"
	for i in $(seq 1 1000); do
		printf '<165>1 2024-11-20T12:00:00.000Z benchhost app 123 ID47 [ex@32473 iut="3" src="App"] c=0007 s=%09d\n' "$i"
	done >"$work/sd-5424.txt"
fi
per_record() { # BIN FORMAT FILE: instructions per record
	local total
	total=$(instructions "$@" 2000000) || return 1
	awk -v t="$total" '{ printf "%.0f", t / ($6 * $9) }' "$work/cg.txt"	# "(json, 1000 messages x 20)"
}
for f in "$@"; do
	for fmt in text json; do
		: >"$work/o"; : >"$work/n"
		for _ in 1 2 3 4 5 6 7; do
			"$work/old/bench" "$fmt" "$f" | awk '{print $1}' >>"$work/o"
			"$work/new" "$fmt" "$f" | awk '{print $1}' >>"$work/n"
		done
		o=$(fastest <"$work/o"); n=$(fastest <"$work/n")
		bytes=$("$work/new" "$fmt" "$f" 1000000 | awk '{print $3}')
		echo "$(basename "$f") $fmt: $rev $o ns/rec, this tree $n ns/rec ($(pct "$o" "$n")), $bytes bytes/rec"
		if io=$(per_record "$work/old/bench" "$fmt" "$f") && in=$(per_record "$work/new" "$fmt" "$f"); then
			echo "    instructions per record (callgrind): $rev $io, this tree $in ($(pct "$io" "$in"))"
		fi
	done
done

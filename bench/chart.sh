#!/usr/bin/env bash
# chart.sh [SUMMARY_CSV [OUT_PNG]]: bar chart of messages written per second,
# one cluster per mode, one bar per receiver (median of the runs), log scale.
# Needs gnuplot (Debian package gnuplot-nox; run.sh installs it).
set -euo pipefail
src=${1:-$(dirname "$0")/results/summary.csv}
png=${2:-$(dirname "$0")/results/chart.png}
dat=$(mktemp /tmp/benchchart.XXXXXX)
trap 'rm -f "$dat"' EXIT

/usr/bin/python3 - "$src" "$dat" <<'PY'
import csv, sys
RECEIVERS = ["rsyslog", "syslog-ng", "logserver", "logserver-batch", "sink"]
MODES = ["tcp1", "tcp50", "tcp1000", "udp-flood", "udp-paced", "short2000", "relp1", "relp50", "tcp50-rot16m", "tcp50-json"]
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
val = {(r["receiver"], r["mode"]): r["msgs_per_s"] for r in rows if r["msgs_per_s"]}
modes = [m for m in MODES if any(k[1] == m for k in val)] + sorted({k[1] for k in val} - set(MODES))
rcvs = [r for r in RECEIVERS if any(k[0] == r for k in val)]
rcvs += sorted({k[0] for k in val} - set(rcvs))
with open(sys.argv[2], "w") as f:
    f.write("mode " + " ".join(rcvs) + "\n")
    for m in modes:
        f.write(m + " " + " ".join(str(float(val[(r, m)]) / 1e6) if (r, m) in val else "?" for r in rcvs) + "\n")
PY

ncol=$(($(head -1 "$dat" | wc -w) - 1))
((ncol > 0)) || { echo "chart: no data in $src" >&2; exit 1; }
plot="\"$dat\" using 2:xtic(1) title columnheader(2)"
for ((c = 3; c <= ncol + 1; c++)); do plot+=", \"\" using $c title columnheader($c)"; done

gnuplot <<EOF
set terminal pngcairo size 1200,600 noenhanced font "sans,10"
set output "$png"
set title "Messages written per second (median of the runs; log scale)"
set ylabel "million messages / s"
set logscale y
set yrange [0.01:*]
set grid ytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top right
set datafile missing "?"
set xtics nomirror
plot $plot
EOF

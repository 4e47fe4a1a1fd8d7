#!/usr/bin/env bash
# Benchmark: the same syslog workload against rsyslog, syslog-ng, logserver
# and a trivial sink. Usage (from the repository root):
#
#   make bench                       # or: bash bench/run.sh
#   BENCH_COUNT=100000 BENCH_REPEAT=1 BENCH_MIN_SECONDS=1 BENCH_RECEIVERS="sink rsyslog" BENCH_MODES="tcp1 udp-flood4" bash bench/run.sh
#   make bench MODES="relp1 relp50"  # only the RELP comparison (MODES is BENCH_MODES)
#
# Environment:
#   BENCH_COUNT      messages of each warm-up run (default 1000000); the counted
#                    runs are scaled from the warm-up rates (see Order)
#   BENCH_MIN_SECONDS  the fastest receiver's counted run lasts this long (default 3)
#   BENCH_MAX_SECONDS  a slower receiver gets what it does in this time (default 30)
#   BENCH_MAX_COUNT  never more messages per run than this (default 20000000)
#   BENCH_REPEAT     counted runs of every (receiver, mode), medians, min and max
#                    are reported (default 3; the RELP modes use BENCH_RELP_REPEAT)
#   BENCH_RELP_REPEAT  repetitions of every RELP run (default 5)
#   BENCH_WARMUP     discarded warm-up runs of every (receiver, mode) before the
#                    counted ones (default 1)
#   BENCH_PRIME      all (default), relp or none: before every run of these
#                    modes, write a file the size of the expected output to the
#                    run directory, fdatasync it, check its blocks, delete it
#                    and sync, then check that Dirty+Writeback (/proc/meminfo)
#                    is back near where it was at the start, so that every run
#                    starts with the page cache and the file system in the
#                    same state (no dirty pages, freed blocks committed)
#   BENCH_RELP_WINDOW  RELP window of the load generator (default 128, omrelp's)
#   BENCH_RELP_COUNT   messages per RELP run (default BENCH_COUNT)
#   BENCH_RECEIVERS  subset of: rsyslog syslog-ng logserver logserver-batch sink
#                    (default: all). logserver-batch is logserver with
#                    --fsync batch and runs the RELP modes only; in them
#                    "logserver" runs with --fsync never. logserver-base (only
#                    when named) is logserver as built from BENCH_BASE_REV,
#                    with the same options: this tree against an older one,
#                    interleaved in the same run (e.g. a parser or record
#                    change: BENCH_BASE_REV=ea23b2a BENCH_RECEIVERS="logserver
#                    logserver-base" BENCH_MODES="tcp1 tcp50")
#   BENCH_UDP_WORKERS  udp-flood4: logserver --udp-workers, rsyslog imudp threads,
#                    syslog-ng so-reuseport sources, the same for all (default 2)
#   BENCH_BASE_REV   the revision logserver-base is built from (git archive of
#                    it into a temporary directory, then make bin/logserver)
#   BENCH_MODES      subset of the modes below (default: all of them; the last
#                    two are logserver-only and skipped for the others, the
#                    RELP ones are skipped for syslog-ng, which has no RELP)
#   BENCH_SIZE       message size in bytes (default 100)
#   BENCH_FORMAT     3164 or 5424 (default 3164)
#   BENCH_PORT       first port used (default 15140; runs use 15140..15239)
#   BENCH_QUIET_PCT  before each run, wait until the machine's CPUs are less
#   BENCH_QUIET_WAIT than this % busy (default 10), at most this long (default
#                    120 s); the busy % seen is recorded in results.csv
#   BENCH_MAX_OTHER  a run during which other processes (or the hypervisor's
#   BENCH_ATTEMPTS   steal) took more than this % of the CPUs (default 10) is
#                    measured again, at most this many times in all (default 3);
#                    the last attempt is kept, its other_pct is in results.csv
#
# Modes:
#   tcp1          1 TCP connection
#   tcp50         50 TCP connections, all sending
#   tcp1000       1000 TCP connections of which 50 send, 950 stay open idle
#   tcp10000      10000 TCP connections of which 50 send; also the kernel's
#                 Slab+KernelStack+PageTables growth (connections held open
#                 until it stops growing)
#   udp-flood     1 UDP sender, as fast as it can
#   udp-flood4    4 UDP sender processes, one socket each (logserver
#                 --udp-workers 2, rsyslog imudp threads="2", syslog-ng two
#                 so-reuseport sources)
#   udp-paced     1 UDP sender paced at 100,000 msg/s
#   short2000     2000 TCP connections one after another, each sends COUNT/2000
#                 messages and closes (logserver's fork-per-connection path;
#                 compare with tcp1, one long connection)
#   relp1         1 RELP connection (open, syslog frames with at most 128
#                 unacknowledged, close: as rsyslog's omrelp does); the rate
#                 is messages acknowledged per second, and every acknowledged
#                 message must be in the output file
#   relp50        50 RELP connections, all sending
#   tcp50-rot16m  tcp50, logserver with --max-size 16M (rotation every 16 MB)
#   tcp50-json    tcp50, logserver with --format json
#   tls1, tls50   1 or 50 TLS connections (RFC 5425 octet-counted frames;
#                 throw-away CA made with openssl per run; no client certs)
#   tls-short2000 2000 TLS connections one after another, full handshakes
#
# Order: mode by mode; within a mode the warm-up runs of every receiver
# (BENCH_COUNT messages), whose rates set the counted runs' messages (the
# fastest receiver's run lasts BENCH_MIN_SECONDS, a receiver that would need
# more than BENCH_MAX_SECONDS gets fewer, at most BENCH_MAX_COUNT; UDP: the
# same for all), then repetition after repetition, each running every
# receiver once, always in the same order (A B C D, A B C D, ...).
#
# Results: bench/results/results.csv (every run), bench/results/summary.csv
# (medians), bench/results/results.md and the same table on stdout,
# bench/results/chart.png. Receivers' stderr: bench/results/logs/.
# Every process started here is stopped by its pid; every wait has a deadline.
# Exit status 3 (after the report) when a receiver acknowledged RELP messages
# that are missing from its output, or a RELP run failed; see the FAILURES
# lines at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
res=$here/results
bin=$res/bin
peers=$here/peers

COUNT=${BENCH_COUNT:-1000000}
REPEAT=${BENCH_REPEAT:-3}
MIN_S=${BENCH_MIN_SECONDS:-3}
MAX_S=${BENCH_MAX_SECONDS:-30}
MAX_COUNT=${BENCH_MAX_COUNT:-20000000}
RECEIVERS=${BENCH_RECEIVERS:-"rsyslog syslog-ng logserver logserver-batch sink"}
RELP_REPEAT=${BENCH_RELP_REPEAT:-5}
RELP_WINDOW=${BENCH_RELP_WINDOW:-128}
PRIME=${BENCH_PRIME:-all}
SIZE=${BENCH_SIZE:-100}
FORMAT=${BENCH_FORMAT:-3164}
PORT0=${BENCH_PORT:-15140}
COMMON_MODES="tcp1 tcp50 tcp1000 udp-flood udp-flood4 udp-paced short2000"
TLS_MODES="tls1 tls50 tls-short2000"
SCALE_MODES="tcp10000"
RELP_MODES="relp1 relp50"
LOGSERVER_MODES="tcp50-rot16m tcp50-json"
UDP_RCVBUF=4194304	# asked of every receiver; net.core.rmem_max is 4 MiB here
IDLE_MS=2000		# "stopped growing" = no new bytes for this long after the sender finished
HOLD_MS=2000		# TCP: connections stay open this long after sending, for the PSS samples

for v in COUNT REPEAT RELP_REPEAT RELP_WINDOW SIZE FORMAT PORT0 MIN_S MAX_S MAX_COUNT; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench: $v must be a number, got '${!v}'" >&2; exit 1; }
done
((COUNT >= 1 && REPEAT >= 1 && RELP_REPEAT >= 1)) || { echo "bench: BENCH_COUNT, BENCH_REPEAT and BENCH_RELP_REPEAT must be >= 1" >&2; exit 1; }
((MAX_S >= MIN_S && MAX_COUNT >= COUNT)) || { echo "bench: BENCH_MAX_SECONDS must be >= BENCH_MIN_SECONDS and BENCH_MAX_COUNT >= BENCH_COUNT" >&2; exit 1; }
# tcp10000 holds 10,000 connections: the receivers and loadgen need the descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[[ -z ${BENCH_WARMUP:-} || ${BENCH_WARMUP} =~ ^[0-9]+$ ]] || { echo "bench: BENCH_WARMUP must be a number" >&2; exit 1; }
[[ $PRIME == relp || $PRIME == all || $PRIME == none ]] || { echo "bench: BENCH_PRIME must be relp, all or none" >&2; exit 1; }

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ---------------------------------------------------------------- build
mkdir -p "$bin" "$res/logs"
CFLAGS_BENCH="-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -D_GNU_SOURCE"
for t in sink verify watch; do
	if [[ ! -x $bin/$t || $here/$t.c -nt $bin/$t ]]; then
		log "building $t"
		cc $CFLAGS_BENCH -o "$bin/$t" "$here/$t.c"
	fi
done
LG_SRC=("$here"/loadgen.c "$here"/loadgen_relp.c "$here"/loadgen_tls.c "$here"/loadgen_senders.c)
if [[ ! -x $bin/loadgen || -n $(find "${LG_SRC[@]}" "$here/loadgen.h" -newer "$bin/loadgen") ]]; then
	log "building loadgen"
	cc $CFLAGS_BENCH -o "$bin/loadgen" "${LG_SRC[@]}" -lssl -lcrypto
fi

# ---------------------------------------------------------------- peers, gnuplot
want() { [[ " $RECEIVERS " == *" $1 "* ]]; }
if want rsyslog || want syslog-ng; then
	if ! bash "$here/peers.sh" >&2; then
		log "bench/peers.sh failed (apt-get needs root and the Debian mirror): rsyslog and syslog-ng will be skipped"
	fi
fi
if ! command -v gnuplot >/dev/null; then
	log "installing gnuplot-nox for the chart"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null 2>&1 ||
		log "gnuplot-nox could not be installed; the chart will be skipped"
fi

RS_ROOT=$peers/rsyslog
RS_LIB=$RS_ROOT/usr/lib/x86_64-linux-gnu
RS_IMRELP=$RS_LIB/rsyslog/imrelp.so
SNG_ROOT=$peers/syslog-ng
SNG_MODDIR=$(ls -d "$SNG_ROOT"/usr/lib/syslog-ng/3.* 2>/dev/null | head -1 || true)
SNG_VERSION=$(basename "${SNG_MODDIR:-3.38}")
LOGSERVER=$root/bin/logserver
LOGSERVER_BASE=""

# ---------------------------------------------------------------- process control
tmp=$(mktemp -d /tmp/logbench.XXXXXX)
if [[ " $RECEIVERS " == *" logserver-base "* ]]; then
	[[ -n ${BENCH_BASE_REV:-} ]] || { echo "bench: logserver-base needs BENCH_BASE_REV" >&2; exit 2; }
	mkdir -p "$tmp/base"
	git -C "$root" archive "$BENCH_BASE_REV" | tar -x -C "$tmp/base"
	make -s -C "$tmp/base" bin/logserver >"$tmp/base.log" 2>&1 ||
		{ echo "bench: cannot build logserver at $BENCH_BASE_REV (see $tmp/base.log)" >&2; exit 1; }
	LOGSERVER_BASE=$tmp/base/bin/logserver
fi
# udp-flood4: receiver processes (logserver), imudp threads (rsyslog),
# so-reuseport sources (syslog-ng): the same number for each.
UDP_WORKERS=${BENCH_UDP_WORKERS:-2}
RPID="" WPID="" LPID="" KPID="" CPID=""

# Descendants of $1 (pids), from /proc/*/stat.
descendants() {
	local rootpid=$1
	awk -v r="$rootpid" '
		{ sub(/^.*\) /, ""); }        # drop "pid (comm) "; $2 is now ppid
		FNR == 1 { split(FILENAME, a, "/"); pid = a[3]; ppid[pid] = $2 }
		END {
			n = 1; set[r] = 1; changed = 1
			while (changed) { changed = 0
				for (p in ppid) if (!(p in set) && (ppid[p] in set)) { set[p] = 1; changed = 1 } }
			for (p in set) if (p != r) print p
		}' /proc/[0-9]*/stat 2>/dev/null
}

alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; }

# stop PID [DEADLINE_S]: SIGTERM, wait up to the deadline, then SIGKILL; also
# ends any descendant that outlives it (each by its pid).
stop_pid() {
	local pid=$1 deadline=$((SECONDS + ${2:-10}))
	[[ -n $pid ]] || return 0
	local -a desc
	mapfile -t desc < <(descendants "$pid")
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
	if alive "$pid"; then
		log "pid $pid did not stop within the deadline; SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	local d
	deadline=$((SECONDS + 5))
	for d in "${desc[@]}"; do
		while alive "$d" && ((SECONDS < deadline)); do sleep 0.05; done
		alive "$d" && { log "descendant $d still alive; SIGKILL"; kill -KILL "$d" 2>/dev/null || true; }
	done
	return 0
}

cleanup() {
	local rc=$?
	[[ -n $LPID ]] && alive "$LPID" && kill -TERM "$LPID" 2>/dev/null || true
	[[ -n $WPID ]] && alive "$WPID" && kill -TERM "$WPID" 2>/dev/null || true
	[[ -n $KPID ]] && alive "$KPID" && kill -TERM "$KPID" 2>/dev/null || true
	[[ -n $CPID ]] && alive "$CPID" && kill -TERM "$CPID" 2>/dev/null || true
	[[ -n $RPID ]] && stop_pid "$RPID" 5
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# listening PROTO PORT: is something bound to PORT (TCP: in LISTEN state)?
listening() {
	local hex
	hex=$(printf '%04X' "$2")
	if [[ $1 == tcp ]]; then
		awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' /proc/net/tcp
	else
		awk -v h=":$hex" '$4 == "07" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' /proc/net/udp
	fi
}

# busy_pct: CPU busy percentage of the whole machine over the next 0.5 s.
busy_pct() {
	local a b
	a=$(awk '/^cpu / { print $2+$3+$4+$6+$7+$8, $2+$3+$4+$5+$6+$7+$8 }' /proc/stat)
	sleep 0.5
	b=$(awk '/^cpu / { print $2+$3+$4+$6+$7+$8, $2+$3+$4+$5+$6+$7+$8 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2];
		printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }'
}

# wait_quiet: the machine is shared; before a run, wait (at most
# BENCH_QUIET_WAIT s, default 120) until other processes use < BENCH_QUIET_PCT %
# (default 10) of the CPUs. Sets BUSY to the last measurement.
wait_quiet() {
	local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-120})) warned=0
	while :; do
		BUSY=$(busy_pct)
		((BUSY < ${BENCH_QUIET_PCT:-10})) && return 0
		if ((SECONDS >= deadline)); then
			log "machine still ${BUSY}% busy with other work; running anyway (noted in results.csv)"
			return 0
		fi
		((warned)) || { log "machine ${BUSY}% busy with other work; waiting up to ${BENCH_QUIET_WAIT:-120} s for it to calm down"; warned=1; }
		sleep 2
	done
}

# ---------------------------------------------------------------- receivers
is_relp() { [[ " $RELP_MODES " == *" $1 "* ]]; }
is_tls() { [[ " $TLS_MODES " == *" $1 "* ]]; }

# A throw-away CA and server certificate (EC P-256) for the TLS modes, made
# with openssl(1) for this run only, in $tmp/pki (deleted at the end).
PKI=$tmp/pki
make_pki() {
	mkdir -p "$PKI"
	(
		cd "$PKI"
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
		openssl req -x509 -new -key ca.key -subj "/CN=bench throw-away CA" -days 2 -out ca.pem \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key
		openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
		printf 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-extfile server.ext -days 2 -out server.pem
	) >"$tmp/pki.log" 2>&1 || { log "openssl could not make the throw-away CA: $(tail -3 "$tmp/pki.log")"; return 1; }
}

# start_receiver NAME MODE TCPPORT UDPPORT OUTDIR STATEDIR
# Sets RPID and MATCH (substring of the output file names); returns 1 with
# SKIP set to the reason when the receiver cannot run this mode. In the RELP
# modes the receiver's RELP input listens on TCPPORT.
start_receiver() {
	local name=$1 mode=$2 tport=$3 uport=$4 out=$5 st=$6
	local err=$res/logs/$name-$mode.stderr
	local -a cmd
	local maxconn=2000
	[[ $mode == tcp10000 ]] && maxconn=10100
	SKIP="" RPID=""
	case $name in
	rsyslog)
		[[ -x $RS_ROOT/usr/sbin/rsyslogd ]] || { SKIP="rsyslogd not unpacked (bench/peers.sh failed?)"; return 1; }
		# Defaults everywhere except what the benchmark needs: loopback
		# inputs, more sessions, a big UDP buffer, no DNS. omfile keeps its
		# defaults (asyncWriting off, flushOnTXEnd on): each batch is
		# written when it is done. In the RELP modes the only input is
		# imrelp with its defaults (it acknowledges a message once it is
		# in the main queue), with the same action and template.
		local inputs tlsglobal="" udpthreads=""
		# udp-flood4: two input threads, as logserver gets two UDP workers
		[[ $mode == udp-flood4 ]] && udpthreads=" threads=\"$UDP_WORKERS\""
		if is_tls "$mode"; then
			# imtcp with the ossl (OpenSSL) stream driver, TLS only
			# (Mode 1), no client authentication (anon), as the others.
			[[ -f $RS_LIB/rsyslog/lmnsd_ossl.so ]] || { SKIP="lmnsd_ossl.so not unpacked (rsyslog-openssl; bench/peers.sh failed?)"; return 1; }
			tlsglobal=" DefaultNetstreamDriver=\"ossl\" DefaultNetstreamDriverCAFile=\"$PKI/ca.pem\" DefaultNetstreamDriverCertFile=\"$PKI/server.pem\" DefaultNetstreamDriverKeyFile=\"$PKI/server.key\""
			inputs="module(load=\"imtcp\" MaxSessions=\"$maxconn\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")
input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$tport\")"
		elif is_relp "$mode"; then
			[[ -f $RS_IMRELP ]] || { SKIP="imrelp.so not unpacked (rsyslog-relp; bench/peers.sh failed?)"; return 1; }
			inputs="module(load=\"imrelp\")
input(type=\"imrelp\" address=\"127.0.0.1\" port=\"$tport\")"
		else
			inputs="module(load=\"imtcp\" MaxSessions=\"$maxconn\")
module(load=\"imudp\"$udpthreads)
input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$tport\")
input(type=\"imudp\" address=\"127.0.0.1\" port=\"$uport\" rcvbufSize=\"$UDP_RCVBUF\")"
		fi
		cat >"$st/rsyslog.conf" <<-EOF
			global(workDirectory="$st" net.enableDNS="off"$tlsglobal)
			$inputs
			action(type="omfile" file="$out/rsyslog.log" template="RSYSLOG_TraditionalFileFormat")
		EOF
		MATCH=rsyslog.log
		cmd=(env LD_LIBRARY_PATH="$RS_LIB" "$RS_ROOT/usr/sbin/rsyslogd" -n -f "$st/rsyslog.conf"
			-i "$st/rsyslog.pid" -M "$RS_LIB/rsyslog")
		;;
	syslog-ng)
		[[ -x $SNG_ROOT/usr/sbin/syslog-ng && -n $SNG_MODDIR ]] || { SKIP="syslog-ng not unpacked (bench/peers.sh failed?)"; return 1; }
		# Defaults except: loopback sources, max-connections 2000, the
		# log-fifo-size syslog-ng itself asks for with that many
		# connections (2000 x 100 window), a big UDP buffer, no DNS,
		# and flow-control so that TCP is lossless as with rsyslog.
		# The file destination's default template is the traditional format.
		# TLS: the syslog() source (RFC 5425 octet-counted frames, what
		# loadgen --tls sends; network() would want LF lines), no client
		# certificate asked for (optional-untrusted). udp-flood4: two UDP
		# sources on the same port with so-reuseport, as the others get
		# two receivers.
		local srcs
		if is_tls "$mode"; then
			srcs="syslog(ip(\"127.0.0.1\") port($tport) transport(\"tls\") max-connections($maxconn) listen-backlog(2048)
			    tls(key-file(\"$PKI/server.key\") cert-file(\"$PKI/server.pem\") peer-verify(optional-untrusted)));"
		else
			srcs="network(ip(\"127.0.0.1\") port($tport) transport(\"tcp\") max-connections($maxconn) listen-backlog(2048));"
			local nudp=1 reuse="" i
			[[ $mode == udp-flood4 ]] && { nudp=$UDP_WORKERS; reuse=" so-reuseport(1)"; }
			for ((i = 0; i < nudp; i++)); do
				srcs+="
			  network(ip(\"127.0.0.1\") port($uport) transport(\"udp\") so-rcvbuf($UDP_RCVBUF)$reuse persist-name(\"udp$i\"));"
			done
		fi
		cat >"$st/syslog-ng.conf" <<-EOF
			@version: $SNG_VERSION
			options { use-dns(no); dns-cache(no); use-fqdn(no); keep-hostname(yes); chain-hostnames(no); stats-freq(0); log-fifo-size($((maxconn * 100))); };
			source s_net {
			  $srcs
			};
			destination d_file { file("$out/syslog-ng.log"); };
			log { source(s_net); destination(d_file); flags(flow-control); };
		EOF
		MATCH=syslog-ng.log
		cmd=(env LD_LIBRARY_PATH="$SNG_ROOT/usr/lib/syslog-ng" "$SNG_ROOT/usr/sbin/syslog-ng" -F --no-caps
			-f "$st/syslog-ng.conf" --module-path="$SNG_MODDIR" --persist-file="$st/syslog-ng.persist"
			--pidfile="$st/syslog-ng.pid" --control="$st/syslog-ng.ctl")
		;;
	sink)
		MATCH=sink.log
		cmd=("$bin/sink" --bind 127.0.0.1 --port "$tport" --udp-port "$uport" --udp-rcvbuf "$UDP_RCVBUF" --out "$out/sink.log")
		is_relp "$mode" && cmd+=(--relp)
		;;
	logserver | logserver-batch | logserver-base)
		local ls=$LOGSERVER
		[[ $name == logserver-base ]] && ls=$LOGSERVER_BASE
		[[ -x $ls ]] || { SKIP="bin/logserver not built yet (run make)"; return 1; }
		# The server is young: use an option only when its --help lists it,
		# and skip the modes that need a missing one.
		local ls_help
		ls_help=$("$ls" --help 2>&1 || true)
		has() { [[ $ls_help == *"$1"* ]]; }
		MATCH=logserver-
		local -a opt=()
		local maxsize=1G
		case $mode in
		tcp50-rot16m) maxsize=16M ;;
		tcp50-json) has --format || { SKIP="bin/logserver has no --format yet"; return 1; }
			opt+=(--format json) ;;
		esac
		local lport=$tport
		has --max-per-ip && opt+=(--max-per-ip "$maxconn")	# every connection comes from 127.0.0.1
		if [[ $mode == udp-flood4 ]]; then
			has --udp-workers || { SKIP="bin/logserver has no --udp-workers yet"; return 1; }
			opt+=(--udp-workers "$UDP_WORKERS")
		fi
		if is_tls "$mode"; then
			# TLS on TCPPORT, the plain TCP listener on UDPPORT, no UDP.
			has --tls-port || { SKIP="bin/logserver has no --tls-port yet"; return 1; }
			opt+=(--tls-port "$tport" --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" --tls-auth anon
				--udp-port 0)
			has --relp-port && opt+=(--relp-port 0)
			lport=$uport
		elif is_relp "$mode"; then
			# RELP on TCPPORT; the plain TCP listener moves to UDPPORT.
			has --relp-port || { SKIP="bin/logserver has no --relp-port yet"; return 1; }
			has --fsync || { SKIP="bin/logserver has no --fsync yet"; return 1; }
			opt+=(--relp-port "$tport" --fsync "$([[ $name == logserver-batch ]] && echo batch || echo never)")
			lport=$uport
			has --udp-port && opt+=(--udp-port 0)
		else
			has --relp-port && opt+=(--relp-port 0)	# its default port (2514) could collide
			if has --udp-port; then
				opt+=(--udp-port "$uport")
				has --udp-rcvbuf && opt+=(--udp-rcvbuf "$UDP_RCVBUF")
			elif [[ $mode == udp-* ]]; then
				SKIP="bin/logserver has no --udp-port yet"; return 1
			fi
		fi
		# no query service: not measured, and its default port could collide
		has --query-port && opt+=(--query-port 0)
		cmd=("$ls" -c /dev/null -p "$lport" -d "$out" --max-size "$maxsize" --max-files 100
			--on-start new --max-clients "$maxconn" --bind 127.0.0.1 "${opt[@]}")
		;;
	*)
		SKIP="unknown receiver"; return 1 ;;
	esac
	"${cmd[@]}" >"$err" 2>&1 </dev/null &
	RPID=$!
	local deadline=$((SECONDS + 15)) ok=0
	while ((SECONDS < deadline)); do
		alive "$RPID" || break
		if listening tcp "$tport" && { [[ $mode != udp-* ]] || listening udp "$uport"; }; then ok=1; break; fi
		sleep 0.05
	done
	((ok)) && return 0
	local why
	why=$(tail -n 3 "$err" | tr '\n' ' ')
	stop_pid "$RPID" 5
	RPID=""
	SKIP="$name did not start listening within 15 s: ${why:-no output} (see $err)"
	return 1
}

# ---------------------------------------------------------------- modes
# mode_setup MODE: sets LG (loadgen arguments without port), CONNS (sending
# connections, for verify), PROTO (tcp|udp|relp); returns 1 if MODE is unknown.
mode_setup() {
	PROTO=tcp
	case $1 in
	tcp1) LG=(--tcp 1); CONNS=1 ;;
	tcp50 | tcp50-rot16m | tcp50-json) LG=(--tcp 50); CONNS=50 ;;
	tcp1000) LG=(--tcp 1000 --active 50); CONNS=50 ;;
	tcp10000) LG=(--tcp 10000 --active 50); CONNS=50 ;;
	udp-flood) LG=(--udp); CONNS=1; PROTO=udp ;;
	udp-flood4) LG=(--udp --senders 4); CONNS=4; PROTO=udp ;;
	tls1) LG=(--tcp 1 --tls); CONNS=1 ;;
	tls50) LG=(--tcp 50 --tls); CONNS=50 ;;
	tls-short2000) LG=(--tcp 2000 --sequential --tls); CONNS=2000 ;;
	udp-paced) LG=(--udp --rate 100000); CONNS=1; PROTO=udp ;;
	short2000) LG=(--tcp 2000 --sequential); CONNS=2000 ;;
	relp1) LG=(--tcp 1 --relp --window "$RELP_WINDOW"); CONNS=1; PROTO=relp ;;
	relp50) LG=(--tcp 50 --relp --window "$RELP_WINDOW"); CONNS=50; PROTO=relp ;;
	*) return 1 ;;
	esac
}

# runs_mode RECEIVER MODE: does this receiver take part in this mode?
runs_mode() {
	local r=$1 m=$2
	if is_relp "$m"; then
		[[ $r != syslog-ng ]]	# syslog-ng has no RELP input
	elif [[ " $LOGSERVER_MODES " == *" $m "* ]]; then
		[[ $r == logserver || $r == logserver-base ]]
	elif is_tls "$m" || [[ " $SCALE_MODES " == *" $m "* ]]; then
		[[ $r != sink && $r != logserver-batch ]]	# the sink speaks no TLS; 10,000 connections: the peers
	else
		[[ $r != logserver-batch ]]	# --fsync only concerns RELP
	fi
}

# BENCH_MODES, or MODES (make bench MODES="relp1 relp50"), or all.
ALL_MODES=${BENCH_MODES:-${MODES:-"$COMMON_MODES $RELP_MODES $LOGSERVER_MODES $TLS_MODES $SCALE_MODES"}}

# ---------------------------------------------------------------- one run
CSV=$res/results.csv
# rep is 0 for a warm-up run (status warmup when it went well; not counted).
# For RELP, seconds is until the last acknowledgement, msgs_per_s = acked /
# seconds; file_s is until the last line was in the file (all modes).
echo "receiver,mode,rep,count,sent,written,unique,lost,lost_pct,dup,ooo,send_s,seconds,msgs_per_s,cpu_s,pss_mb,max_procs,busy_pct,other_pct,attempts,acked,file_s,kern_mb,conns,status,note,user_s,sender_cpu_s" >"$CSV"
runno=0
FAILURES=()	# RELP runs that failed or lost acknowledged messages: reported loudly, exit status 3

kv() { sed -n "s/^$1=//p" "$2" | head -1; }

mode_count() { if is_relp "$1"; then echo "${BENCH_RELP_COUNT:-$COUNT}"; else echo "$COUNT"; fi; }

record() { # record RECEIVER MODE REP STATUS NOTE [20 fields: sent .. attempts acked file_s kern_mb conns]
	local r=$1 m=$2 rep=$3 status=$4 note=${5//,/;}
	shift 5
	if (($# == 0)); then set -- "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" "" ""; fi
	local IFS=,
	echo "$r,$m,$rep,$CUR_COUNT,$*,$status,$note,${USER_S:-},${SENDER_S:-}" >>"$CSV"
	USER_S="" SENDER_S=""
}

# loud MESSAGE: a failure that must not go unnoticed (RELP: an acknowledged
# message missing, a NAK, a broken session).
loud() {
	FAILURES+=("$*")
	log "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	log "!!! FAILURE: $*"
	log "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
}

dirty_kb() { awk '/^(Dirty|Writeback):/ { s += $2 } END { print s + 0 }' /proc/meminfo; }
kern_kb() { awk '/^(Slab|KernelStack|PageTables):/ { s += $2 } END { print s + 0 }' /proc/meminfo; }

# prime_cache DIR BYTES: the same page-cache and file-system state before
# every run: write BYTES (the size of the expected output) to a file in DIR,
# fdatasync it, delete it, sync (which also commits the freed blocks). The
# check: the file really had BYTES on disk before it was deleted (st_blocks),
# and afterwards Dirty+Writeback in /proc/meminfo is back under
# PRIME_DIRTY_KB (8 MiB above what it was when the harness started, i.e.
# nothing of the prime file nor of the previous run is still to be written),
# polled with sync for at most 10 s. Sets PRIME_NOTE when the check failed.
PRIME_DIRTY_KB=$(($(dirty_kb) + 8192))
prime_cache() {
	local mib=$((($2 + 1048575) / 1048576)) deadline=$((SECONDS + 10)) blocks d
	PRIME_NOTE=""
	dd if=/dev/zero of="$1/prime" bs=1M count="$mib" conv=fdatasync status=none
	blocks=$(stat -c %b "$1/prime")
	((blocks * 512 >= mib * 1048576)) || PRIME_NOTE="prime file has only $((blocks / 2048)) of $mib MiB on disk"
	rm -f "$1/prime"
	sync
	while d=$(dirty_kb); ((d > PRIME_DIRTY_KB)); do
		((SECONDS < deadline)) || { PRIME_NOTE="${PRIME_NOTE:+$PRIME_NOTE; }prime check: Dirty+Writeback still $((d / 1024)) MiB after sync"; break; }
		sleep 0.2
		sync
	done
	[[ -z $PRIME_NOTE ]] || log "$PRIME_NOTE"
}

# run_one RECEIVER MODE REP: one measurement, repeated (at most
# BENCH_ATTEMPTS times, default 3) while other work on the machine took more
# than BENCH_MAX_OTHER % (default 10) of its CPUs during the run.
run_one() {
	local r=$1 m=$2 rep=$3
	mode_setup "$m" || { log "unknown mode $m"; return 0; }
	runs_mode "$r" "$m" || return 0
	if [[ $m == *short2000 ]] && ((CUR_COUNT < 2000)); then
		log "$r $m: fewer than 2000 messages, skipped"; return 0
	fi
	local attempt max=${BENCH_ATTEMPTS:-3}
	for ((attempt = 1; attempt <= max; attempt++)); do
		ROW=() OTHER=0
		run_attempt "$r" "$m" "$rep"
		((${#ROW[@]})) || return 0	# skipped or failed: already recorded
		[[ ${ROW[0]} == LOST ]] && break	# never measured away
		if ((attempt < max)) && awk -v o="$OTHER" -v l="${BENCH_MAX_OTHER:-10}" 'BEGIN { exit !(o > l) }'; then
			log "$r $m rep $rep: other work took ${OTHER}% of the CPUs during the run; measuring again"
			continue
		fi
		break
	done
	local status=${ROW[0]}
	if [[ $status == ok ]]; then LAST_RATE=${ROW[11]}; fi
	((rep == 0)) && [[ $status == ok ]] && status=warmup
	record "$r" "$m" "$rep" "$status" "${ROW[1]}" "${ROW[@]:2:14}" "$OTHER" "$attempt" "${ROW[@]:16}"
}

# run_attempt RECEIVER MODE REP: sets ROW (status, note, fields) and OTHER,
# or records a skipped/failed run itself and leaves ROW empty.
run_attempt() {
	local r=$1 m=$2 rep=$3
	local count=$CUR_COUNT
	local tport=$((PORT0 + (runno % 50) * 2)) uport=$((PORT0 + (runno % 50) * 2 + 1))
	runno=$((runno + 1))
	local rd=$tmp/run
	rm -rf "$rd"
	mkdir -p "$rd/out" "$rd/state"
	PRIME_NOTE=""
	if [[ $PRIME == all ]] || { [[ $PRIME == relp ]] && is_relp "$m"; }; then
		prime_cache "$rd" $((count * (SIZE + 64)))
	else
		sync
	fi
	local kbase
	kbase=$(kern_kb)
	wait_quiet
	if ! start_receiver "$r" "$m" "$tport" "$uport" "$rd/out" "$rd/state"; then
		log "$r $m: SKIPPED: $SKIP"
		record "$r" "$m" "$rep" skipped "$SKIP"
		return 0
	fi
	# Generous deadline: 20k msg/s worst case (RELP: 5k), or the paced duration, plus 60 s.
	local tmo=$((60 + count / 20000))
	[[ $PROTO == relp ]] && tmo=$((60 + count / 5000))
	[[ $m == tcp10000 ]] && tmo=$((tmo + 300))	# opening 10,000 connections (logserver: forking 10,000 children)
	"$bin/watch" --dir "$rd/out" --match "$MATCH" --expect "$count" --pid "$RPID" \
		--idle-ms "$IDLE_MS" --timeout "$tmo" >"$rd/watch.out" 2>"$rd/watch.err" &
	WPID=$!
	local deadline=$((SECONDS + 10))
	until grep -q '^ready=1' "$rd/watch.out" 2>/dev/null; do
		if ! alive "$WPID" || ((SECONDS >= deadline)); then
			log "$r $m: watcher did not start: $(cat "$rd/watch.err")"
			stop_pid "$WPID" 2; WPID=""
			stop_pid "$RPID"; RPID=""
			record "$r" "$m" "$rep" failed "watcher did not start"
			return 0
		fi
		sleep 0.01
	done
	# Many connections: the kernel's own memory (Slab+KernelStack+PageTables)
	# sampled every 0.5 s, its peak minus what it was before the receiver started.
	if [[ $m == tcp1000 || $m == tcp10000 ]]; then
		(
			peak=0
			while :; do
				v=$(kern_kb)
				((v > peak)) && { peak=$v; echo "$peak" >"$rd/kern.peak"; }
				sleep 0.5
			done
		) &
		KPID=$!
	fi
	local lrc=0 hold=$HOLD_MS
	[[ -n $KPID ]] && hold=120000
	"$bin/loadgen" --host 127.0.0.1 --port "$([[ $PROTO == udp ]] && echo "$uport" || echo "$tport")" \
		"${LG[@]}" --count "$count" --size "$SIZE" --format "$FORMAT" --timeout 60 --hold-ms "$hold" \
		>"$rd/loadgen.out" 2>"$rd/loadgen.err" &
	LPID=$!
	# Many connections: the senders are done before a process-per-connection
	# receiver has served every connection, so the connections stay open
	# until the receiver has a child per connection (a logserver older than
	# its connection holder; a current one holds idle connections without
	# children), or else
	# until the kernel's memory has stopped growing (by 1 MiB within 3 s;
	# tcp10000: 10 s), 120 s at most; then loadgen is told to end its hold.
	if [[ -n $KPID ]]; then
		local nconn=${LG[1]} stable_s=3
		[[ $m == tcp10000 ]] && stable_s=10
		(
			until grep -q '^holding=1' "$rd/loadgen.out" 2>/dev/null; do alive "$LPID" || exit 0; sleep 0.2; done
			last=$(kern_kb) t=$SECONDS
			while alive "$LPID" && ((SECONDS - t < stable_s)); do
				sleep 0.5
				kids=$(wc -w <"/proc/$RPID/task/$RPID/children" 2>/dev/null || echo 0)
				((kids >= nconn)) && { sleep 1; break; }
				v=$(kern_kb)
				if ((v > last + 1024)); then last=$v t=$SECONDS; fi
			done
			kill -USR1 "$LPID" 2>/dev/null || true
		) &
		CPID=$!
	fi
	# loadgen's own deadline: --timeout without progress; this one bounds the whole run.
	local ldeadline=$((SECONDS + tmo + 130))
	while alive "$LPID" && ((SECONDS < ldeadline)); do sleep 0.1; done
	if alive "$LPID"; then log "$r $m: loadgen still running after $((tmo + 130)) s; SIGTERM"; kill -TERM "$LPID" || true; fi
	wait "$LPID" || lrc=$?
	LPID=""
	if [[ -n $CPID ]]; then kill -TERM "$CPID" 2>/dev/null || true; wait "$CPID" 2>/dev/null || true; CPID=""; fi
	if [[ -n $KPID ]]; then kill -TERM "$KPID" 2>/dev/null || true; wait "$KPID" 2>/dev/null || true; KPID=""; fi
	kill -USR1 "$WPID" 2>/dev/null || true
	# The watcher ends by itself (its --timeout bounds it); this is a backstop.
	deadline=$((SECONDS + tmo + 15))
	while alive "$WPID" && ((SECONDS < deadline)); do sleep 0.05; done
	alive "$WPID" && kill -TERM "$WPID"
	wait "$WPID" 2>/dev/null || true
	WPID=""
	local ralive=1
	alive "$RPID" || ralive=0
	stop_pid "$RPID"
	RPID=""

	local vout=$rd/verify.out
	local -a vopt=()
	local apc=""
	if [[ $PROTO == relp ]]; then
		# which messages were acknowledged (also when loadgen failed half-way)
		apc=$(kv acked_per_conn "$rd/loadgen.out")
		[[ -n $apc ]] && vopt+=(--acked "$apc")
	fi
	"$bin/verify" --conns "$CONNS" --count "$count" --match "$MATCH" "${vopt[@]}" "$rd/out" >"$vout" 2>&1 || true
	local first end sent lend
	first=$(kv first_byte_ns "$rd/loadgen.out")
	lend=$(kv end_ns "$rd/loadgen.out")
	sent=$(kv sent "$rd/loadgen.out")
	end=$(kv end_ns "$rd/watch.out")
	local written unique lost dup ooo
	written=$(kv written "$vout") unique=$(kv unique "$vout") lost=$(kv lost "$vout")
	dup=$(kv dup "$vout") ooo=$(kv ooo "$vout")
	local cpu pss procs reached
	cpu=$(kv cpu_s "$rd/watch.out") pss=$(kv peak_pss_kb "$rd/watch.out")
	USER_S=$(kv user_s "$rd/watch.out")	# recorded with the run's row (record)
	SENDER_S=$(kv cpu_s "$rd/loadgen.out")	# the load generator and its sender processes
	procs=$(kv max_procs "$rd/watch.out") reached=$(kv reached "$rd/watch.out")
	local status=ok note=""
	if ((lrc != 0)) || [[ -z $first || -z $end || -z $unique ]]; then
		status=failed
		note="loadgen rc=$lrc $(tr '\n' ' ' <"$rd/loadgen.err" | cut -c1-300)"
		[[ -z $end ]] && note="$note watcher: $(tr '\n' ' ' <"$rd/watch.err" | cut -c1-200)"
		log "$r $m rep $rep: FAILED: $note"
		if [[ $PROTO == relp ]]; then
			local amiss
			amiss=$(kv acked_missing "$vout")
			loud "$r $m rep $rep: the RELP run failed: $note; verify: ${amiss:-?} of $(kv acked "$vout") acknowledged messages missing from the file, dup=$dup, $unique of $count written"
		fi
		record "$r" "$m" "$rep" "$status" "$note"
		return 0
	fi
	((ralive)) || { status=crashed; note="receiver exited during the run"; }
	[[ $reached == 1 || $PROTO == udp ]] || note="${note:+$note; }stopped growing before all lines arrived"
	[[ $(kv timeout "$rd/watch.out") == 1 ]] && note="${note:+$note; }watcher timed out"
	local slow
	slow=$(kv connect_slow "$rd/loadgen.out")
	((${slow:-0} > 0)) && note="${note:+$note; }$slow connects took > 100 ms (SYN dropped: listen queue overflow)"
	local retries
	retries=$(kv tls_retries "$rd/loadgen.out")
	((${retries:-0} > 0)) && note="${note:+$note; }$retries TLS handshakes broken off by the receiver and made again"
	local secs rate lostpct pssmb sends filesecs acked="" ackend kernmb=""
	[[ -f $rd/kern.peak ]] && kernmb=$(awk -v p="$(cat "$rd/kern.peak")" -v b="$kbase" 'BEGIN { printf "%.1f", (p - b) / 1024 }')
	[[ -n $PRIME_NOTE ]] && note="${note:+$note; }$PRIME_NOTE"
	sends=$(awk -v a="$first" -v b="$lend" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	filesecs=$(awk -v a="$first" -v b="$end" 'BEGIN { d = (b - a) / 1e9; if (d <= 0) d = 1e-9; printf "%.3f", d }')
	secs=$filesecs
	rate=$(awk -v u="$unique" -v s="$secs" 'BEGIN { printf "%.0f", u / s }')
	if [[ $PROTO == relp ]]; then
		# The rate is acknowledgements per second; every acknowledged
		# message must be in the file.
		acked=$(kv acked "$rd/loadgen.out") ackend=$(kv ack_end_ns "$rd/loadgen.out")
		secs=$(awk -v a="$first" -v b="$ackend" 'BEGIN { d = (b - a) / 1e9; if (d <= 0) d = 1e-9; printf "%.3f", d }')
		rate=$(awk -v u="$acked" -v s="$secs" 'BEGIN { printf "%.0f", u / s }')
		local amiss
		amiss=$(kv acked_missing "$vout")
		if [[ -z $amiss || $amiss != 0 || $lost != 0 ]]; then
			status=LOST
			note="${note:+$note; }${amiss:-?} ACKNOWLEDGED MESSAGES MISSING FROM THE FILE"
			loud "$r $m rep $rep: $acked messages acknowledged, ${amiss:-?} of them are not in the output file ($unique of $count written)"
		fi
		if ((dup > 0)); then
			note="${note:+$note; }$dup messages written twice"
			loud "$r $m rep $rep: $dup messages written more than once (loadgen never resends)"
		fi
		((ooo > 0)) && note="${note:+$note; }$ooo out of order"
	fi
	lostpct=$(awk -v l="$lost" -v c="$count" 'BEGIN { printf "%.2f", 100 * l / c }')
	pssmb=$(awk -v k="$pss" 'BEGIN { printf "%.1f", k / 1024 }')
	# Interference: CPU time of processes outside the harness and the
	# receiver, plus hypervisor steal, as a share of all CPUs over the run.
	local ocpu steal window
	ocpu=$(kv other_cpu_s "$rd/watch.out") steal=$(kv steal_s "$rd/watch.out") window=$(kv window_s "$rd/watch.out")
	OTHER=$(awk -v o="${ocpu:-0}" -v s="${steal:-0}" -v t="${window:-0}" -v n="$(nproc)" \
		'BEGIN { printf "%.0f", (t > 0 ? 100 * (o + s) / (t * n) : 0) }')
	log "$r $m rep $rep: $(printf '%8.3f s %10s msg/s lost %s%% dup %s ooo %s cpu %ss (user %ss) pss %sMB procs %s other %s%%' \
		"$secs" "$rate" "$lostpct" "$dup" "$ooo" "$cpu" "${USER_S:-?}" "$pssmb" "$procs" "$OTHER")${note:+ ($note)}"
	ROW=("$status" "$note" "$sent" "$written" "$unique" "$lost" "$lostpct" "$dup" "$ooo"
		"$sends" "$secs" "$rate" "$cpu" "$pssmb" "$procs" "$BUSY" "$acked" "$filesecs" "$kernmb" "$(kv connections "$rd/loadgen.out")")
	rm -rf "$rd"
}

if [[ " $ALL_MODES " == *" tls"* ]] && ! make_pki; then
	log "the TLS modes will fail: no certificate"
fi

# What was measured, for the report.
META=$res/meta.txt
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) CPUs, shared with other work)"
	echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null)"
	echo "workload: messages of $SIZE bytes, RFC $FORMAT; warm-up runs of $COUNT messages (RELP: $(mode_count relp1)); counted runs scaled to >= $MIN_S s for the fastest receiver, at most $MAX_COUNT messages and $MAX_S s per receiver; $REPEAT repetition(s) (RELP: $RELP_REPEAT), window $RELP_WINDOW"
	[[ -x $RS_ROOT/usr/sbin/rsyslogd ]] && echo "rsyslog: $("$RS_ROOT/usr/sbin/rsyslogd" -v 2>/dev/null | head -1 | awk '{ print $2 }')"
	[[ -x $SNG_ROOT/usr/sbin/syslog-ng ]] && echo "syslog-ng: $(LD_LIBRARY_PATH=$SNG_ROOT/usr/lib/syslog-ng "$SNG_ROOT/usr/sbin/syslog-ng" --version 2>/dev/null | head -1 | sed 's/^syslog-ng [0-9]* //; s/[()]//g')"
	if [[ -x $LOGSERVER ]]; then
		echo "logserver: $("$LOGSERVER" --version 2>/dev/null | head -1), built $(date -u -r "$LOGSERVER" +%Y-%m-%dT%H:%M:%SZ), repository at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$root" status --porcelain -- src 2>/dev/null) ]] && echo ' (src/ has uncommitted changes)')"
	fi
	[[ -f $RS_IMRELP ]] && echo "imrelp: rsyslog-relp $(dpkg-deb -f "$(ls "$peers"/debs/rsyslog-relp_*.deb 2>/dev/null | tail -1)" Version 2>/dev/null || echo '?'), librelp0 $(dpkg-query -W -f='${Version}' librelp0 2>/dev/null || echo '?')"
	echo "output: $(df -PT "$tmp" | awk 'NR == 2 { print $2 " on " $1 }') (the runs' directory, $tmp), mounted $(findmnt -no OPTIONS -T "$tmp" 2>/dev/null || echo '?')"
	echo "order: per mode, ${BENCH_WARMUP:-1} warm-up run(s) per receiver, then the repetitions, receivers interleaved in the same order (A B C D, A B C D, ...); page cache primed before each run of: $PRIME modes (checked: prime file on disk, Dirty+Writeback back under $((PRIME_DIRTY_KB / 1024)) MiB)"
	echo "udp-flood4: 4 sender processes, one socket each; logserver --udp-workers $UDP_WORKERS, rsyslog imudp threads=$UDP_WORKERS, syslog-ng $UDP_WORKERS udp sources with so-reuseport(1)"
	echo "tls: throw-away EC P-256 CA per run (openssl), no client certificate (logserver --tls-auth anon, rsyslog ossl StreamDriver.Mode=1 AuthMode=anon, syslog-ng syslog() tls peer-verify(optional-untrusted)); loadgen: OpenSSL $(openssl version | awk '{ print $2 }'), octet-counted frames, no session resumption"
} >"$META"
while read -r line; do log "$line"; done <"$META"

# scaled_counts MODE BASE RECEIVER...: sets RCOUNT[receiver] from the warm-up
# rates in WRATE: enough messages that the fastest receiver's run lasts
# BENCH_MIN_SECONDS (plus 10 %), at most BENCH_MAX_COUNT, and for a receiver
# that would need more than BENCH_MAX_SECONDS for them, what it does in
# BENCH_MAX_SECONDS (TCP, TLS, RELP; in the UDP modes the sender sets the
# pace, so every receiver gets the same count). Without a warm-up rate: BASE.
scaled_counts() {
	local m=$1 base=$2 r fastest=0 n
	shift 2
	for r in "$@"; do
		[[ -n ${WRATE[$r]:-} ]] && ((WRATE[$r] > fastest)) && fastest=${WRATE[$r]}
	done
	n=$base
	((fastest > 0)) && n=$(awk -v f="$fastest" -v s="$MIN_S" 'BEGIN { printf "%.0f", f * s * 1.1 }')
	((n > MAX_COUNT)) && n=$MAX_COUNT
	[[ $m == *short2000 ]] && ((n < 2000)) && n=2000
	for r in "$@"; do
		RCOUNT[$r]=$n
		if [[ $m != udp-* && -n ${WRATE[$r]:-} ]]; then
			local cap
			cap=$(awk -v f="${WRATE[$r]}" -v s="$MAX_S" 'BEGIN { printf "%.0f", f * s }')
			[[ $m == *short2000 ]] && ((cap < 2000)) && cap=2000
			if ((cap < n)); then RCOUNT[$r]=$cap; fi
		fi
	done
	return 0
}

# Mode by mode: the warm-up runs of every receiver (BENCH_COUNT messages,
# not counted; their rates scale the counted runs), then the repetitions,
# every receiver once per repetition, always in the same order (A B C D,
# A B C D, ...).
declare -A WRATE RCOUNT
for m in $ALL_MODES; do
	rs=()
	for r in $RECEIVERS; do runs_mode "$r" "$m" && rs+=("$r"); done
	((${#rs[@]})) || continue
	if is_relp "$m"; then reps=$RELP_REPEAT; else reps=$REPEAT; fi
	warm=${BENCH_WARMUP:-1}
	WRATE=() RCOUNT=()
	base=$(mode_count "$m")
	for ((w = 0; w < warm; w++)); do
		for r in "${rs[@]}"; do
			CUR_COUNT=$base LAST_RATE=""
			run_one "$r" "$m" 0
			if [[ -n $LAST_RATE ]]; then WRATE[$r]=$LAST_RATE; fi
		done
	done
	scaled_counts "$m" "$base" "${rs[@]}"
	log "$m: messages per counted run: $(for r in "${rs[@]}"; do printf '%s %s  ' "$r" "${RCOUNT[$r]}"; done)"
	for ((rep = 1; rep <= reps; rep++)); do
		for r in "${rs[@]}"; do
			CUR_COUNT=${RCOUNT[$r]}
			run_one "$r" "$m" "$rep"
		done
	done
done

/usr/bin/python3 "$here/report.py" "$CSV" "$res/summary.csv" "$res/results.md" "$META"
if command -v gnuplot >/dev/null; then
	bash "$here/chart.sh" "$res/summary.csv" "$res/chart.png" && log "chart: $res/chart.png"
fi
if ((${#FAILURES[@]})); then
	log "!!! ${#FAILURES[@]} FAILURE(S), see above and results.csv:"
	for f in "${FAILURES[@]}"; do log "!!!   $f"; done
	exit 3
fi

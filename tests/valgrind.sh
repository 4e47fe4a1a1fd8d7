#!/usr/bin/env bash
# make valgrind: the unit tests, then a server serving TCP, RELP, UDP, TLS, a
# query and a metrics scrape under valgrind (memcheck; the sandbox off, as valgrind's own system
# calls are not in the children's allow-lists). Any error, or a definite
# leak in a unit test, fails. Loopback only; every process ended by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."
VG=(valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite)
for t in build/tests/test_*; do
	# (test_sandbox loads seccomp filters: valgrind's own system calls break them)
	[ "$(basename "$t")" = test_sandbox ] && continue
	echo "== valgrind $t"
	"${VG[@]}" "$t" >/dev/null
done

work=$(mktemp -d /tmp/lsvg-XXXXXX)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port); R=$(port); Q=$(port); T=$(port); M=$(port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 \
	-keyout "$work/k.pem" -out "$work/c.pem" 2>/dev/null
echo "== valgrind logserver (TCP, RELP, UDP, TLS, query, metrics)"
# --track-fds=no: the children inherit the listeners by design.
valgrind -q --error-exitcode=9 --log-file="$work/vg.%p" ./bin/logserver -p "$P" -u "$P" \
	--relp-port "$R" --query-port "$Q" --query-bind 127.0.0.1 --tls-port "$T" \
	--tls-cert "$work/c.pem" --tls-key "$work/k.pem" --metrics-port "$M" --stats-interval 1 \
	--sandbox off -d "$work/logs" \
	</dev/null >"$work/out" 2>&1 &
srv=$!
for _ in $(seq 300); do
	[ -d "$work/logs" ] && python3 -c "import socket; socket.create_connection(('127.0.0.1',$Q),1)" 2>/dev/null && break
	sleep 0.1
done
./bin/logclient --plain -H 127.0.0.1 -p "$P" "valgrind tcp"
./bin/logclient -H 127.0.0.1 -p "$R" "valgrind relp"
printf 'valgrind tls\n' | ./bin/logclient --plain --tls --ca "$work/c.pem" -H 127.0.0.1 -p "$T"
python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'valgrind udp', ('127.0.0.1', $P))"
./bin/logclient -H 127.0.0.1 --query-port "$Q" list >/dev/null
python3 -c "import urllib.request as u; assert b'logserver_messages_total' in u.urlopen('http://127.0.0.1:$M/metrics', timeout=30).read()"
for _ in $(seq 300); do
	grep -q "valgrind udp" "$work"/logs/*.log 2>/dev/null && break
	sleep 0.1
done
kill -TERM "$srv"
rc=0; wait "$srv" || rc=$?
srv=
for m in "valgrind tcp" "valgrind relp" "valgrind tls" "valgrind udp" "stats (shutdown) server:"; do
	grep -q "$m" "$work"/logs/*.log || { echo "valgrind: '$m' not in the log" >&2; exit 1; }
done
if [ "$rc" -ne 0 ] || grep -l . "$work"/vg.* >/dev/null 2>&1; then
	cat "$work"/vg.* "$work/out" >&2
	echo "valgrind: errors above (server exit $rc)" >&2
	exit 1
fi
echo "valgrind: clean"

#!/usr/bin/env bash
# Puts rsyslog and syslog-ng into bench/peers/<name>/ WITHOUT installing the
# packages (they conflict with each other and their postinst would start a
# system service). The .debs are fetched with `apt-get download` and unpacked
# with `dpkg -x`; only their plain shared-library dependencies are installed
# normally with apt-get (a library package starts no service).
#
# Idempotent: a peer whose binary is already unpacked is left alone.
# Usage: bash bench/peers.sh            (needs root for apt-get install)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
peers=$here/peers
mkdir -p "$peers"

# Shared libraries rsyslog (+liblognorm) and syslog-ng-core link against.
libs=(libestr0 libfastjson4 liblognorm5 libuuid1 libzstd1 zlib1g
      libcap2 libglib2.0-0 libivykis0 libjson-c5 libnet1 libpcre3 libssl3 libwrap0 libsystemd0)

need_install=()
for p in "${libs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || need_install+=("$p")
done

have() { [[ -x $peers/$1 ]]; }
if have rsyslog/usr/sbin/rsyslogd && have syslog-ng/usr/sbin/syslog-ng && ((${#need_install[@]} == 0)); then
	echo "peers: rsyslog and syslog-ng already unpacked in $peers"
	exit 0
fi

if ((${#need_install[@]})); then
	echo "peers: installing libraries: ${need_install[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_install[@]}" >/dev/null; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_install[@]}" >/dev/null
	fi
fi

dl=$peers/debs
mkdir -p "$dl"
fetch() { # fetch PKG...: apt-get download into $dl (retries once after apt-get update)
	(cd "$dl" && apt-get download -qq "$@" 2>/dev/null) ||
		{ apt-get update -qq && (cd "$dl" && apt-get download -qq "$@"); }
}

unpack() { # unpack NAME BINARY PKG...
	local name=$1 bin=$2
	shift 2
	if have "$name/$bin"; then return 0; fi
	rm -rf "${peers:?}/$name" && mkdir -p "$peers/$name"
	for p in "$@"; do
		ls "$dl"/"${p}"_*.deb >/dev/null 2>&1 || fetch "$p"
		for deb in "$dl"/"${p}"_*.deb; do
			dpkg -x "$deb" "$peers/$name"
			echo "peers: unpacked $(basename "$deb") into $peers/$name"
		done
	done
	have "$name/$bin" || { echo "peers: $name: $bin missing after unpack" >&2; exit 1; }
}

unpack rsyslog usr/sbin/rsyslogd rsyslog
unpack syslog-ng usr/sbin/syslog-ng syslog-ng-core

"$peers/rsyslog/usr/sbin/rsyslogd" -v | head -1
LD_LIBRARY_PATH=$peers/syslog-ng/usr/lib/x86_64-linux-gnu:$peers/syslog-ng/usr/lib/syslog-ng \
	"$peers/syslog-ng/usr/sbin/syslog-ng" --version | head -2

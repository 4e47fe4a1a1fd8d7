#!/usr/bin/env bash
# Puts rsyslog (with its RELP input, imrelp, from the rsyslog-relp package,
# and its OpenSSL network stream driver, lmnsd_ossl, from rsyslog-openssl, for
# the TLS modes) and syslog-ng into bench/peers/<name>/ WITHOUT installing the packages (they
# conflict with each other and their postinst would start a system service).
# The .debs are fetched with `apt-get download` and unpacked with `dpkg -x`
# (rsyslog-relp and rsyslog-openssl into the same tree as rsyslog, so that
# rsyslogd -M finds imrelp.so and lmnsd_ossl.so next to imtcp.so); only their plain shared-library dependencies
# (librelp0 for imrelp) are installed normally with apt-get (a library
# package starts no service).
#
# Idempotent: a peer whose binary is already unpacked is left alone.
# Usage: bash bench/peers.sh            (needs root for apt-get install)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
peers=$here/peers
mkdir -p "$peers"

# Shared libraries rsyslog (+liblognorm) and syslog-ng-core link against.
libs=(libestr0 libfastjson4 liblognorm5 libuuid1 libzstd1 zlib1g
      libcap2 libglib2.0-0 libivykis0 libjson-c5 libnet1 libpcre3 libssl3 libwrap0 libsystemd0
      librelp0 libgnutls30)

need_install=()
for p in "${libs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || need_install+=("$p")
done

have() { [[ -x $peers/$1 ]]; }
IMRELP=rsyslog/usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so
LMOSSL=rsyslog/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so
if have rsyslog/usr/sbin/rsyslogd && [[ -f $peers/$IMRELP && -f $peers/$LMOSSL ]] && have syslog-ng/usr/sbin/syslog-ng &&
	((${#need_install[@]} == 0)); then
	echo "peers: rsyslog (with imrelp and the ossl driver) and syslog-ng already unpacked in $peers"
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

# add_on NAME FILE PKG: unpacks PKG into the existing tree $peers/NAME
# (without emptying it first) unless FILE is already there.
add_on() {
	local name=$1 file=$2 pkg=$3
	[[ -f $peers/$name/$file ]] && return 0
	ls "$dl"/"${pkg}"_*.deb >/dev/null 2>&1 || fetch "$pkg"
	for deb in "$dl"/"${pkg}"_*.deb; do
		dpkg -x "$deb" "$peers/$name"
		echo "peers: unpacked $(basename "$deb") into $peers/$name"
	done
	[[ -f $peers/$name/$file ]] || { echo "peers: $name: $file missing after unpacking $pkg" >&2; exit 1; }
}

unpack rsyslog usr/sbin/rsyslogd rsyslog
add_on rsyslog usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so rsyslog-relp
add_on rsyslog usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so rsyslog-openssl
unpack syslog-ng usr/sbin/syslog-ng syslog-ng-core

"$peers/rsyslog/usr/sbin/rsyslogd" -v | head -1
LD_LIBRARY_PATH=$peers/syslog-ng/usr/lib/x86_64-linux-gnu:$peers/syslog-ng/usr/lib/syslog-ng \
	"$peers/syslog-ng/usr/sbin/syslog-ng" --version | head -2

#!/usr/bin/env bash
# Makes the interop peers available to tests/interop without installing any
# syslog daemon as a system service.
#
#   bash tests/interop/peers.sh [logger] [rsyslog] [rsyslog-relp] [syslog-ng]   (default: all)
#
# logger    util-linux logger with RFC 5424 / octet-count support (bsdutils):
#           installed with apt-get when missing (a plain tool, no service).
# rsyslog   rsyslog and syslog-ng-core conflict as Debian packages and their
# syslog-ng postinst would start a system service, so they are never installed:
#           `apt-get download` fetches the .deb and `dpkg -x` unpacks it into
#           $INTEROP_PEERS_DIR/<name>/ (default: tests/interop/.peers/).
#           Only the shared libraries the .deb depends on (lib*, zlib*) are
#           installed with apt-get; a library package starts no service.
# rsyslog-relp  rsyslog's RELP modules (omrelp.so, imrelp.so) from Debian's
#           rsyslog-relp package of exactly the version of the unpacked
#           rsyslog (the modules must match rsyslogd), unpacked with dpkg -x
#           into rsyslog's tree so that `rsyslogd -M MODDIR` finds them beside
#           imtcp.so; its libraries (librelp0) installed with apt-get. Implies
#           rsyslog.
# rsyslog-tls  rsyslog's TLS stream drivers (lmnsd_ossl.so from rsyslog-openssl,
#           lmnsd_gtls.so from rsyslog-gnutls), the same way as rsyslog-relp:
#           exactly the unpacked rsyslog's version, into its tree; their
#           libraries (libssl3, libgnutls30) installed with apt-get. Implies rsyslog.
#
# Idempotent: does nothing for a peer that is already usable. Installing needs
# root; without it, it exits 3 naming what is missing. Exit 0: all usable.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
peers=${INTEROP_PEERS_DIR:-$here/.peers}
mkdir -p "$peers/debs"

# One installer at a time (two pytest sessions may share the cache).
exec 9>"$peers/.lock"
flock -w 600 9 || { echo "peers: could not lock $peers/.lock" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() { # once per run
	if ((updated == 0)); then
		apt-get update -qq || true
		updated=1
	fi
}
need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "peers: not root, cannot install: $*" >&2
		exit 3
	fi
}
installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]; }
apt_install() { # apt_install PKG...: installs the ones not installed yet
	local todo=() p
	for p in "$@"; do installed "$p" || todo+=("$p"); done
	((${#todo[@]})) || return 0
	need_root "${todo[*]}"
	echo "peers: apt-get install ${todo[*]}"
	apt-get install -y -qq --no-install-recommends "${todo[@]}" >/dev/null 2>&1 ||
		{ apt_update && apt-get install -y -qq --no-install-recommends "${todo[@]}" >/dev/null; }
}

fetch() { # fetch PKG [VERSION]: path of PKG's .deb in $peers/debs (downloaded when missing)
	local p=$1 v=${2:-} debs glob spec
	# a .deb's file name spells the version's epoch colon as %3a
	if [[ -n $v ]]; then glob="${p}_${v/:/%3a}_"; spec="$p=$v"; else glob="${p}_"; spec=$p; fi
	shopt -s nullglob
	debs=("$peers/debs/$glob"*.deb)
	if ((${#debs[@]} == 0)); then
		(cd "$peers/debs" && apt-get download -qq "$spec" >/dev/null 2>&1) ||
			{ apt_update && (cd "$peers/debs" && apt-get download -qq "$spec" >/dev/null); }
		debs=("$peers/debs/$glob"*.deb)
	fi
	shopt -u nullglob
	((${#debs[@]})) || { echo "peers: could not download $p" >&2; return 1; }
	echo "${debs[-1]}"
}

lib_depends() { # lib_depends DEB: its shared-library dependencies (first alternative of each)
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' |
		grep -E '^(lib|zlib)' | grep -v '^libc6$' || true
}

unpack() { # unpack NAME BINARY PKG: PKG's .deb unpacked into $peers/NAME, libraries installed
	local name=$1 bin=$2 pkg=$3 deb
	if [[ -x $peers/$name/$bin && -f $peers/$name/.complete ]]; then
		# shellcheck disable=SC2046
		apt_install $(cat "$peers/$name/.libs")
		return 0
	fi
	command -v apt-get >/dev/null || { echo "peers: no apt-get on this machine" >&2; exit 3; }
	deb=$(fetch "$pkg")
	local libs
	libs=$(lib_depends "$deb" | tr '\n' ' ')
	# shellcheck disable=SC2086
	apt_install $libs
	rm -rf "${peers:?}/$name" && mkdir -p "$peers/$name"
	dpkg -x "$deb" "$peers/$name"
	echo "$libs" >"$peers/$name/.libs"
	dpkg-deb -f "$deb" Version >"$peers/$name/.version"
	[[ -x $peers/$name/$bin ]] || { echo "peers: $name: $bin missing after unpacking $deb" >&2; exit 1; }
	touch "$peers/$name/.complete"
	echo "peers: unpacked $(basename "$deb") into $peers/$name"
}

deb_version() { # deb_version NAME PKG: Debian version of PKG unpacked into $peers/NAME
	if [[ ! -s $peers/$1/.version ]]; then
		# a tree unpacked before .version was recorded: its changelog's first line
		zcat "$peers/$1/usr/share/doc/$2/changelog.Debian.gz" 2>/dev/null | head -1 |
			sed -nE 's/^[^ ]+ \(([^)]+)\).*/\1/p' >"$peers/$1/.version" || true
	fi
	[[ -s $peers/$1/.version ]] || { echo "peers: $1: version of $2 unknown" >&2; exit 1; }
	cat "$peers/$1/.version"
}

has_files() { # has_files DIR NAME...: every NAME is a file somewhere under DIR
	local d=$1 n
	shift
	for n in "$@"; do [[ -n $(find "$d" -name "$n" -type f -print -quit) ]] || return 1; done
}

add_on() { # add_on NAME BASEPKG PKG FILE...: PKG's .deb, of the very version of BASEPKG
	# unpacked in $peers/NAME, unpacked into that tree too (FILEs found there afterwards)
	local name=$1 base=$2 pkg=$3 deb ver libs
	shift 3
	local mark=$peers/$name/.complete-$pkg
	if [[ -f $mark ]] && has_files "$peers/$name" "$@"; then
		# shellcheck disable=SC2046
		apt_install $(cat "$mark")
		return 0
	fi
	command -v apt-get >/dev/null || { echo "peers: no apt-get on this machine" >&2; exit 3; }
	ver=$(deb_version "$name" "$base")
	deb=$(fetch "$pkg" "$ver") ||
		{ echo "peers: $pkg $ver (the version of the unpacked $base) is not available" >&2; exit 1; }
	libs=$(lib_depends "$deb" | tr '\n' ' ')
	# shellcheck disable=SC2086
	apt_install $libs
	dpkg -x "$deb" "$peers/$name"
	has_files "$peers/$name" "$@" ||
		{ echo "peers: $name: $* not all found after unpacking $deb" >&2; exit 1; }
	echo "$libs" >"$mark"
	echo "peers: unpacked $(basename "$deb") into $peers/$name"
}

want=("$@")
((${#want[@]})) || want=(logger rsyslog rsyslog-relp syslog-ng)
for w in "${want[@]}"; do
	case $w in
	logger)
		if ! logger --help 2>/dev/null | grep -q -- '--sd-id'; then
			apt_install bsdutils
			# an old bsdutils lacks RFC 5424 options: upgrade it
			logger --help 2>/dev/null | grep -q -- '--sd-id' || {
				need_root bsdutils
				apt_update
				apt-get install -y -qq --only-upgrade bsdutils >/dev/null
			}
		fi
		;;
	rsyslog) unpack rsyslog usr/sbin/rsyslogd rsyslog ;;
	rsyslog-relp)
		unpack rsyslog usr/sbin/rsyslogd rsyslog
		add_on rsyslog rsyslog rsyslog-relp omrelp.so imrelp.so
		;;
	rsyslog-tls)
		unpack rsyslog usr/sbin/rsyslogd rsyslog
		add_on rsyslog rsyslog rsyslog-openssl lmnsd_ossl.so
		add_on rsyslog rsyslog rsyslog-gnutls lmnsd_gtls.so
		;;
	syslog-ng) unpack syslog-ng usr/sbin/syslog-ng syslog-ng-core ;;
	*)
		echo "peers: unknown peer $w (logger, rsyslog, rsyslog-relp, rsyslog-tls, syslog-ng)" >&2
		exit 2
		;;
	esac
done

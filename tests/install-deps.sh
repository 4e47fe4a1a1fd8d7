#!/usr/bin/env bash
# Installs the test dependencies that are missing (Debian packages), when run as root.
# Used by `make test`; safe to run again: it does nothing when all is present.
set -euo pipefail

need=()
# Build dependencies (`make run` installs only these: tests/install-deps.sh build).
[ -f /usr/include/seccomp.h ]                || need+=(libseccomp-dev)
[ -f /usr/include/openssl/ssl.h ]            || need+=(libssl-dev)
[ -f /usr/include/microhttpd.h ]             || need+=(libmicrohttpd-dev)
command -v gcc >/dev/null                    || need+=(gcc)
command -v make >/dev/null                   || need+=(make)
if [ "${1:-}" != build ]; then
[ -f /usr/include/cmocka.h ]                 || need+=(libcmocka-dev)
command -v openssl >/dev/null                || need+=(openssl)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
command -v clang >/dev/null                  || need+=(clang)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
  || ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 \
  || need+=(libclang-rt-14-dev)
command -v jq >/dev/null                     || need+=(jq)
command -v cppcheck >/dev/null               || need+=(cppcheck)
command -v valgrind >/dev/null               || need+=(valgrind)
command -v openssl >/dev/null                || need+=(openssl)
command -v logger >/dev/null                 || need+=(bsdutils)
# tests/ops: man pages, the systemd unit, the Debian package (make deb).
command -v mandoc >/dev/null                 || need+=(mandoc)
command -v groff >/dev/null                  || need+=(groff-base)
command -v systemd-analyze >/dev/null        || need+=(systemd)
[ -x /bin/kill ]                             || need+=(procps)
command -v dpkg-buildpackage >/dev/null      || need+=(dpkg-dev)
command -v dh >/dev/null                     || need+=(debhelper)
command -v lintian >/dev/null                || need+=(lintian)
command -v fakeroot >/dev/null               || need+=(fakeroot)
command -v git >/dev/null                    || need+=(git)
command -v promtool >/dev/null               || need+=(prometheus)	# promtool check metrics
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

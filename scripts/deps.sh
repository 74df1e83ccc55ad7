#!/usr/bin/env bash
# deps.sh [--check] [--bench] — install the Debian packages dnssec-doctor needs
# to build, test and run its demo. Runs `apt-get update` once, then installs
# only what is missing. --check: exit 1 if something is missing, install nothing.
# Name servers and resolvers that Debian starts on install are stopped again:
# the tests start their own, inside a private network namespace.
set -eu
PKGS=(
	meson ninja-build pkg-config gcc libc6-dev
	libldns-dev libssl-dev libevent-dev libjansson-dev libcmocka-dev libjemalloc-dev
	ldnsutils nsd unbound bind9-dnsutils
	jq iproute2 util-linux procps
	clang libclang-rt-14-dev clang-format valgrind
	libidn2-dev curl python3 python3-dnspython chromium
	libsqlite3-dev sqlite3 prometheus
)
# The browser test runs playwright-core 1.65 (npm), which wants Node.js 20 or later: Debian's
# nodejs and npm unless a Node.js with npm is already there (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 || PKGS+=(nodejs npm)
BENCH_PKGS=(bc hyperfine wrk dnsperf time dnsviz zonemaster-cli)
check=0
for a in "$@"; do
	case $a in
	--check) check=1 ;;
	--bench) PKGS+=("${BENCH_PKGS[@]}") ;;
	*) echo "deps.sh: unknown argument $a" >&2; exit 3 ;;
	esac
done
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ $check = 1 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages (${missing[*]}); run 'make deps' as root" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian may start the packaged daemons; ours run in their own namespace, but
# a system-wide NSD, Unbound or Prometheus is not ours to leave running.
for svc in nsd unbound prometheus; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	fi
	service "$svc" stop >/dev/null 2>&1 || true
done
for pidfile in /run/nsd/nsd.pid /run/unbound.pid /var/run/nsd/nsd.pid; do
	[ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
done
echo "deps.sh: done"

#!/bin/sh
# netns.sh CMD [ARGS...] -- run CMD inside a private network namespace that
# has only the loopback interface (brought up).  If we are already inside
# such a namespace (DD_IN_NETNS=1 and no interface but lo), just exec CMD.
#
# Nothing run through this script can send a packet to a non-loopback
# address: the namespace has no other interface.
set -eu

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 3
fi

only_lo() {
    # true when the current network namespace has no interface but lo
    [ -z "$(ip -o link show 2>/dev/null | awk -F': ' '$2 != "lo"')" ]
}

if [ "${DD_IN_NETNS:-}" = 1 ] && only_lo; then
    exec "$@"
fi

export DD_IN_NETNS=1
if [ "$(id -u)" = 0 ]; then
    exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' netns.sh "$@"
else
    # unprivileged: a user namespace maps us to root inside it
    exec unshare --net --map-root-user -- sh -c 'ip link set lo up && exec "$@"' netns.sh "$@"
fi

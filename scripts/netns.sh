#!/bin/bash
# Hosts on one machine for the multi-host test: network namespaces joined by a bridge.
#
#   scripts/netns.sh up NAME PREFIX   # PREFIX: three octets, e.g. 10.231.7
#   scripts/netns.sh down NAME
#
# `up` creates the namespaces NAME-a, NAME-b, NAME-c (the hosts, addresses PREFIX.1, .2, .3/24
# on their eth0, loopback up) and NAME-br, which holds the bridge br0 and the other ends of the
# three veth pairs (NAME-a1, NAME-b1, NAME-c1). Taking a host off the network:
#   ip -n NAME-br link set NAME-c1 down     (and `up` to bring it back)
# `down` deletes the four namespaces (their interfaces go with them); it never fails.
# NAME must be at most 12 characters (interface names hold 15). Needs root and iproute2.
set -euo pipefail

command=${1:?usage: netns.sh up NAME PREFIX | down NAME}
name=${2:?NAME missing}
if [ ${#name} -gt 12 ]; then
  echo "netns.sh: NAME '$name' is longer than 12 characters" >&2
  exit 2
fi

case "$command" in
  up)
    prefix=${3:?PREFIX missing (three octets, e.g. 10.231.7)}
    ip netns add "$name-br"
    ip -n "$name-br" link set lo up
    ip -n "$name-br" link add br0 type bridge
    ip -n "$name-br" link set br0 up
    i=1
    for host in a b c; do
      ip netns add "$name-$host"
      ip -n "$name-$host" link set lo up
      ip link add "$name-${host}0" type veth peer name "$name-${host}1"
      ip link set "$name-${host}0" netns "$name-$host"
      ip link set "$name-${host}1" netns "$name-br"
      ip -n "$name-$host" link set "$name-${host}0" name eth0
      ip -n "$name-$host" addr add "$prefix.$i/24" dev eth0
      ip -n "$name-$host" link set eth0 up
      ip -n "$name-br" link set "$name-${host}1" master br0
      ip -n "$name-br" link set "$name-${host}1" up
      i=$((i + 1))
    done
    ;;
  down)
    for ns in "$name-a" "$name-b" "$name-c" "$name-br"; do
      ip netns del "$ns" 2>/dev/null || true
    done
    ;;
  *)
    echo "netns.sh: unknown command '$command' (up or down)" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Captures the real kernel ctnetlink vectors embedded in CapturedConntrackVectors.java (run as root;
# needs iproute2, iptables (nft or legacy), conntrack-tools, python3).
# Usage: capture-conntrack-vectors.sh [outdir]  -> prints every captured datagram as hex; also
#        writes them to outdir/*.hex
#
# Three throw-away namespaces: client C (10.88.1.2) -> router R -> server S (198.51.100.2).
# R masquerades UDP leaving towards S (198.51.100.1). Nothing here touches the default namespace:
# every rule, socket and conntrack entry lives in the namespaces, deleted on exit even on failure.
#
#  1. events.hex   conntrack NEW + DESTROY events seen in R by a raw NETLINK_NETFILTER socket
#                  bound to groups NFNLGRP_CONNTRACK_NEW|NFNLGRP_CONNTRACK_DESTROY: the client's
#                  flow 10.88.1.2:40000 -> 198.51.100.2:3478 (NEW), then `conntrack -D` (DESTROY),
#                  then an IPv6 flow ::1 -> ::1 in R (NEW, family AF_INET6).
#  2. replies.hex  the kernel's answers in R to hand-built requests sent from python:
#                  the DNAT create vector of ConntrackEncodeTest (ACK, then EEXIST on the second send),
#                  and a create with a 2-byte CTA_TIMEOUT (policy failure, extended ack text),
#                  once with NETLINK_CAP_ACK (capped) and once without (original message echoed).
# A re-run gives the same layout; CTA_ID, nlmsg_pid (port ids) and timeouts differ from run to run.
set -euo pipefail
OUT=${1:-./ctcap}; mkdir -p "$OUT"
C=ctc$$c; R=ctc$$r; S=ctc$$s
cleanup() { for n in $C $R $S; do ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
for n in $C $R $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add vc netns $C type veth peer name vrc netns $R
ip link add vs netns $S type veth peer name vrs netns $R
ip -n $C addr add 10.88.1.2/24 dev vc;      ip -n $R addr add 10.88.1.1/24 dev vrc
ip -n $S addr add 198.51.100.2/24 dev vs;   ip -n $R addr add 198.51.100.1/24 dev vrs
for p in "$C vc" "$R vrc" "$R vrs" "$S vs"; do set -- $p; ip -n $1 link set $2 up; done
ip -n $C route add default via 10.88.1.1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $R iptables -t nat -A POSTROUTING -o vrs -p udp -j MASQUERADE
# IPv6 conntrack hooks are only registered in a namespace once something needs them
ip netns exec $R ip6tables -A OUTPUT -m conntrack --ctstate NEW -j ACCEPT

# ---- 1. events
ip netns exec $R python3 - "$OUT/events.hex" 6 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)          # NETLINK_NETFILTER
s.bind((0, (1 << (1 - 1)) | (1 << (3 - 1))))                       # groups NEW(1) | DESTROY(3)
s.settimeout(float(sys.argv[2]))
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "w") as out:
    try:
        while True:
            out.write(s.recv(65536).hex() + "\n"); out.flush()
    except socket.timeout:
        pass
PY
listener=$!
for _ in $(seq 50); do [ -e "$OUT/events.hex.ready" ] && break; sleep 0.1; done
# S echoes one datagram so the flow sees a reply
ip netns exec $S python3 -c '
import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.51.100.2",3478)); s.settimeout(5)
d,a=s.recvfrom(100); s.sendto(d,a)' &
echo_pid=$!
sleep 0.5
ip netns exec $C python3 -c '
import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.88.1.2",40000)); s.settimeout(3)
s.sendto(b"conenatd", ("198.51.100.2",3478)); print("client got", s.recv(100))'
wait $echo_pid || true
echo "== conntrack -L in R"; ip netns exec $R conntrack -L -f ipv4 2>/dev/null
ip netns exec $R conntrack -D -p udp --orig-src 10.88.1.2 >/dev/null 2>&1
ip netns exec $R python3 -c '
import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1",40001)); s.sendto(b"v6", ("::1",9))'
wait $listener || true

# ---- 2. replies to hand-built requests
ip netns exec $R python3 - "$OUT/replies.hex" <<'PY'
import socket, struct, sys
def tlv(t, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, t) + payload + bytes((-n) % 4)
def nest(t, *kids):
    return tlv(t | 0x8000, b"".join(kids))
def tuple_(t, src, sport, dst, dport):
    return nest(t,
        nest(1, tlv(1, socket.inet_aton(src)), tlv(2, socket.inet_aton(dst))),
        nest(2, tlv(1, bytes([17])), tlv(2, struct.pack(">H", sport)), tlv(3, struct.pack(">H", dport))))
def create(seq, timeout_attr):
    body = bytes([2, 0, 0, 0]) \
        + tuple_(1, "198.51.100.7", 3478, "203.0.113.1", 40000) \
        + tuple_(2, "203.0.113.1", 40000, "198.51.100.7", 3478) \
        + nest(13, tlv(1, socket.inet_aton("10.0.0.2")), tlv(2, socket.inet_aton("10.0.0.2")),
               nest(3, tlv(1, struct.pack(">H", 5000)), tlv(2, struct.pack(">H", 5000)))) \
        + timeout_attr
    return struct.pack("<IHHII", 16 + len(body), 0x0100, 0x605, seq, 0) + body
def ask(capped, msg):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
    s.bind((0, 0))
    s.setsockopt(270, 11, 1)                  # NETLINK_EXT_ACK
    s.setsockopt(270, 10, 1 if capped else 0) # NETLINK_CAP_ACK
    s.send(msg); r = s.recv(65536); s.close(); return r
good = create(7, tlv(7, struct.pack(">I", 120)))
bad = create(9, tlv(7, struct.pack(">H", 120)))
with open(sys.argv[1], "w") as out:
    for label, capped, msg in [("create-ack", True, good), ("create-eexist", True, good),
                               ("badtimeout-capped", True, bad), ("badtimeout-uncapped", False, bad)]:
        out.write(label + " " + ask(capped, msg).hex() + "\n")
    out.write("request-create " + good.hex() + "\n")
PY
echo "== conntrack -L in R after the DNAT create"; ip netns exec $R conntrack -L -f ipv4 2>/dev/null
echo "== events"; cat "$OUT/events.hex"
echo "== replies"; cat "$OUT/replies.hex"

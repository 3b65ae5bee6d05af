#!/usr/bin/env bash
# Captures the real nfnetlink_queue vectors embedded in NfQueueKernelVectorsTest.java (run as root;
# needs iproute2, iptables (nft or legacy), python3).
# Usage: capture-nfqueue-vectors.sh [outdir] -> prints every message sent / datagram received as hex
#
# One throw-away namespace Q with 10.89.0.1/32 on its loopback; an NFQUEUE rule (queue 7) for
# UDP to port 9 in its INPUT chain. Nothing touches the default namespace; Q is deleted on exit.
# python3 speaks raw NETLINK_NETFILTER: it sends the config messages laid out exactly as
# NfQueue.bind() builds them (NFQA_CFG_CMD bind AF_INET; NFQA_CFG_PARAMS copy_range 0xffff
# COPY_PACKET, QUEUE_MAXLEN 1024, MASK FAIL_OPEN, FLAGS FAIL_OPEN), records the kernel's ACKs, sends
# one datagram 10.89.0.1:40000 -> 10.89.0.1:9, records the packet message, answers with the verdict
# laid out as NfQueue.verdict() builds it (NF_ACCEPT, mark 0x2a) plus NLM_F_ACK so the kernel's
# acceptance is visible, and records that ACK. A second packet gets the verdict without NLM_F_ACK,
# exactly as the daemon sends it; the receiving socket then gets the datagram.
set -euo pipefail
OUT=${1:-./nfqcap}; mkdir -p "$OUT"
Q=nfq$$q
cleanup() { ip netns del $Q 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $Q
ip -n $Q link set lo up
ip -n $Q addr add 10.89.0.1/32 dev lo
ip netns exec $Q iptables -A INPUT -p udp -d 10.89.0.1 --dport 9 -j NFQUEUE --queue-num 7
ip netns exec $Q python3 - "$OUT/nfqueue.hex" <<'PY'
import socket, struct, sys
out = open(sys.argv[1], "w")
def log(label, b):
    line = label + " " + b.hex(); print(line); out.write(line + "\n"); out.flush()
def tlv(t, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, t) + payload + bytes((-n) % 4)
def msg(mtype, flags, seq, family, res_id, attrs):
    body = struct.pack(">BBH", family, 0, res_id) + attrs
    return struct.pack("<IHHII", 16 + len(body), mtype, flags, seq, 0) + body
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
nl.bind((0, 0))
nl.setsockopt(270, 11, 1); nl.setsockopt(270, 10, 1)   # NETLINK_EXT_ACK, NETLINK_CAP_ACK
nl.settimeout(3)
REQ_ACK = 0x01 | 0x04
bind = msg(0x0302, REQ_ACK, 100, 0, 7, tlv(1, struct.pack(">BBH", 1, 0, 2)))
params = msg(0x0302, REQ_ACK, 101, 0, 7,
             tlv(2, struct.pack(">IB", 0xffff, 2)) + tlv(3, struct.pack(">I", 1024))
             + tlv(4, struct.pack(">I", 1)) + tlv(5, struct.pack(">I", 1)))
for label, m in [("config-bind", bind), ("config-params", params)]:
    log("sent-" + label, m); nl.send(m); log("ack-" + label, nl.recv(65536))
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); rx.bind(("10.89.0.1", 9)); rx.settimeout(3)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); tx.bind(("10.89.0.1", 40000))
def verdict(flags, pid, mark):
    return msg(0x0301, flags, 0, 0, 7, tlv(2, struct.pack(">II", 1, pid)) + tlv(3, struct.pack(">I", mark)))
for i, flags in enumerate([REQ_ACK, 0x01]):
    tx.sendto(b"queued!" if i == 0 else b"second", ("10.89.0.1", 9))
    pkt = nl.recv(65536); log("packet-%d" % i, pkt)
    pid = struct.unpack(">I", pkt[24:28])[0]   # nlmsghdr 16 + nfgenmsg 4 + nlattr 4 -> packet_id
    v = verdict(flags, pid, 0x2a); log("sent-verdict-%d" % i, v); nl.send(v)
    if flags & 0x04: log("ack-verdict-%d" % i, nl.recv(65536))
    print("delivered", rx.recv(100))
PY

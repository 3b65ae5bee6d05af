#!/usr/bin/env bash
# Captures the nf_tables netlink vectors embedded in CapturedNftVectors.java (run as root; needs
# iproute2, nft, strace, python3).
# Usage: capture-nftables-vectors.sh [outdir]  -> prints every captured datagram as hex; also
#        writes them to outdir/*.hex
#
# One throw-away network namespace holding the table conenatd; nothing touches the default
# namespace. The namespace is deleted on exit, even on failure.
#
#  1. nft.hex      what nft itself sends and receives (strace -e write=3 -e read=3 dumps the whole
#                  datagram of every sendmsg/recvmsg on nft's netlink socket, fd 3):
#                  add/delete of map elements, an element with a timeout, and the GETSETELEM dumps
#                  behind `nft list map` / `nft list set`.
#  2. replies.hex  the kernel's answers to hand-built batches sent from python (NETLINK_EXT_ACK on,
#                  NETLINK_CAP_ACK on): an add with NLM_F_ACK (ACK), the same add with NLM_F_EXCL
#                  (EEXIST), an add to a map that does not exist (ENOENT), a key of the wrong size
#                  (EINVAL), an add that changes an existing element's data (EBUSY).
# A re-run gives the same layout; port ids, expirations and handles differ from run to run.
set -euo pipefail
OUT=${1:-./nftcap}; mkdir -p "$OUT"
N=nftcap$$
cleanup() { ip netns del $N 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $N
ip netns exec $N nft -f - <<'EOF'
table ip conenatd {
  map out_udp { type ipv4_addr . inet_service : inet_service; }
  map in_udp  { type inet_service : ipv4_addr . inet_service; }
  set seen    { type ipv4_addr . inet_service; flags timeout; }
}
EOF

# strace's "| 00000  14 00 ..." hex dump lines -> one "label call hex" line per syscall
hexdump_of() {
  python3 -c '
import re, sys
label = sys.argv[1]; call = None; buf = []
def flush():
    if call and buf: print(label, call, "".join(buf))
for line in sys.stdin:
    m = re.match(r"^(\w+)\(3,", line)
    if m:
        flush(); call = m.group(1); buf = []
    elif line.startswith(" | "):
        buf.append(line[10:58].replace(" ", ""))
flush()' "$1"
}
nft_traced() { # label, nft arguments...
  local label=$1; shift
  ip netns exec $N strace -qq -e trace=sendmsg,sendto,recvmsg -e write=3 -e read=3 -o "$OUT/strace.txt" nft "$@"
  hexdump_of "$label" < "$OUT/strace.txt" | grep -v ' recvmsg $' >> "$OUT/nft.hex"
}
: > "$OUT/nft.hex"
nft_traced add-out add element ip conenatd out_udp '{ 10.0.0.101 . 5000 : 20000 }'
nft_traced add-in add element ip conenatd in_udp '{ 20000 : 10.0.0.101 . 5000 }'
nft_traced del-out delete element ip conenatd out_udp '{ 10.0.0.101 . 5000 }'
nft_traced add-seen add element ip conenatd seen '{ 10.0.0.101 . 5000 timeout 30s }'
ip netns exec $N nft add element ip conenatd out_udp '{ 10.0.0.101 . 5000 : 20000, 10.0.0.102 . 40000 : 20001 }'
nft_traced list-out list map ip conenatd out_udp
nft_traced list-seen list set ip conenatd seen

# ---- 2. replies to hand-built batches
ip netns exec $N python3 - "$OUT/replies.hex" <<'PY'
import socket, struct, sys
def tlv(t, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, t) + payload + bytes((-n) % 4)
def nest(t, *kids):
    return tlv(t | 0x8000, b"".join(kids))
def msg(mtype, flags, seq, family, res_id, body=b""):
    b = struct.pack("<BBH", family, 0, socket.htons(res_id)) + body
    return struct.pack("<IHHII", 16 + len(b), mtype, flags, seq, 0) + b
def batch(*msgs, seq=100):
    begin = msg(0x10, 1, seq, 0, 10)
    end = msg(0x11, 1, seq + len(msgs) + 1, 0, 10)
    return begin + b"".join(msgs) + end
def setelem(seq, flags, set_name, key, data):
    elem = nest(1, nest(1, tlv(1, key)), nest(2, tlv(1, data)))
    body = tlv(1, b"conenatd\0") + tlv(2, set_name + b"\0") + nest(3, elem)
    return msg(0x0a0c, flags, seq, 2, 0, body)    # NFT_MSG_NEWSETELEM, NFPROTO_IPV4
key = socket.inet_aton("10.0.0.103") + struct.pack(">HH", 5003, 0)
REQ, ACK, CREATE, EXCL = 1, 4, 0x400, 0x200
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
s.bind((0, 0))
s.setsockopt(270, 11, 1)                    # NETLINK_EXT_ACK
s.setsockopt(270, 10, 1)                    # NETLINK_CAP_ACK
s.settimeout(0.5)
def ask(label, req):
    s.send(req)
    with open(sys.argv[1], "a") as out:
        out.write("request-" + label + " " + req.hex() + "\n")
        try:
            while True:
                out.write(label + " " + s.recv(65536).hex() + "\n")
        except socket.timeout:
            pass
open(sys.argv[1], "w").close()
ask("add-ack", batch(setelem(101, REQ | CREATE | ACK, b"out_udp", key, struct.pack(">H", 20003))))
ask("add-excl-eexist", batch(setelem(101, REQ | CREATE | EXCL, b"out_udp", key, struct.pack(">H", 20003))))
ask("add-nosuch-enoent", batch(setelem(101, REQ | CREATE, b"nosuch", key, struct.pack(">H", 20003))))
ask("add-shortkey-einval", batch(setelem(101, REQ | CREATE, b"out_udp", key[:6], struct.pack(">H", 20003))))
ask("add-otherdata-ebusy", batch(setelem(101, REQ | CREATE, b"out_udp", key, struct.pack(">H", 20009))))
PY
echo "== nft list ruleset"; ip netns exec $N nft list ruleset
echo "== nft"; cat "$OUT/nft.hex"
echo "== replies"; cat "$OUT/replies.hex"

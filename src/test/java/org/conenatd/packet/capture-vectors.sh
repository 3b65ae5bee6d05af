#!/usr/bin/env bash
# Captures the real-packet vectors embedded in CapturedPackets.java (run as root; needs
# iproute2, iptables, tcpdump, python3, ethtool: apt-get install -y ethtool).
# Usage: capture-vectors.sh [outdir]  -> outdir/before.pcap (R ingress), outdir/after.pcap (R egress)
# Three throw-away namespaces: client C (10.77.1.2) -> router R -> server S (10.77.2.2).
# R DNATs udp 203.0.113.10:5000 -> 10.77.2.2:6000. Tx checksum offload is off on every
# veth so the checksums on the wire are the ones the Linux stack computed in software.
set -euo pipefail
command -v ethtool >/dev/null || { echo "need ethtool: apt-get install -y ethtool" >&2; exit 1; }
OUT=${1:-./pktcap}; mkdir -p "$OUT"
C=pkt$$c; R=pkt$$r; S=pkt$$s
cleanup() { for n in $C $R $S; do ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
for n in $C $R $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add vc netns $C type veth peer name vrc netns $R
ip link add vs netns $S type veth peer name vrs netns $R
ip -n $C addr add 10.77.1.2/24 dev vc; ip -n $R addr add 10.77.1.1/24 dev vrc
ip -n $S addr add 10.77.2.2/24 dev vs; ip -n $R addr add 10.77.2.1/24 dev vrs
for p in "$C vc" "$R vrc" "$R vrs" "$S vs"; do set -- $p
  ip netns exec $1 ethtool -K $2 tx off rx off gro off gso off tso off >/dev/null 2>&1 || ip netns exec $1 ethtool -K $2 tx off
  ip -n $1 link set $2 up; done
ip -n $C route add default via 10.77.1.1; ip -n $S route add default via 10.77.2.1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $R iptables -t nat -A PREROUTING -d 203.0.113.10 -p udp --dport 5000 -j DNAT --to-destination 10.77.2.2:6000
# static neighbours so nothing but our packets crosses the links
ip -n $C neigh add 10.77.1.1 lladdr $(ip -n $R -br link show vrc | awk '{print $3}') dev vc
ip -n $R neigh add 10.77.2.2 lladdr $(ip -n $S -br link show vs | awk '{print $3}') dev vrs
ip -n $R neigh add 10.77.1.2 lladdr $(ip -n $C -br link show vc | awk '{print $3}') dev vrc

cap() { # ns dev file count filter
  ip netns exec $1 tcpdump -U -n -s0 -i $2 -c $4 -w "$OUT/$3.pcap" "$5" >/dev/null 2>&1 & echo $!; }
p1=$(cap $R vrc before 6 'ip and not icmp')
p2=$(cap $R vrs after 4 'udp')
sleep 1.5
ip netns exec $C python3 - <<'PY'
import socket, time
def send(payload, dst, sport, opts=None, frag=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.77.1.2", sport))
    if opts: s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, opts)
    if frag: s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
    s.sendto(payload, dst); s.close(); time.sleep(0.2)
send(b"conenatd-even!", ("203.0.113.10", 5000), 40000)          # DNAT'd, even payload
send(b"odd payload", ("203.0.113.10", 5000), 40001)             # DNAT'd, odd payload
# record-route option, room for two addresses, padded with EOL: IHL 8
send(b"with options", ("10.77.2.2", 6000), 40002, opts=bytes([7, 11, 4]) + bytes(9))
send(b"direct", ("10.77.2.2", 6000), 40003)
PY
ip -n $C link set vc mtu 576
ip netns exec $C python3 -c '
import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.77.1.2",40004))
s.setsockopt(socket.IPPROTO_IP, 10, 0); s.sendto(bytes(range(256))*3, ("10.77.2.2", 6000))'
sleep 1
for p in $p1 $p2; do kill $p 2>/dev/null || true; done; wait || true
for f in before after; do echo "== $f"; tcpdump -n -v -r "$OUT/$f.pcap" 2>/dev/null; done

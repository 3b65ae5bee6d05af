#!/usr/bin/env bash
# Captures the kernel's answers behind PortForwardsTest: what nf_tables says, over a raw
# NETLINK_NETFILTER socket, when asked for the ruleset of a router with DNAT port forwards in it
# (run as root; needs iproute2, nft, iptables-nft, python3).
# Usage: capture-portforward-vectors.sh [resources-dir]
#        default resources-dir: src/test/resources/org/conenatd/nftables of this repository.
#        Writes there: portforward-vectors.txt ("<scenario> <request> <hex of one datagram the
#        kernel answered>" a line, # comments holding `nft list ruleset` of each scenario).
#
# One throw-away network namespace per scenario (names unique per run), each with an eth0 (one
# end of a veth pair inside it: `iif "eth0"` is resolved to an ifindex by nft); nothing touches the default namespace or
# any file outside the scratch directory and resources-dir; namespaces and scratch directory are
# deleted on exit, even on failure.
#
# Scenarios (the forwards are what PortForwards must find; everything else it must not):
#   nft-single   nft: table ip nat, chain prerouting: udp dport 3076 dnat to 10.0.0.11:3076
#   miniupnpd    nft, miniupnpd's classic layout: table inet filter (forward jumps to a filter chain
#                miniupnpd holding an accept rule), table ip nat: prerouting jumps to regular chain
#                miniupnpd holding iif "eth0" udp dport 3075 dnat to 10.0.0.12:3075
#   range-set    nft: tcp dport 8000-8010 dnat to 10.0.0.13; udp dport { 27015, 27016 } dnat to 10.0.0.14
#   iptables     iptables-nft 1.8.9: -i eth0 -p udp --dport 3074 -j DNAT --to-destination 10.0.0.15:3074
#                and -p tcp --dport 5000:5005 -j DNAT --to-destination 10.0.0.16
#   router       all four together (one table ip nat: nft's chain prerouting holds (1) and (3) and
#                jumps to miniupnpd; iptables-nft's chain PREROUTING beside it), plus more forms:
#                  - table inet fw4 (OpenWrt's layout): base chain dstnat jumps to dstnat_wan, which
#                    holds meta nfproto ipv4 tcp dport 8080 dnat ip to 192.168.1.10:80, a lookup in a
#                    named interval set fwd_ports { 9000-9009, 9100 } dnat ip to 10.0.0.17, a verdict
#                    map udp dport vmap { 5060 : jump sip } (sip: dnat ip to 10.0.0.30), meta l4proto
#                    tcp jump tcpfwd (tcpfwd: th dport 6100 dnat ip to 10.0.0.31), tcp dport 6200
#                    goto fwd62 (fwd62: dnat ip to 10.0.0.32);
#                  - miniupnpd 2.3's layout and its exact rule (sent by the python3 below as
#                    miniupnpd's rule_set_dnat builds it: meta iif, ip protocol as a 1-byte
#                    network-header payload, 2-byte port immediate, nat without flags) in table inet
#                    filter: prerouting jumps to prerouting_miniupnpd: udp 3077 -> 10.0.0.18:3077;
#                  - iptables-nft forms: tcp --dport 6000 --syn (tcp flags bitwise) -> 10.0.0.19:6001,
#                    -m multiport --dports 7000,7002:7004 (xtables match multiport rev 1) -> 10.0.0.20,
#                    --dport 7100 -m comment -> 10.0.0.21-10.0.0.22:7100-7101, a custom chain CUSTOM
#                    (jumped to from PREROUTING): --dport 7200 -> 10.0.0.23, --sport 53 --dport 7400
#                    (one 4-byte payload load of both ports) -> 10.0.0.25;
#                  - old iptables-nft forms sent by the python3 below: xtables match "udp" (struct
#                    xt_udp dpts 7500:7510) with target DNAT rev 0 (nf_nat_ipv4_multi_range_compat)
#                    -> 10.0.0.26:7500-7510, and match "tcp" (xt_tcp dpts 7600:7600) with DNAT rev 1
#                    (nf_nat_range) -> 10.0.0.27:7601, both with NFTA_RULE_COMPAT (nft 1.0.6 and
#                    iptables-nft 1.8.9 print the rev 0 one as "dnat to 3.0.0.0-0.0.0.0": they read
#                    its info as rev 2's struct nf_nat_range2 whatever the revision; the kernel took it
#                    as nf_nat_ipv4_multi_range_compat, rangesize 1, and NATs udp 7505 from a veth peer
#                    to 10.0.0.26:7505, tcp 7600 to 10.0.0.27:7601, as conntrack -L showed once);
#                and what is NOT a forward: conenatd's own kernel-mode table ip conenatd (DNAT by map
#                @in_udp), udp dport != 7300 dnat (iptables ! --dport), a nat output chain's DNAT, a
#                regular chain nothing jumps to, dnat ip to udp dport map { 4500 : 10.0.0.93 },
#                redirect, dnat ip6 in fw4, an ip6 nat table, a dormant table, masquerade/snat.
#
# The dumper asks exactly what PortForwards asks (and more): NFT_MSG_GETGEN (ACK asked),
# GETTABLE, GETCHAIN (NLM_F_DUMP, family NFPROTO_UNSPEC), and for every table of family ip or inet
# GETRULE and GETSET dumps of that table, and a GETSETELEM dump of each of its sets. Each answer
# datagram is stored as received (nlmsg_seq as the dumper numbered it; the test renumbers), up to
# and including NLMSG_DONE or the ACK. Request names: gen, tables, chains, rules:<family>:<table>,
# sets:<family>:<table>, elems:<family>:<table>:<set>, family ip or inet.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../../../../../test/resources/org/conenatd/nftables}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
P=pfcap$$_$RANDOM
W=$(mktemp -d)
NSS=()
cleanup() { for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

newns() { # scenario: namespace $P-<scenario> with lo and eth0 up (not in a subshell: NSS must grow)
  local n=$P-$1
  ip netns add "$n"; NSS+=("$n")
  ip -n "$n" link set lo up
  ip -n "$n" link add eth0 type veth peer name eth0p
  ip -n "$n" link set eth0 up
}

cat > "$W/nl.py" <<'PY'
"""Raw NETLINK_NETFILTER: dump what PortForwards reads, or send the rules nft cannot write."""
import socket, struct, sys

NFNL_SUBSYS_NFTABLES = 10
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_CREATE, NLM_F_APPEND = 1, 4, 0x300, 0x400, 0x800
NLMSG_ERROR, NLMSG_DONE = 2, 3
GETTABLE, GETCHAIN, NEWRULE, GETRULE, GETSET, GETSETELEM, GETGEN = 1, 4, 6, 7, 10, 13, 16
FAMILY = {1: "inet", 2: "ip"}

def nla(t, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, t) + payload + b"\0" * ((-n) & 3)
def nest(t, *parts): return nla(t | 0x8000, b"".join(parts))
def z(s): return s.encode() + b"\0"
def be32(v): return struct.pack(">I", v & 0xffffffff)

def msg(typ, flags, seq, family, attrs=b"", res_id=0):
    body = struct.pack("<BBH", family, 0, socket.htons(res_id)) + attrs
    return struct.pack("<IHHII", 16 + len(body), typ, flags, seq, 0) + body

def nlmsgs(d):
    i = 0
    while i + 16 <= len(d):
        n, t, f, s, p = struct.unpack_from("<IHHII", d, i)
        if n < 16 or i + n > len(d): raise SystemExit("bad answer")
        yield t, s, d[i:i + n]
        i += (n + 3) & ~3

def attrs(m, start=20):
    a = {}; i = start
    while i + 4 <= len(m):
        n, t = struct.unpack_from("<HH", m, i)
        if n < 4: break
        a.setdefault(t & 0x3fff, m[i + 4:i + n]); i += (n + 3) & ~3
    return a
def name(b): return b.rstrip(b"\0").decode()

class Sock:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
        self.s.bind((0, 0)); self.seq = 1000
    def ask(self, msgtype, flags, family, a=b""):
        """Sends one request, returns the answer datagrams up to DONE / ACK / error."""
        self.seq += 1; seq = self.seq
        self.s.send(msg((NFNL_SUBSYS_NFTABLES << 8) | msgtype, NLM_F_REQUEST | flags, seq, family, a))
        grams = []
        while True:
            d = self.s.recv(1 << 17)
            grams.append(d)
            for t, s, m in nlmsgs(d):
                if s != seq: raise SystemExit("answer to seq %d, not %d" % (s, seq))
                if t == NLMSG_DONE: return grams
                if t == NLMSG_ERROR:
                    err, = struct.unpack_from("<i", m, 16)
                    if err: raise SystemExit("kernel error %d for request %#x" % (err, msgtype))
                    return grams
    def messages(self, grams):
        for d in grams:
            for t, s, m in nlmsgs(d):
                if t >> 8 == NFNL_SUBSYS_NFTABLES: yield m
    def batch(self, *msgs):
        seq0 = self.seq + 1
        body = msg(0x10, NLM_F_REQUEST, seq0, 0, res_id=NFNL_SUBSYS_NFTABLES)
        for i, m in enumerate(msgs): body += m(seq0 + 1 + i)
        end = seq0 + 1 + len(msgs)
        body += msg(0x11, NLM_F_REQUEST, end, 0, res_id=NFNL_SUBSYS_NFTABLES)
        self.seq = end
        self.s.send(body)
        for _ in msgs:
            for t, s, m in nlmsgs(self.s.recv(1 << 16)):
                err, = struct.unpack_from("<i", m, 16)
                if t != NLMSG_ERROR or err: raise SystemExit("batch refused: %d" % err)

def dump(out, scenario):
    k = Sock(); lines = []
    def put(req, grams):
        for g in grams: lines.append("%s %s %s" % (scenario, req, g.hex()))
    put("gen", k.ask(GETGEN, NLM_F_ACK, 0))
    g = k.ask(GETTABLE, NLM_F_DUMP, 0); put("tables", g)
    tables = [(m[16], name(attrs(m)[1])) for m in k.messages(g)]
    put("chains", k.ask(GETCHAIN, NLM_F_DUMP, 0))
    for fam, t in tables:
        if fam not in FAMILY: continue
        put("rules:%s:%s" % (FAMILY[fam], t), k.ask(GETRULE, NLM_F_DUMP, fam, nla(1, z(t))))
        g = k.ask(GETSET, NLM_F_DUMP, fam, nla(1, z(t))); put("sets:%s:%s" % (FAMILY[fam], t), g)
        for m in k.messages(g):
            s = name(attrs(m)[2])
            put("elems:%s:%s:%s" % (FAMILY[fam], t, s),
                k.ask(GETSETELEM, NLM_F_DUMP, fam, nla(2, z(s)) + nla(1, z(t))))
    with open(out, "a") as f:
        for l in lines: f.write(l + "\n")

# ---- expressions, as libnftnl lays them out
def expr(n, *data): return nest(1, nla(1, z(n)), nest(2, *data))
def meta(key, dreg): return expr("meta", nla(2, be32(key)), nla(1, be32(dreg)))
def payload(base, off, ln, dreg):
    return expr("payload", nla(1, be32(dreg)), nla(2, be32(base)), nla(3, be32(off)), nla(4, be32(ln)))
def cmp_eq(sreg, data): return expr("cmp", nla(1, be32(sreg)), nla(2, be32(0)), nest(3, nla(1, data)))
def immediate(dreg, data): return expr("immediate", nla(1, be32(dreg)), nest(2, nla(1, data)))
def xt(kind, n, rev, info): return expr(kind, nla(1, z(n)), nla(2, be32(rev)), nla(3, info))
def rule(table, chain, exprs, compat_proto=None):
    a = nla(1, z(table)) + nla(2, z(chain)) + nest(4, *exprs)
    if compat_proto is not None: a += nest(5, nla(1, be32(compat_proto)), nla(2, be32(0)))
    return lambda seq: msg((NFNL_SUBSYS_NFTABLES << 8) | NEWRULE,
                           NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, seq, FAM, a)
def ip(s): return socket.inet_aton(s)
def port(p): return struct.pack(">H", p)
def xt_align(b): return b + b"\0" * ((-len(b)) & 7)
FAM = 2

def install(which, ifindex):
    global FAM
    k = Sock()
    if which == "miniupnpd-2.3":          # nftnlrdr_misc.c rule_set_dnat, family inet, table filter
        FAM = 1
        k.batch(rule("filter", "prerouting_miniupnpd", [
            meta(4, 1), cmp_eq(1, struct.pack("=I", ifindex)),          # NFT_META_IIF, host order
            payload(1, 9, 1, 1), cmp_eq(1, bytes([17])),                # ip protocol udp
            payload(2, 2, 2, 1), cmp_eq(1, port(3077)),                 # udp dport
            immediate(1, ip("10.0.0.18")), immediate(2, port(3077)),
            expr("nat", nla(1, be32(1)), nla(2, be32(2)), nla(3, be32(1)), nla(4, be32(1)),
                 nla(5, be32(2)), nla(6, be32(2)))]))
    elif which == "xtables-old":          # table ip nat, chain PREROUTING (iptables-nft's)
        FAM = 2
        udp = xt_align(struct.pack("=HHHHBB", 0, 65535, 7500, 7510, 0, 0))       # struct xt_udp
        dnat0 = struct.pack("=II", 1, 3) + ip("10.0.0.26") * 2 + port(7500) + port(7510)
        tcp = xt_align(struct.pack("=HHHHBBBB", 0, 65535, 7600, 7600, 0, 0, 0, 0))  # struct xt_tcp
        dnat1 = (struct.pack("=I", 3) + ip("10.0.0.27") + b"\0" * 12 + ip("10.0.0.27") + b"\0" * 12
                 + port(7601) + port(7601))                                   # struct nf_nat_range
        k.batch(rule("nat", "PREROUTING", [payload(1, 9, 1, 1), cmp_eq(1, bytes([17])),
                                           xt("match", "udp", 0, udp), expr("counter"),
                                           xt("target", "DNAT", 0, xt_align(dnat0))], 17),
                rule("nat", "PREROUTING", [payload(1, 9, 1, 1), cmp_eq(1, bytes([6])),
                                           xt("match", "tcp", 0, tcp),
                                           xt("target", "DNAT", 1, xt_align(dnat1))], 6))
    else:
        raise SystemExit("unknown rule set " + which)

if __name__ == "__main__":
    if sys.argv[1] == "dump": dump(sys.argv[2], sys.argv[3])
    else: install(sys.argv[2], int(sys.argv[3]))
PY

cat > "$W/nft-single.nft" <<'EOF'
table ip nat {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept;
    udp dport 3076 dnat to 10.0.0.11:3076
  }
}
EOF
cat > "$W/miniupnpd.nft" <<'EOF'
table inet filter {
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain miniupnpd { ip daddr 10.0.0.12 udp dport 3075 accept; }
}
table ip nat {
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump miniupnpd-pcp-peer; }
  chain miniupnpd { iif "eth0" udp dport 3075 dnat to 10.0.0.12:3075; }
  chain miniupnpd-pcp-peer { }
}
EOF
cat > "$W/range-set.nft" <<'EOF'
table ip nat {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept;
    tcp dport 8000-8010 dnat to 10.0.0.13
    udp dport { 27015, 27016 } dnat to 10.0.0.14
  }
}
EOF
iptables_forwards() { # namespace
  ip netns exec "$1" iptables -t nat -A PREROUTING -i eth0 -p udp --dport 3074 -j DNAT --to-destination 10.0.0.15:3074
  ip netns exec "$1" iptables -t nat -A PREROUTING -p tcp --dport 5000:5005 -j DNAT --to-destination 10.0.0.16
}
cat > "$W/router.nft" <<'EOF'
table inet filter {
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain miniupnpd { ip daddr 10.0.0.12 udp dport 3075 accept; }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain prerouting_miniupnpd { }
}
table ip nat {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept;
    udp dport 3076 dnat to 10.0.0.11:3076
    tcp dport 8000-8010 dnat to 10.0.0.13
    udp dport { 27015, 27016 } dnat to 10.0.0.14
    jump miniupnpd
    dnat ip to udp dport map { 4500 : 10.0.0.93 }
    tcp dport 80 redirect to :8080
  }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; jump miniupnpd-pcp-peer; oifname "eth0" masquerade; }
  chain output { type nat hook output priority -100; policy accept; tcp dport 8443 dnat to 10.0.0.90; }
  chain miniupnpd { iif "eth0" udp dport 3075 dnat to 10.0.0.12:3075; }
  chain miniupnpd-pcp-peer { ip saddr 10.0.0.12 udp sport 3075 snat to 203.0.113.1:3075; }
  chain orphan { udp dport 4444 dnat to 10.0.0.91; }
}
table inet fw4 {
  set fwd_ports { type inet_service; flags interval; elements = { 9000-9009, 9100 } }
  chain dstnat { type nat hook prerouting priority dstnat; policy accept; iifname "eth0" jump dstnat_wan; }
  chain dstnat_wan {
    meta nfproto ipv4 tcp dport 8080 counter dnat ip to 192.168.1.10:80 comment "!fw4: web"
    meta nfproto ipv6 tcp dport 8081 dnat ip6 to [fd00::1]:80
    udp dport @fwd_ports dnat ip to 10.0.0.17
    udp dport vmap { 5060 : jump sip }
    meta l4proto tcp jump tcpfwd
    tcp dport 6200 goto fwd62
  }
  chain sip { dnat ip to 10.0.0.30; }
  chain tcpfwd { th dport 6100 dnat ip to 10.0.0.31; }
  chain fwd62 { dnat ip to 10.0.0.32; }
}
table ip6 nat6 {
  chain prerouting { type nat hook prerouting priority dstnat; udp dport 4700 dnat to [fd00::2]; }
}
table ip dormant {
  flags dormant
  chain pre { type nat hook prerouting priority dstnat; udp dport 4600 dnat to 10.0.0.94; }
}
table ip conenatd {
  counter inbound { }
  map out_udp { type ipv4_addr . inet_service : inet_service; }
  map in_udp { type inet_service : ipv4_addr . inet_service; elements = { 40000 : 10.0.0.101 . 40000 } }
  chain pre { type nat hook prerouting priority dstnat + 1; policy accept;
    iifname "eth0" fib daddr type local udp dport @in_udp ct event set 0x0 counter name "inbound" dnat ip to udp dport map @in_udp
    iifname != "eth0" fib daddr type local dnat ip to udp dport map @in_udp
  }
  chain post { type nat hook postrouting priority srcnat - 1; policy accept;
    oifname "eth0" meta l4proto udp masquerade to :ip saddr . udp sport map @out_udp
  }
}
EOF

out=$W/vectors.txt; : > "$out"
lists=()
for s in nft-single miniupnpd range-set iptables router; do
  newns "$s"; n=$P-$s
  case $s in
    iptables) iptables_forwards "$n" ;;
    router)
      ip netns exec "$n" nft -f "$W/router.nft"
      iptables_forwards "$n"
      ip netns exec "$n" iptables -t nat -A PREROUTING -p tcp --dport 6000 --syn -j DNAT --to-destination 10.0.0.19:6001
      ip netns exec "$n" iptables -t nat -A PREROUTING -p udp -m multiport --dports 7000,7002:7004 -j DNAT --to-destination 10.0.0.20
      ip netns exec "$n" iptables -t nat -A PREROUTING -p udp --dport 7100 -m comment --comment game -j DNAT --to-destination 10.0.0.21-10.0.0.22:7100-7101
      ip netns exec "$n" iptables -t nat -N CUSTOM
      ip netns exec "$n" iptables -t nat -A PREROUTING -i eth0 -j CUSTOM
      ip netns exec "$n" iptables -t nat -A CUSTOM -p udp --dport 7200 -j DNAT --to-destination 10.0.0.23
      ip netns exec "$n" iptables -t nat -A PREROUTING -p udp ! --dport 7300 -j DNAT --to-destination 10.0.0.92
      ip netns exec "$n" iptables -t nat -A PREROUTING -p udp --sport 53 --dport 7400 -j DNAT --to-destination 10.0.0.25
      ifindex=$(ip netns exec "$n" cat /sys/class/net/eth0/ifindex)
      ip netns exec "$n" python3 "$W/nl.py" install miniupnpd-2.3 "$ifindex"
      ip netns exec "$n" python3 "$W/nl.py" install xtables-old "$ifindex"
      ;;
    *) ip netns exec "$n" nft -f "$W/$s.nft" ;;
  esac
  ip netns exec "$n" nft list ruleset > "$W/$s.list" 2> "$W/$s.list.err" || { cat "$W/$s.list.err"; exit 1; }
  ip netns exec "$n" python3 "$W/nl.py" dump "$out" "$s"
  lists+=("$s")
done

{
  echo "# The kernel's answers to the ruleset dumps PortForwards makes, captured by"
  echo "# src/test/java/org/conenatd/nftables/capture-portforward-vectors.sh (python3 raw NETLINK_NETFILTER)"
  echo "# in throw-away network namespaces on $(date -u +%F)."
  echo "# kernel $(uname -r); $(nft --version); $(iptables --version)"
  echo "# <scenario> <request> <hex of one answer datagram, nlmsghdr included, as received>; requests:"
  echo "# gen (GETGEN, ACK asked), tables / chains (GETTABLE / GETCHAIN dumps, NFPROTO_UNSPEC),"
  echo "# rules:<family>:<table>, sets:<family>:<table>, elems:<family>:<table>:<set> (dumps of one"
  echo "# table or set); each answer ends with NLMSG_DONE (dumps) or the ACK (gen). nlmsg_seq as the"
  echo "# dumper numbered its requests. The router's DNAT rev 0 rule (udp 7500-7510 to 10.0.0.26:7500-7510)"
  echo "# lists as \"dnat to 3.0.0.0-0.0.0.0\": nft and iptables-nft read its info as rev 2's, not the kernel."
  for s in "${lists[@]}"; do
    echo "# == $s: nft list ruleset"
    sed -e 's/\t/  /g' -e 's/^/#   /' "$W/$s.list"
  done
  cat "$out"
} > "$OUT/portforward-vectors.txt"
echo "wrote $(grep -vc '^#' "$OUT/portforward-vectors.txt") datagrams to $OUT/portforward-vectors.txt"

#!/usr/bin/env bash
# Captures the nf_tables netlink messages behind CapturedRulesetVectors.java: what nft sends to
# install conenatd's kernel-mode table (every option) and seed mode's --kernel-dnat table, and what
# iptables-nft sends for the one NFQUEUE rule (run as root; needs iproute2, nft, iptables-nft,
# strace, python3).
# Usage: capture-ruleset-vectors.sh [resources-dir]
#        default resources-dir: src/test/resources/org/conenatd/nftables of this repository.
#        Writes there: ruleset-vectors.txt ("<label> <hex of the whole netlink message>" a line,
#        # comments), captured-list-conenatd.txt (`nft list table ip conenatd` once all is in),
#        captured-list-conenatd_pool.txt (`nft list table ip conenatd_pool`, step 6).
#
# One throw-away network namespace (its name unique per run); nothing touches the default
# namespace or any file outside the scratch directory and resources-dir. The namespace and the
# scratch directory are deleted on exit, even on failure. No interface is needed: iifname/oifname
# match strings.
#
#  1. `nft --debug=netlink -f kernel.nft`: table ip conenatd, its sets, counter, chains and rules in
#     ONE transaction. This kernel has no nft `queue` expression (nft's `queue num 47000 bypass`
#     rule fails with "Could not process rule: No such file or directory"), so that rule is not in
#     the file; conenatd puts it in with iptables-nft instead:
#  2. `iptables -t mangle -I FORWARD 1 -m mark --mark 0x400000/0x400000 -j NFQUEUE
#     --queue-num 47000 --queue-bypass` (iptables-nft). It opens two NETLINK_NETFILTER sockets:
#     fd 3 carries its nf_tables batch (NEWTABLE mangle, NEWCHAIN FORWARD, NEWRULE), fd 4 only
#     NFNL_MSG_COMPAT_GET probes of the "mark" match and "NFQUEUE" target revisions (skipped: they
#     are GET requests). Both fds are traced (strace -f -e write=all) and the messages picked by
#     type, not by fd. iptables-nft 1.8.9 translates `-m mark` into native meta/bitwise/cmp
#     expressions (no xtables "match"), adds a "counter", and ends with the xtables "target"
#     expression NFQUEUE rev 3 (NFTA_TARGET_INFO: struct xt_NFQ_info_v3, host order, 8 bytes);
#     nft 1.0.6 lists it, in table ip mangle, as
#         meta mark & 0x00400000 == 0x00400000 counter packets 0 bytes 0 queue num 47000 bypass
#  3. `nft --debug=netlink -f seed.nft`: table ip conenatd_seed_dnat (seed mode --kernel-dnat).
#  4. The native rule nft would send for conenatd's queue verdict, `meta mark & 0x400000 ==
#     0x400000 queue num 47000 bypass` in a base chain first (filter hook forward priority
#     mangle - 1) of table ip conenatd_queue: the table and chain are made by an earlier,
#     untraced nft call, so the traced transaction (queue-rule.nft) holds only the NEWRULE. On a
#     kernel without the nft `queue` expression (as this one) that transaction FAILS ("Could not
#     process rule: No such file or directory") and nft exits non-zero, but the message has been
#     sent and strace has it: the exit status is recorded, not fatal; a missing NEWRULE is.
#  5. table ip conenatd_economy (a table of its own, so nothing above changes): economy.nft makes
#     the table, the interval sets full_cone_ports (inet_service) and sources (ipv4_addr), the maps
#     out_udp / out_tcp and chain first in ONE traced transaction; then three traced `add element`
#     calls, each one NEWSETELEM: full_cone_ports { 1024-65535 }, then (after an untraced
#     `nft flush set`) full_cone_ports { 53, 5000-5010 }, then sources { 10.0.0.0/24, 192.168.1.7 }
#     (recorded as sent: nft 1.0.6 leads with a key-0 element flagged NFT_SET_ELEM_INTERVAL_END,
#     then each interval as a start element and an INTERVAL_END element at end + 1, except an
#     interval up to the key's maximum, whose start element carries NFTA_SET_ELEM_USERDATA
#     "interval open" instead of an end element; the message names the set and carries
#     NFTA_SET_ELEM_LIST_SET_ID); then one traced transaction of the three NEWRULEs of chain first
#     (the sets exist by then; nft still sends NFTA_LOOKUP_SET_ID next to each set name).
#     `nft list set ip conenatd_economy full_cone_ports` after the second add goes into the header
#     comments.
#  6. table ip conenatd_pool (kernel mode with --pool; a table of its own again): pool.nft makes the
#     table, the maps out_udp / in_udp / out_tcp / in_tcp (ipv4_addr . inet_service : ipv4_addr .
#     inet_service: the external address travels both ways), the set contacted_udp (ipv4_addr .
#     inet_service . ipv4_addr, dynamic,timeout), the interval set pool (ipv4_addr), counter
#     inbound and the chains pre / post / first / seen in ONE traced transaction; then one traced
#     `add element ip conenatd_pool out_udp { 10.0.0.101 . 5000 : 203.0.113.2 . 5000 }` (one
#     NEWSETELEM: an 8-byte key AND 8-byte data); then `nft list map ip conenatd_pool out_udp`
#     traced with its replies (strace -e read=all): the kernel's NEWSETELEM dump reply holding
#     that element is kept as pool-dump-reply-out_udp, its nlmsg_pid (nft's netlink port id, the
#     only field that differs from run to run) zeroed; then one traced transaction of the ten
#     NEWRULEs (pool-rules.nft). `nft list table ip conenatd_pool` once all is in goes to
#     captured-list-conenatd_pool.txt: nft drops the `meta l4proto` of every one of these rules
#     when listing (the udp/tcp port payload implies it). Fed back to nft, that listing gives the
#     same bytes for every rule but seen's: nft then puts the l4proto dependency right before the
#     update statement, after `ct status snat`.
#
# What is kept: every message of the nf_tables subsystem (NFNL_SUBSYS_NFTABLES) of a type NEW*
# that the tools sent in those transactions; NFNL_MSG_BATCH_BEGIN/END and every GET* are skipped.
# Labels come from the message type and the decoded table/chain/set/object names, and for rules
# from their chain and their order within the chain in the batch (table below); an unexpected or
# missing message fails the run. ruleset-vectors.txt lists them in the order they were sent
# (nft's batch: table, chains, objects, sets, rules; then the economy element messages, then its
# rules). A re-run gives byte-identical messages
# (nft numbers its batch from 0 = BATCH_BEGIN, iptables from 1).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../../../../../test/resources/org/conenatd/nftables}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
N=rulecap$$_$RANDOM
W=$(mktemp -d)
cleanup() { ip netns del "$N" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
ip netns add "$N"

cat > "$W/kernel.nft" <<'EOF'
table ip conenatd {
  map out_udp { type ipv4_addr . inet_service : inet_service; }
  map in_udp { type inet_service : ipv4_addr . inet_service; }
  map out_tcp { type ipv4_addr . inet_service : inet_service; }
  map in_tcp { type inet_service : ipv4_addr . inet_service; }
  set contacted_udp { type inet_service . ipv4_addr; flags dynamic,timeout; timeout 300s; }
  set sources { type ipv4_addr; flags interval; }
  counter inbound { }
  chain pre { type nat hook prerouting priority dstnat + 1; policy accept; }
  chain post { type nat hook postrouting priority srcnat - 1; policy accept; }
  chain first { type filter hook forward priority mangle - 1; policy accept; }
  chain seen { type filter hook postrouting priority srcnat + 10; policy accept; }
}
add rule ip conenatd pre iifname "eth0" fib daddr type local udp dport @in_udp ct event set 0x0 counter name "inbound" dnat ip to udp dport map @in_udp
add rule ip conenatd pre iifname "eth0" fib daddr type local udp dport . ip saddr @contacted_udp udp dport @in_udp ct event set 0x0 counter name "inbound" dnat ip to udp dport map @in_udp
add rule ip conenatd pre iifname != "eth0" fib daddr type local dnat ip to udp dport map @in_udp
add rule ip conenatd post oifname "eth0" meta l4proto udp masquerade to : ip saddr . udp sport map @out_udp
add rule ip conenatd post oifname != "eth0" iifname != "eth0" ct status dnat meta l4proto udp snat ip to ct original ip daddr : ip saddr . udp sport map @out_udp
add rule ip conenatd first oifname "eth0" ct state new meta l4proto udp ip saddr . udp sport != @out_udp meta mark set meta mark | 0x400000
add rule ip conenatd first oifname "eth0" ct state new ip saddr @sources meta l4proto udp ip saddr . udp sport != @out_udp meta mark set meta mark | 0x400000
add rule ip conenatd first iifname != "eth0" oifname != "eth0" ct state new ct status dnat meta l4proto udp ip saddr . udp sport != @out_udp meta mark set meta mark | 0x400000
add rule ip conenatd seen oifname "eth0" meta l4proto udp ct status snat update @contacted_udp { udp sport . ip daddr }
add rule ip conenatd pre iifname "eth0" fib daddr type local tcp dport @in_tcp ct event set 0x0 counter name "inbound" dnat ip to tcp dport map @in_tcp
add rule ip conenatd post oifname "eth0" meta l4proto tcp masquerade to : ip saddr . tcp sport map @out_tcp
EOF
cat > "$W/seed.nft" <<'EOF'
table ip conenatd_seed_dnat {
  map in_udp { type inet_service : ipv4_addr . inet_service; }
  counter dnat_flows { }
  chain pre { type nat hook prerouting priority dstnat - 1; policy accept; }
}
add rule ip conenatd_seed_dnat pre ip daddr 203.0.113.1 fib daddr . iif type local udp dport @in_udp ct event set 0x0 counter name "dnat_flows" dnat ip to udp dport map @in_udp
EOF
cat > "$W/queue-table.nft" <<'EOF'
table ip conenatd_queue {
  chain first { type filter hook forward priority mangle - 1; policy accept; }
}
EOF
cat > "$W/queue-rule.nft" <<'EOF'
add rule ip conenatd_queue first meta mark & 0x400000 == 0x400000 queue num 47000 bypass
EOF

traced() { # name, command...: strace every send of every fd of every thread to $W/name.strace
  local name=$1; shift
  ip netns exec "$N" strace -f -qq -e trace=socket,sendmsg,sendto -e write=all -o "$W/$name.strace" "$@"
}
traced kernel nft --debug=netlink -f "$W/kernel.nft" > "$W/kernel.debug"
traced iptables iptables -t mangle -I FORWARD 1 -m mark --mark 0x400000/0x400000 \
    -j NFQUEUE --queue-num 47000 --queue-bypass
traced seed nft --debug=netlink -f "$W/seed.nft" > "$W/seed.debug"
ip netns exec "$N" nft -f "$W/queue-table.nft"
rc=0   # expected to fail on this kernel (no nft queue expression): keep going, the message is sent
(cd "$W" && traced queue nft --debug=netlink -f queue-rule.nft > queue.debug 2> queue.err) || rc=$?
echo "$rc" > "$W/queue.rc"

cat > "$W/economy.nft" <<'EOF'
table ip conenatd_economy {
  set full_cone_ports { type inet_service; flags interval; }
  set sources { type ipv4_addr; flags interval; }
  map out_udp { type ipv4_addr . inet_service : inet_service; }
  map out_tcp { type ipv4_addr . inet_service : inet_service; }
  chain first { type filter hook forward priority mangle - 1; policy accept; }
}
EOF
cat > "$W/economy-rules.nft" <<'EOF'
add rule ip conenatd_economy first oifname "eth0" ct state new meta l4proto udp udp dport @full_cone_ports ip saddr . udp sport != @out_udp meta mark set meta mark | 0x400000
add rule ip conenatd_economy first oifname "eth0" ct state new ip saddr @sources meta l4proto udp udp dport @full_cone_ports ip saddr . udp sport != @out_udp meta mark set meta mark | 0x400000
add rule ip conenatd_economy first oifname "eth0" ct state new meta l4proto tcp tcp dport @full_cone_ports ip saddr . tcp sport != @out_tcp meta mark set meta mark | 0x400000
EOF
traced economy nft --debug=netlink -f "$W/economy.nft" > "$W/economy.debug"
traced economy-ports-default nft --debug=netlink \
    add element ip conenatd_economy full_cone_ports '{ 1024-65535 }' > "$W/economy-ports-default.debug"
ip netns exec "$N" nft flush set ip conenatd_economy full_cone_ports
traced economy-ports-53-5000-5010 nft --debug=netlink \
    add element ip conenatd_economy full_cone_ports '{ 53, 5000-5010 }' > "$W/economy-ports-53-5000-5010.debug"
ip netns exec "$N" nft list set ip conenatd_economy full_cone_ports > "$W/economy-ports.list"
traced economy-sources nft --debug=netlink \
    add element ip conenatd_economy sources '{ 10.0.0.0/24, 192.168.1.7 }' > "$W/economy-sources.debug"
traced economy-rules nft --debug=netlink -f "$W/economy-rules.nft" > "$W/economy-rules.debug"

cat > "$W/pool.nft" <<'EOF'
table ip conenatd_pool {
  map out_udp { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map in_udp { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map out_tcp { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  map in_tcp { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
  set contacted_udp { type ipv4_addr . inet_service . ipv4_addr; flags dynamic,timeout; timeout 300s; }
  set pool { type ipv4_addr; flags interval; }
  counter inbound { }
  chain pre { type nat hook prerouting priority dstnat + 1; policy accept; }
  chain post { type nat hook postrouting priority srcnat - 1; policy accept; }
  chain first { type filter hook forward priority mangle - 1; policy accept; }
  chain seen { type filter hook postrouting priority srcnat + 10; policy accept; }
}
EOF
cat > "$W/pool-rules.nft" <<'EOF'
add rule ip conenatd_pool pre iifname "eth0" meta l4proto udp ip daddr . udp dport @in_udp ct event set 0x0 counter name "inbound" dnat ip to ip daddr . udp dport map @in_udp
add rule ip conenatd_pool pre iifname "eth0" meta l4proto udp ip daddr . udp dport . ip saddr @contacted_udp ip daddr . udp dport @in_udp ct event set 0x0 counter name "inbound" dnat ip to ip daddr . udp dport map @in_udp
add rule ip conenatd_pool pre iifname != "eth0" meta l4proto udp dnat ip to ip daddr . udp dport map @in_udp
add rule ip conenatd_pool post oifname "eth0" meta l4proto udp snat ip to ip saddr . udp sport map @out_udp
add rule ip conenatd_pool post oifname != "eth0" iifname != "eth0" ct status dnat meta l4proto udp snat ip to ip saddr . udp sport map @out_udp
add rule ip conenatd_pool seen oifname "eth0" meta l4proto udp ct status snat update @contacted_udp { ip saddr . udp sport . ip daddr }
add rule ip conenatd_pool pre iifname "eth0" meta l4proto tcp ip daddr . tcp dport @in_tcp ct event set 0x0 counter name "inbound" dnat ip to ip daddr . tcp dport map @in_tcp
add rule ip conenatd_pool pre iifname != "eth0" meta l4proto tcp dnat ip to ip daddr . tcp dport map @in_tcp
add rule ip conenatd_pool post oifname "eth0" meta l4proto tcp snat ip to ip saddr . tcp sport map @out_tcp
add rule ip conenatd_pool post oifname != "eth0" iifname != "eth0" ct status dnat meta l4proto tcp snat ip to ip saddr . tcp sport map @out_tcp
EOF
traced pool nft --debug=netlink -f "$W/pool.nft" > "$W/pool.debug"
traced pool-elements-out_udp nft --debug=netlink \
    add element ip conenatd_pool out_udp '{ 10.0.0.101 . 5000 : 203.0.113.2 . 5000 }' > "$W/pool-elements-out_udp.debug"
ip netns exec "$N" strace -f -qq -e trace=socket,sendmsg,sendto,recvmsg -e write=all -e read=all \
    -o "$W/pool-list-out_udp.strace" nft list map ip conenatd_pool out_udp > "$W/pool-list-out_udp.list"
traced pool-rules nft --debug=netlink -f "$W/pool-rules.nft" > "$W/pool-rules.debug"
ip netns exec "$N" nft list table ip conenatd_pool > "$OUT/captured-list-conenatd_pool.txt"

ip netns exec "$N" nft list table ip conenatd > "$OUT/captured-list-conenatd.txt"
ip netns exec "$N" nft list table ip mangle > "$W/mangle.list"
cp "$W/kernel.debug" "$OUT/captured-debug-netlink-conenatd.txt"
cp "$W/seed.debug" "$OUT/captured-debug-netlink-conenatd_seed_dnat.txt"

python3 - "$W" "$OUT/ruleset-vectors.txt" "$(uname -r)" "$(nft --version)" "$(iptables --version)" <<'PY'
import datetime, re, struct, sys
W, out, kernel, nftv, iptv = sys.argv[1:6]

def sends(path, calls_re="sendmsg|sendto"):
    """Every sendmsg/sendto of the trace: (pid, fd, bytes), strace's hex dump concatenated."""
    calls = []; cur = None
    for line in open(path):
        m = re.match(r"^(\d+)\s+(%s)\((\d+)," % calls_re, line)
        if m:
            cur = [int(m.group(1)), int(m.group(3)), bytearray()]; calls.append(cur)
        elif line.startswith(" | ") and cur is not None:
            cur[2] += bytes.fromhex(line[10:58].replace(" ", ""))
        elif re.match(r"^\d+\s+", line):
            cur = None
    return calls

def nlmsgs(data):
    i = 0
    while i + 16 <= len(data):
        n, = struct.unpack_from("<I", data, i)
        if n < 16 or i + n > len(data): raise SystemExit("bad nlmsg at %d" % i)
        yield bytes(data[i:i + n]); i += (n + 3) & ~3
    if i != len(data): raise SystemExit("trailing bytes")

def attrs(msg):
    a = {}; i = 20
    while i + 4 <= len(msg):
        n, t = struct.unpack_from("<HH", msg, i)
        a.setdefault(t & 0x3fff, msg[i + 4:i + n]); i += (n + 3) & ~3
    return a

def name(b): return b.rstrip(b"\0").decode()

NEWTABLE, NEWCHAIN, NEWRULE, NEWSET, NEWSETELEM, NEWOBJ = 0, 3, 6, 9, 12, 18
KIND = {NEWTABLE: "table", NEWCHAIN: "chain", NEWRULE: "rule", NEWSET: "set", NEWSETELEM: "elements",
        NEWOBJ: "obj"}
GET = {1, 4, 7, 10, 13, 16, 19, 21, 23}      # GETTABLE ... GETOBJ_RESET, GETFLOWTABLE

def batch(path):
    """The NEW* messages of the nf_tables subsystem sent in the trace, in order: (kind, msg)."""
    kept = []; fds = set()
    for pid, fd, data in sends(path):
        for m in nlmsgs(data):
            t, = struct.unpack_from("<H", m, 4)
            if t in (0x10, 0x11): continue                    # NFNL_MSG_BATCH_BEGIN / END
            if t >> 8 != 10:                                  # not NFNL_SUBSYS_NFTABLES
                if t == 11 << 8: continue                  # NFNL_MSG_COMPAT_GET probe (0)
                raise SystemExit("unexpected message type %#x in %s" % (t, path))
            if t & 0xff in GET: continue
            if t & 0xff not in KIND: raise SystemExit("unexpected nf_tables message %#x" % t)
            kept.append((KIND[t & 0xff], m)); fds.add(fd)
    return kept, fds

RULES = {  # chain -> labels of its rules in the order the batch adds them
    ("conenatd", "pre"): ["rule-pre-inbound-udp", "rule-pre-inbound-address-udp",
                          "rule-pre-hairpin-udp", "rule-pre-inbound-tcp"],
    ("conenatd", "post"): ["rule-post-masq-udp", "rule-post-hairpin-udp", "rule-post-masq-tcp"],
    ("conenatd", "first"): ["rule-first-wan-udp", "rule-first-wan-sources-udp",
                            "rule-first-hairpin-udp"],
    ("conenatd", "seen"): ["rule-seen-udp"],
    ("conenatd_seed_dnat", "pre"): ["seed-rule-pre"],
    ("conenatd_queue", "first"): ["rule-first-queue-native"],
    ("conenatd_economy", "first"): ["economy-rule-first-wan-udp",
                                    "economy-rule-first-wan-sources-udp",
                                    "economy-rule-first-wan-tcp"],
    ("conenatd_pool", "pre"): ["pool-rule-pre-inbound-udp", "pool-rule-pre-inbound-address-udp",
                               "pool-rule-pre-hairpin-udp", "pool-rule-pre-inbound-tcp",
                               "pool-rule-pre-hairpin-tcp"],
    ("conenatd_pool", "post"): ["pool-rule-post-snat-udp", "pool-rule-post-hairpin-udp",
                                "pool-rule-post-snat-tcp", "pool-rule-post-hairpin-tcp"],
    ("conenatd_pool", "seen"): ["pool-rule-seen-udp"],
}
ORDER = ["table-conenatd", "chain-pre", "chain-post", "chain-first", "chain-seen", "obj-inbound",
         "set-out_udp", "set-in_udp", "set-out_tcp", "set-in_tcp", "set-contacted_udp",
         "set-sources", "rule-pre-inbound-udp", "rule-pre-inbound-address-udp",
         "rule-pre-hairpin-udp", "rule-post-masq-udp", "rule-post-hairpin-udp",
         "rule-first-wan-udp", "rule-first-wan-sources-udp", "rule-first-hairpin-udp",
         "rule-seen-udp", "rule-pre-inbound-tcp", "rule-post-masq-tcp", "iptables-rule-nfqueue",
         "seed-table", "seed-set-in_udp", "seed-obj-dnat_flows", "seed-chain-pre", "seed-rule-pre",
         "rule-first-queue-native",
         "economy-table", "economy-chain-first", "economy-set-full_cone_ports",
         "economy-set-sources", "economy-set-out_udp", "economy-set-out_tcp",
         "economy-elements-ports-default", "economy-elements-ports-53-5000-5010",
         "economy-elements-sources", "economy-rule-first-wan-udp",
         "economy-rule-first-wan-sources-udp", "economy-rule-first-wan-tcp",
         "pool-table", "pool-chain-pre", "pool-chain-post", "pool-chain-first", "pool-chain-seen",
         "pool-obj-inbound", "pool-set-out_udp", "pool-set-in_udp", "pool-set-out_tcp",
         "pool-set-in_tcp", "pool-set-contacted_udp", "pool-set-pool", "pool-elements-out_udp",
         "pool-dump-reply-out_udp",
         "pool-rule-pre-inbound-udp", "pool-rule-pre-inbound-address-udp",
         "pool-rule-pre-hairpin-udp", "pool-rule-post-snat-udp", "pool-rule-post-hairpin-udp",
         "pool-rule-seen-udp", "pool-rule-pre-inbound-tcp", "pool-rule-pre-hairpin-tcp",
         "pool-rule-post-snat-tcp", "pool-rule-post-hairpin-tcp"]

def label_nft(kind, m, seen, table, prefix):
    a = attrs(m)
    if name(a[1]) != table: raise SystemExit("%s message of table %s" % (kind, name(a[1])))
    if kind == "table": return prefix + "table" + ("" if prefix else "-" + table)
    if kind == "chain": return prefix + "chain-" + name(a[3])        # NFTA_CHAIN_NAME
    if kind == "set": return prefix + "set-" + name(a[2])            # NFTA_SET_NAME
    if kind == "obj": return prefix + "obj-" + name(a[2])            # NFTA_OBJ_NAME
    if kind == "elements": raise SystemExit("NEWSETELEM outside an element trace")
    chain = name(a[2])                                               # NFTA_RULE_CHAIN
    i = seen.get(chain, 0); seen[chain] = i + 1
    labels = RULES.get((table, chain), [])
    if i >= len(labels): raise SystemExit("unexpected rule %d of chain %s %s" % (i, table, chain))
    return labels[i]

lines = {}; sent = []; notes = []
def put(label, m):
    if label in lines: raise SystemExit("two messages labelled " + label)
    lines[label] = m; sent.append(label)

def nft_batch(trace, table, prefix):
    msgs, fds = batch("%s/%s.strace" % (W, trace))
    seen = {}
    for kind, m in msgs: put(label_nft(kind, m, seen, table, prefix), m)
    notes.append("%s: nft sent %d NEW* messages on fd %s" % (trace, len(msgs), sorted(fds)))

nft_batch("kernel", "conenatd", "")
msgs, fds = batch(W + "/iptables.strace")
for n, (kind, m) in enumerate(msgs, 1):
    a = attrs(m)
    if kind == "rule" and b"NFQUEUE\0" in a.get(4, b""): put("iptables-rule-nfqueue", m)
    else: put("iptables-%d" % n, m)
notes.append("iptables: %d NEW* messages on fd %s: %s" % (len(msgs), sorted(fds), ", ".join(
    "%s %s" % (k, name(attrs(m)[1]) + ("/" + name(attrs(m)[3]) if k == "chain" else ""))
    for k, m in msgs)))
nft_batch("seed", "conenatd_seed_dnat", "seed-")
qmsgs, _ = batch(W + "/queue.strace")
if [k for k, m in qmsgs] != ["rule"]:
    raise SystemExit("queue: expected exactly one NEWRULE, got %s" % [k for k, m in qmsgs])
nft_batch("queue", "conenatd_queue", "")
qrc = open(W + "/queue.rc").read().strip()
qerr = [re.sub(r"^.*?: Error: ", "Error: ", l.strip()) for l in open(W + "/queue.err")
        if "Error:" in l]
notes.append("queue: nft exit status %s%s (the NEWRULE was sent all the same)" % (
    qrc, "; " + "; ".join(qerr) if qerr else ""))
nft_batch("economy", "conenatd_economy", "economy-")
for trace, setname in [("economy-ports-default", "full_cone_ports"),
                       ("economy-ports-53-5000-5010", "full_cone_ports"),
                       ("economy-sources", "sources")]:
    emsgs, fds = batch("%s/%s.strace" % (W, trace))
    if [k for k, m in emsgs] != ["elements"]:
        raise SystemExit("%s: expected exactly one NEWSETELEM, got %s" % (trace, [k for k, m in emsgs]))
    a = attrs(emsgs[0][1])                     # NFTA_SET_ELEM_LIST_TABLE 1, _SET 2
    if (name(a[1]), name(a[2])) != ("conenatd_economy", setname):
        raise SystemExit("%s: elements of %s %s" % (trace, name(a[1]), name(a[2])))
    put(trace.replace("economy-", "economy-elements-", 1), emsgs[0][1])
    notes.append("%s: nft sent 1 NEWSETELEM on fd %s" % (trace, sorted(fds)))
rmsgs, _ = batch(W + "/economy-rules.strace")
if [k for k, m in rmsgs] != ["rule"] * 3:
    raise SystemExit("economy-rules: expected three NEWRULEs, got %s" % [k for k, m in rmsgs])
nft_batch("economy-rules", "conenatd_economy", "economy-")

nft_batch("pool", "conenatd_pool", "pool-")
emsgs, fds = batch(W + "/pool-elements-out_udp.strace")
if [k for k, m in emsgs] != ["elements"]:
    raise SystemExit("pool-elements-out_udp: expected exactly one NEWSETELEM, got %s" % [k for k, m in emsgs])
a = attrs(emsgs[0][1])
if (name(a[1]), name(a[2])) != ("conenatd_pool", "out_udp"):
    raise SystemExit("pool-elements-out_udp: elements of %s %s" % (name(a[1]), name(a[2])))
put("pool-elements-out_udp", emsgs[0][1])
notes.append("pool-elements-out_udp: nft sent 1 NEWSETELEM on fd %s" % sorted(fds))
replies = []                                   # the kernel's NEWSETELEM dump replies naming out_udp
for pid, fd, data in sends(W + "/pool-list-out_udp.strace", "recvmsg"):
    for m in nlmsgs(data):
        t, = struct.unpack_from("<H", m, 4)
        if t == (10 << 8 | NEWSETELEM) and name(attrs(m)[2]) == "out_udp" and attrs(m).get(3, b""):
            replies.append(m)
if len(replies) != 1:
    raise SystemExit("pool-list-out_udp: expected one NEWSETELEM reply with elements, got %d" % len(replies))
put("pool-dump-reply-out_udp", replies[0][:12] + b"\0\0\0\0" + replies[0][16:])   # nlmsg_pid zeroed
notes.append("pool-list-out_udp: 1 NEWSETELEM dump reply with elements (nlmsg_pid zeroed)")
rmsgs, _ = batch(W + "/pool-rules.strace")
if [k for k, m in rmsgs] != ["rule"] * 10:
    raise SystemExit("pool-rules: expected ten NEWRULEs, got %s" % [k for k, m in rmsgs])
nft_batch("pool-rules", "conenatd_pool", "pool-")

missing = [l for l in ORDER if l not in lines]
if missing: raise SystemExit("missing: " + " ".join(missing))
with open(out, "w") as f:
    f.write("# nf_tables netlink messages as sent by nft / iptables-nft, captured by\n"
            "# src/test/java/org/conenatd/nftables/capture-ruleset-vectors.sh (strace -f -e write=all)\n"
            "# in a throw-away network namespace on %s.\n" % datetime.date.today().isoformat())
    f.write("# kernel %s; %s; %s\n" % (kernel, nftv, iptv))
    f.write("# <label> <hex of the whole netlink message, nlmsghdr included>; BATCH_BEGIN/END and\n"
            "# GET requests skipped; in the order sent. nlmsg_seq as the tool numbered its batch.\n")
    for n in notes: f.write("# " + n + "\n")
    f.write("# nft list table ip mangle, after the iptables rule:\n")
    for l in open(W + "/mangle.list"): f.write("#   " + l.rstrip("\n").replace("\t", "  ") + "\n")
    f.write("# nft list set ip conenatd_economy full_cone_ports, after the add of { 53, 5000-5010 }:\n")
    for l in open(W + "/economy-ports.list"): f.write("#   " + l.rstrip("\n").replace("\t", "  ") + "\n")
    f.write("# nft list map ip conenatd_pool out_udp, after the add (the dump behind pool-dump-reply-out_udp):\n")
    for l in open(W + "/pool-list-out_udp.list"): f.write("#   " + l.rstrip("\n").replace("\t", "  ") + "\n")
    for l in sent:
        f.write("%s %s\n" % (l, lines[l].hex()))
print("wrote %d messages to %s" % (len(lines), out))
PY
echo "== nft list table ip conenatd"; cat "$OUT/captured-list-conenatd.txt"
echo "== nft list table ip conenatd_pool"; cat "$OUT/captured-list-conenatd_pool.txt"
for d in economy-ports-default economy-ports-53-5000-5010 economy-sources economy-rules pool pool-elements-out_udp pool-rules; do
    echo "== nft --debug=netlink ($d)"; cat "$W/$d.debug"
done
echo "== nft list set ip conenatd_economy full_cone_ports (after { 53, 5000-5010 })"
cat "$W/economy-ports.list"

package org.conenatd.nftables;

import org.conenatd.nftables.expr.Bitwise;
import org.conenatd.nftables.expr.Cmp;
import org.conenatd.nftables.expr.Ct;
import org.conenatd.nftables.expr.CtSet;
import org.conenatd.nftables.expr.Dynset;
import org.conenatd.nftables.expr.Expr;
import org.conenatd.nftables.expr.Fib;
import org.conenatd.nftables.expr.Immediate;
import org.conenatd.nftables.expr.Lookup;
import org.conenatd.nftables.expr.Masq;
import org.conenatd.nftables.expr.Meta;
import org.conenatd.nftables.expr.MetaSet;
import org.conenatd.nftables.expr.Nat;
import org.conenatd.nftables.expr.Objref;
import org.conenatd.nftables.expr.Payload;
import org.conenatd.nftables.expr.Target;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.conenatd.nftables.NfTables.*;
import static org.conenatd.nftables.expr.Reg.R1;
import static org.conenatd.nftables.expr.Reg.R2;
import static org.conenatd.nftables.expr.Reg.part;

/**
 * nft statements as the expressions nft 1.0.6 turns them into, register for register: a rule
 * built here encodes to the bytes {@code nft} sends for the same text (RulesetEncodeTest).
 */
public final class RuleBuilder {
    private static final int IFNAMSIZ = 16;
    private final List<Expr> x = new ArrayList<>();

    public static RuleBuilder rule() { return new RuleBuilder(); }

    public Rule in(String chain, String text) { return new Rule(chain, x, text); }

    /** {@code iifname [!=] "<name>"}. */
    public RuleBuilder iifname(boolean equal, String ifname) { return ifname(NFT_META_IIFNAME, equal, ifname); }

    /** {@code oifname [!=] "<name>"}. */
    public RuleBuilder oifname(boolean equal, String ifname) { return ifname(NFT_META_OIFNAME, equal, ifname); }

    private RuleBuilder ifname(int key, boolean equal, String ifname) {
        byte[] n = ifname.getBytes(StandardCharsets.UTF_8);
        if (n.length >= IFNAMSIZ) throw new IllegalArgumentException("interface name too long: " + ifname);
        byte[] padded = new byte[IFNAMSIZ];
        System.arraycopy(n, 0, padded, 0, n.length);
        x.add(new Meta(key, R1));
        x.add(new Cmp(R1, equal ? NFT_CMP_EQ : NFT_CMP_NEQ, padded));
        return this;
    }

    /** {@code fib daddr type local}, or {@code fib daddr . iif type local}: addressed to this router. */
    public RuleBuilder fibDaddrLocal(boolean onInputInterface) {
        x.add(new Fib(NFTA_FIB_F_DADDR | (onInputInterface ? NFTA_FIB_F_IIF : 0), NFT_FIB_RESULT_ADDRTYPE, R1));
        x.add(new Cmp(R1, NFT_CMP_EQ, Expr.u32host(Fib.RTN_LOCAL)));
        return this;
    }

    /** {@code meta l4proto <proto>} (also the dependency nft adds before {@code udp dport}). */
    public RuleBuilder l4proto(int ipProto) {
        x.add(new Meta(NFT_META_L4PROTO, R1));
        x.add(new Cmp(R1, NFT_CMP_EQ, new byte[] {(byte) ipProto}));
        return this;
    }

    /** {@code ip daddr <addr>}. */
    public RuleBuilder ipDaddr(int addr) {
        x.add(Payload.ipDaddr(R1));
        x.add(new Cmp(R1, NFT_CMP_EQ, Expr.u32be(addr)));
        return this;
    }

    /** {@code th dport @<set>}. */
    public RuleBuilder dportIn(String set) {
        x.add(Payload.dport(R1));
        x.add(Lookup.in(set, R1));
        return this;
    }

    /** {@code th dport . ip saddr @<set>}. */
    public RuleBuilder dportSaddrIn(String set) {
        x.add(Payload.dport(R1));
        x.add(Payload.ipSaddr(part(R1, 1)));
        x.add(Lookup.in(set, R1));
        return this;
    }

    /** {@code ip daddr . th dport @<set>}: the public endpoint (--pool). */
    public RuleBuilder daddrDportIn(String set) {
        x.add(Payload.ipDaddr(R1));
        x.add(Payload.dport(part(R1, 1)));
        x.add(Lookup.in(set, R1));
        return this;
    }

    /** {@code ip daddr . th dport . ip saddr @<set>}: the public endpoint and the peer address (--pool). */
    public RuleBuilder daddrDportSaddrIn(String set) {
        x.add(Payload.ipDaddr(R1));
        x.add(Payload.dport(part(R1, 1)));
        x.add(Payload.ipSaddr(part(R1, 2)));
        x.add(Lookup.in(set, R1));
        return this;
    }

    /** {@code ip saddr @<set>}. */
    public RuleBuilder saddrIn(String set) {
        x.add(Payload.ipSaddr(R1));
        x.add(Lookup.in(set, R1));
        return this;
    }

    /** {@code ip saddr . th sport != @<set>}. */
    public RuleBuilder saddrSportNotIn(String set) {
        x.add(Payload.ipSaddr(R1));
        x.add(Payload.sport(part(R1, 1)));
        x.add(Lookup.notIn(set, R1));
        return this;
    }

    /** {@code ct state new}. */
    public RuleBuilder ctStateNew() { return ctBit(NFT_CT_STATE, 0x8); }

    /** {@code ct status dnat}. */
    public RuleBuilder ctStatusDnat() { return ctBit(NFT_CT_STATUS, 0x20); }

    /** {@code ct status snat}. */
    public RuleBuilder ctStatusSnat() { return ctBit(NFT_CT_STATUS, 0x10); }

    private RuleBuilder ctBit(int key, int bit) {
        x.add(Ct.load(key, R1));
        x.add(new Bitwise(R1, R1, Expr.u32host(bit), Expr.u32host(0), false));
        x.add(new Cmp(R1, NFT_CMP_NEQ, Expr.u32host(0)));
        return this;
    }

    /** {@code ct event set 0x0}: the flow sends no conntrack events. */
    public RuleBuilder ctEventsOff() {
        x.add(new Immediate(R1, Expr.u32host(0)));
        x.add(new CtSet(NFT_CT_EVENTMASK, R1));
        return this;
    }

    /** {@code counter name "<name>"}. */
    public RuleBuilder counter(String name) {
        x.add(new Objref(NFT_OBJECT_COUNTER, name));
        return this;
    }

    /** {@code dnat ip to th dport map @<map>}. */
    public RuleBuilder dnatByDport(String map) {
        x.add(Payload.dport(R1));
        x.add(Lookup.map(map, R1, R1));
        x.add(new Nat(NFT_NAT_DNAT, NFPROTO_IPV4, R1, part(R1, 1), 0));
        return this;
    }

    /**
     * {@code dnat ip to ip daddr . th dport map @<map>}: public endpoint to LAN endpoint (--pool).
     * The map's 8-byte value lands in register 1: the address in its first 4 bytes, the port in
     * the next 4-byte part. nft sends no NFTA_NAT_FLAGS here.
     */
    public RuleBuilder dnatByDaddrDport(String map) {
        pairLookup(Payload.ipDaddr(R1), Payload.dport(part(R1, 1)), map);
        x.add(new Nat(NFT_NAT_DNAT, NFPROTO_IPV4, R1, part(R1, 1), 0));
        return this;
    }

    /** An address and a port into register 1 and its next part, then looked up in {@code map}, the value into register 1. */
    private void pairLookup(Payload addr, Payload port, String map) {
        x.add(addr);
        x.add(port);
        x.add(Lookup.map(map, R1, R1));
    }

    /**
     * {@code snat ip to ip saddr . th sport map @<map>}: LAN endpoint to public address and port
     * (--pool); registers as in {@link #dnatByDaddrDport}, no NFTA_NAT_FLAGS either.
     */
    public RuleBuilder snatBySource(String map) {
        pairLookup(Payload.ipSaddr(R1), Payload.sport(part(R1, 1)), map);
        x.add(new Nat(NFT_NAT_SNAT, NFPROTO_IPV4, R1, part(R1, 1), 0));
        return this;
    }

    /** {@code masquerade to : ip saddr . th sport map @<map>}. */
    public RuleBuilder masqueradeBySource(String map) {
        pairLookup(Payload.ipSaddr(R1), Payload.sport(part(R1, 1)), map);
        x.add(new Masq(NF_NAT_RANGE_PROTO_SPECIFIED, R1));
        return this;
    }

    /** {@code snat ip to ct original ip daddr : ip saddr . th sport map @<map>}. */
    public RuleBuilder snatToOriginalDaddrBySource(String map) {
        x.add(new Ct(NFT_CT_DST_IP, R1, Ct.ORIGINAL));
        x.add(Payload.ipSaddr(R2));
        x.add(Payload.sport(part(R2, 1)));
        x.add(Lookup.map(map, R2, R2));
        x.add(new Nat(NFT_NAT_SNAT, NFPROTO_IPV4, R1, R2, NF_NAT_RANGE_PROTO_SPECIFIED));
        return this;
    }

    /** {@code meta mark set meta mark | <bit>}. */
    public RuleBuilder markOr(int bit) {
        x.add(new Meta(NFT_META_MARK, R1));
        x.add(new Bitwise(R1, R1, Expr.u32host(~bit), Expr.u32host(bit), true));
        x.add(new MetaSet(NFT_META_MARK, R1));
        return this;
    }

    /**
     * {@code meta mark & <bit> == <bit>}; nft names the bitwise operation here, iptables-nft (whose
     * encoding the xtables-target form of the queue rule follows) does not.
     */
    public RuleBuilder markHas(int bit, boolean asNft) {
        x.add(new Meta(NFT_META_MARK, R1));
        x.add(new Bitwise(R1, R1, Expr.u32host(bit), Expr.u32host(0), asNft));
        x.add(new Cmp(R1, NFT_CMP_EQ, Expr.u32host(bit)));
        return this;
    }

    /** {@code update @<set> { th sport . ip daddr }}. */
    public RuleBuilder updateSportDaddr(String set) {
        x.add(Payload.sport(R1));
        x.add(Payload.ipDaddr(part(R1, 1)));
        x.add(new Dynset(set, NFT_DYNSET_OP_UPDATE, R1));
        return this;
    }

    /** {@code update @<set> { ip saddr . th sport . ip daddr }}: public address . public port . peer (--pool). */
    public RuleBuilder updateSaddrSportDaddr(String set) {
        x.add(Payload.ipSaddr(R1));
        x.add(Payload.sport(part(R1, 1)));
        x.add(Payload.ipDaddr(part(R1, 2)));
        x.add(new Dynset(set, NFT_DYNSET_OP_UPDATE, R1));
        return this;
    }

    /**
     * {@code queue num <n> [bypass]}: nft's own queue expression when {@code nativeQueue}, else the
     * xtables NFQUEUE target through nft_compat (see {@link Target}), which nft lists the same way.
     */
    public RuleBuilder queue(int queueNum, boolean bypass, boolean nativeQueue) {
        x.add(nativeQueue ? new org.conenatd.nftables.expr.Queue(queueNum, 1, bypass) : Target.nfqueue(queueNum, bypass));
        return this;
    }
}

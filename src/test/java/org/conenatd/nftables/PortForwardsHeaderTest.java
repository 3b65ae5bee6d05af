package org.conenatd.nftables;

import org.conenatd.netlink.UapiHeaders;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What ForwardRules knows of the UAPI headers beyond NfTables (which NfTablesHeaderConstantsTest
 * checks): the verdict codes NFT_JUMP / NFT_GOTO (negative enum values, read here from enum
 * nft_verdicts), the xt_tcpudp.h / xt_multiport.h constants, and the offsets it reads in struct
 * xt_udp, xt_tcp, xt_multiport(_v1), nf_nat_ipv4_multi_range_compat, nf_nat_range and
 * nf_nat_range2, laid out here from the headers' declarations with natural alignment (as gcc does
 * on x86-64).
 */
class PortForwardsHeaderTest {
    static final String INC = "/usr/include/linux/netfilter/";

    static String header(String name) throws Exception {
        Path p = Path.of(INC + name);
        assumeTrue(Files.isReadable(p), "kernel headers not installed: " + p);
        return Files.readString(p).replaceAll("(?s)/\\*.*?\\*/", " ");
    }

    @Test
    void verdictCodes() throws Exception {
        Matcher m = Pattern.compile("(?s)enum nft_verdicts \\{(.*?)\\}").matcher(header("nf_tables.h"));
        assertTrue(m.find());
        Map<String, Integer> v = new LinkedHashMap<>();
        for (String item : m.group(1).split(",")) {
            String[] kv = item.trim().split("\\s*=\\s*");
            if (kv.length == 2) v.put(kv[0], Integer.parseInt(kv[1]));
        }
        assertEquals(v.get("NFT_JUMP"), ForwardRules.NFT_JUMP);
        assertEquals(v.get("NFT_GOTO"), ForwardRules.NFT_GOTO);
    }

    @Test
    void xtablesConstants() throws Exception {
        header("xt_tcpudp.h");
        Map<String, Long> h = UapiHeaders.values(INC + "xt_tcpudp.h", INC + "xt_multiport.h");
        assertEquals(h.get("XT_UDP_INV_DSTPT"), ForwardRules.XT_UDP_INV_DSTPT);
        assertEquals(h.get("XT_TCP_INV_DSTPT"), ForwardRules.XT_TCP_INV_DSTPT);
        assertEquals(h.get("XT_MULTIPORT_SOURCE"), ForwardRules.XT_MULTIPORT_SOURCE);
        assertEquals(h.get("XT_MULTIPORT_DESTINATION"), ForwardRules.XT_MULTIPORT_DESTINATION);
        assertEquals(h.get("XT_MULTI_PORTS"), ForwardRules.XT_MULTI_PORTS);
    }

    @Test
    void structLayouts() throws Exception {
        Layout udp = layout(header("xt_tcpudp.h"), "xt_udp"), tcp = layout(header("xt_tcpudp.h"), "xt_tcp");
        assertEquals(ForwardRules.XT_PORTS_DPTS, udp.offset("dpts"));
        assertEquals(ForwardRules.XT_PORTS_DPTS, tcp.offset("dpts"));
        assertEquals(ForwardRules.XT_UDP_INVFLAGS, udp.offset("invflags"));
        assertEquals(ForwardRules.XT_TCP_INVFLAGS, tcp.offset("invflags"));
        assertEquals(ForwardRules.XT_UDP_SIZE, udp.size());
        assertEquals(ForwardRules.XT_TCP_SIZE, tcp.size());

        String mp = header("xt_multiport.h");
        Layout m0 = layout(mp, "xt_multiport"), m1 = layout(mp, "xt_multiport_v1");
        assertEquals(ForwardRules.MULTIPORT_PORTS, m0.offset("ports"));
        assertEquals(ForwardRules.MULTIPORT_PORTS, m1.offset("ports"));
        assertEquals(ForwardRules.MULTIPORT_SIZE, m0.size());
        assertEquals(ForwardRules.MULTIPORT_V1_PFLAGS, m1.offset("pflags"));
        assertEquals(ForwardRules.MULTIPORT_V1_INVERT, m1.offset("invert"));
        assertEquals(ForwardRules.MULTIPORT_V1_SIZE, m1.size());

        String nat = header("nf_nat.h");
        Layout mrc = layout(nat, "nf_nat_ipv4_multi_range_compat"), r1 = layout(nat, "nf_nat_range"),
                r2 = layout(nat, "nf_nat_range2");
        assertEquals(ForwardRules.MRC_FLAGS, mrc.offset("range.flags"));
        assertEquals(ForwardRules.MRC_MIN_IP, mrc.offset("range.min_ip"));
        assertEquals(ForwardRules.MRC_MIN, mrc.offset("range.min"));
        assertEquals(ForwardRules.MRC_SIZE, mrc.size());
        for (Layout r : new Layout[] {r1, r2}) {
            assertEquals(0, r.offset("flags"));
            assertEquals(ForwardRules.RANGE_MIN_ADDR, r.offset("min_addr"));
            assertEquals(ForwardRules.RANGE_MIN_PROTO, r.offset("min_proto"));
        }
        assertEquals(ForwardRules.RANGE_SIZE, r1.size());
        assertEquals(ForwardRules.RANGE2_SIZE, r2.size());
    }

    /** Field offsets (nested structs as "outer.inner") and the size of one struct. */
    record Layout(Map<String, Integer> offsets, int size, int align) {
        int offset(String field) {
            Integer o = offsets.get(field);
            assertNotNull(o, "no field " + field + " in " + offsets);
            return o;
        }
    }

    private static final Map<String, int[]> SCALARS = Map.of(   // size, alignment
            "__u8", new int[] {1, 1}, "__u16", new int[] {2, 2}, "__be16", new int[] {2, 2},
            "__u32", new int[] {4, 4}, "__be32", new int[] {4, 4}, "unsigned int", new int[] {4, 4},
            "union nf_inet_addr", new int[] {16, 4}, "union nf_conntrack_man_proto", new int[] {2, 2});

    static Layout layout(String src, String struct) throws Exception {
        Matcher m = Pattern.compile("(?s)struct " + struct + " \\{(.*?)\\};").matcher(src);
        assertTrue(m.find(), "struct " + struct);
        Map<String, Long> defines = UapiHeaders.values(INC + "xt_multiport.h");
        Map<String, Integer> offsets = new LinkedHashMap<>();
        int at = 0, align = 1;
        Pattern field = Pattern.compile("\\s*((?:struct |union |unsigned )?\\w+)\\s+(\\w+)(?:\\[(\\w+)\\])?\\s*");
        for (String decl : m.group(1).split(";")) {
            if (decl.isBlank()) continue;
            Matcher f = field.matcher(decl);
            assertTrue(f.matches(), "declaration: " + decl);
            String type = f.group(1), name = f.group(2), dim = f.group(3);
            int n = dim == null ? 1 : dim.matches("\\d+") ? Integer.parseInt(dim) : defines.get(dim).intValue();
            int size, al;
            Layout inner = null;
            if (SCALARS.containsKey(type)) {
                size = SCALARS.get(type)[0];
                al = SCALARS.get(type)[1];
            } else {
                assertTrue(type.startsWith("struct "), "type " + type);
                inner = layout(src, type.substring(7));
                size = inner.size();
                al = inner.align();
            }
            at = (at + al - 1) / al * al;
            offsets.put(name, at);
            if (inner != null) for (var e : inner.offsets().entrySet()) offsets.put(name + "." + e.getKey(), at + e.getValue());
            at += size * n;
            align = Math.max(align, al);
        }
        return new Layout(offsets, (at + align - 1) / align * align, align);
    }
}

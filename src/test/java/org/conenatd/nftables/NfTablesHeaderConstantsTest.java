package org.conenatd.nftables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.conenatd.netlink.UapiHeaders;
import org.junit.jupiter.api.Test;

/**
 * Every public int constant of NfTables checked against the UAPI headers installed on this machine,
 * the way netlink.KernelHeaderConstantsTest checks the other packages: {@code #define NAME value}
 * and C enums (implicit increments, {@code =} with numbers, names, {@code |}, {@code <<} and, for
 * {@code NLMSG_MIN_TYPE+1}, {@code +}). Skipped when the headers are missing.
 */
class NfTablesHeaderConstantsTest {

    private static final String[] HEADERS = {
        "/usr/include/linux/netlink.h",
        "/usr/include/linux/netfilter/nfnetlink.h",
        "/usr/include/linux/netfilter/nf_tables.h",
        "/usr/include/linux/netfilter.h",
        "/usr/include/linux/netfilter/nf_nat.h",
        "/usr/include/linux/netfilter/nf_tables_compat.h",
        "/usr/include/linux/netfilter/xt_NFQUEUE.h",
    };

    /** Newer than Debian 12's 6.1 UAPI headers; the kernel value is pinned by NftMapsIT instead. */
    private static final List<String> NEWER_THAN_HEADERS = List.of("NFT_MSG_DESTROYSETELEM", "NFT_TABLE_F_PERSIST");

    @Test
    void everyNfTablesConstantEqualsTheKernelHeaders() throws Exception {
        Map<String, Long> h = UapiHeaders.values(HEADERS);
        int checked = 0;
        List<String> unchecked = new ArrayList<>();
        for (Field f : NfTables.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || f.getType() != int.class) continue;
            Long want = h.get(f.getName());
            if (want == null) {
                unchecked.add(f.getName());
                continue;
            }
            assertEquals(want.longValue(), f.getInt(null) & 0xffffffffL, "NfTables." + f.getName());
            checked++;
        }
        assertTrue(checked >= 54, "checked " + checked + ", unchecked " + unchecked);
        assertTrue(NEWER_THAN_HEADERS.containsAll(unchecked), "not in the headers: " + unchecked);
    }

    @Test
    void destroySetElemFollowsTheLastMessageTypeTheseHeadersKnow() throws Exception {
        Map<String, Long> h = UapiHeaders.values(HEADERS);
        // 6.3 appended GETRULE_RESET(25) and DESTROYTABLE..DESTROYFLOWTABLE(26..32) after DELFLOWTABLE(24)
        assertEquals(24L, h.get("NFT_MSG_DELFLOWTABLE"));
        if (h.containsKey("NFT_MSG_DESTROYSETELEM")) assertEquals(30L, h.get("NFT_MSG_DESTROYSETELEM"));
        else assertNull(h.get("NFT_MSG_GETRULE_RESET"), "headers with GETRULE_RESET also define DESTROYSETELEM");
        assertEquals(30, NfTables.NFT_MSG_DESTROYSETELEM);
    }

    @Test
    void evaluatorHandlesTheBatchEndDefine() throws Exception {
        assertEquals(0x11L, UapiHeaders.values(HEADERS).get("NFNL_MSG_BATCH_END"), "NLMSG_MIN_TYPE+1");
    }
}

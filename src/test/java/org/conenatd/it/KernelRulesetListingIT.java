package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The table conenatd writes over netlink, as {@code nft list table ip conenatd} reads it back from
 * the kernel, against the stored .nft files beside this test (the README shows the first). nft
 * appends "# progname java" to an owned table's first line; that comment is left out.
 */
class KernelRulesetListingIT {
    private static String stored(String name) throws IOException {
        try (InputStream in = KernelRulesetListingIT.class.getResourceAsStream("/org/conenatd/it/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String listed(Lab lab) throws IOException {
        // stderr aside: nft warns that a table holding an xtables target is "managed by iptables-nft"
        Lab.Result r = lab.exec(lab.rtr, "sh", "-c", "nft list table ip conenatd 2>/dev/null");
        assertEquals(0, r.code(), r.out());
        return r.out().lines().map(l -> l.replaceFirst(" # progname \\S+$", "")).reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void theDefaultTableReadsAsTheStoredFile() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            assertEquals(stored("kernel-mode.nft"), listed(lab));
        }
    }

    @Test
    void addressFilteringSourcesAndFullConePortsReadAsTheStoredFile() throws Exception {
        try (Lab lab = new Lab("plain")) {
            // 10.0.0.7 lies inside 10.0.0.0/24: the interval set gets the merged range
            lab.startKernelDaemon("--filtering", "address", "--source", "10.0.0.0/24", "--source", "10.0.0.7", "--protocols", "udp",
                    "--full-cone-ports", "53,3478,5000-5010");
            assertEquals(stored("kernel-mode-address-sources.nft"), listed(lab));
        }
    }

    @Test
    void aPoolWithAddressFilteringReadsAsTheStoredFile() throws Exception {
        try (Lab lab = new Lab("plain")) {
            // the maps carry the external address both ways; nothing names the interface's address
            lab.startKernelDaemon("--pool", "203.0.113.40-203.0.113.43", "--filtering", "address");
            assertEquals(stored("kernel-mode-pool.nft"), listed(lab));
        }
    }
}

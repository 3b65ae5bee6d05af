package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/** Faults on the inbound path are handled per packet: the daemon goes on. */
class FaultsIT {

    @Test
    void severalFirstPacketsOfOneFlowQueuedTogetherAreAllDelivered() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startDaemon();
            DatagramSocket host = lab.udp(lab.lan, LAN1, 48000);
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 5040);
            int natPort = lab.learnMapping(host, w, "203.0.113.10", 5040);
            Set<String> got = new HashSet<>();
            for (int round = 0; round < 5; round++) {
                DatagramSocket peer = lab.udp(lab.wan, "203.0.113." + (11 + round), 7040);
                // Back to back: later packets reach the queue before the first one's entry exists.
                for (int i = 0; i < 8; i++) Lab.send(peer, NAT_IP, natPort, round + "/" + i);
                for (int i = 0; i < 8; i++) {
                    Received r = Lab.receive(host, 3000);
                    assertNotNull(r, "round " + round + ": only " + i + " of 8 arrived\n" + lab.daemonLog());
                    got.add(r.text());
                }
            }
            assertEquals(40, got.size());
            lab.awaitStat("forwarded", v -> v >= 5, 3000);
            Map<String, Long> st = lab.stats();
            System.out.println("duplicate first packets: " + st);
            assertEquals(0L, st.getOrDefault("create_failed", 0L), "EEXIST is not a failure");
        }
    }
}

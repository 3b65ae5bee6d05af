package org.conenatd.netlink;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SocketFilterTest {
    @Test
    void dropFromPortIsLoadPidCompareDropOrKeepInStructSockFilterBytes() {
        byte[] b = SocketFilter.dropFromPort(Arena.ofAuto(), 0x11223344).toArray(ValueLayout.JAVA_BYTE);
        // x86_64 (little-endian): code u16, jt, jf, k u32; the port id byte-swapped for the big-endian load
        assertEquals("20000000" + "0c000000"      // ld  [12]            nlmsg_pid
                        + "15000001" + "11223344" // jeq #pid, next, +1
                        + "06000000" + "00000000" // ret #0              drop
                        + "06000000" + "ffffffff", // ret #-1            keep
                HexFormat.of().formatHex(b));
    }
}

package org.conenatd.inet;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Inet4Test {

    @Test
    void formatsTheBigEndianValueAsADottedQuad() {
        assertEquals("0.0.0.0", Inet4.format(0));
        assertEquals("255.255.255.255", Inet4.format(0xFFFFFFFF));
        assertEquals("10.77.1.2", Inet4.format(0x0A4D0102));
        assertEquals("203.0.113.10", Inet4.format(0xCB00710A)); // high bit set: no sign trouble
        assertEquals("198.51.100.0", Inet4.format(0xC6336400));
        assertEquals("198.51.100.0", Inet4.format(0xC6336400));
    }

    @Test
    void parsesDottedQuads() {
        assertEquals(0, Inet4.parseAddr("0.0.0.0"));
        assertEquals(0xFFFFFFFF, Inet4.parseAddr("255.255.255.255"));
        assertEquals(0x0A4D0102, Inet4.parseAddr("10.77.1.2"));
        assertEquals(0xCB00710A, Inet4.parseAddr("203.0.113.10"));
        assertEquals(0xC63364FF, Inet4.parseAddr("198.51.100.255"));
    }

    @Test
    void formatAndParseRoundTrip() {
        Random rnd = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            int a = rnd.nextInt();
            assertEquals(a, Inet4.parseAddr(Inet4.format(a)));
            assertEquals(a, Inet4.parseAddr(Inet4.format(a)));
        }
    }

    // Leading zeros are rejected: inet_aton() and ping read "010.1.1.1" as 8.1.1.1, so accepting
    // it as decimal would silently mean a different address than other tools do.
    @ParameterizedTest
    @ValueSource(strings = {
        "", "1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3", "1..2.3", "256.1.1.1", "1.2.3.256", "1.2.3.1000",
        "1234.1.1.1", "01.2.3.4", "1.2.3.00", "010.1.1.1", " 1.2.3.4", "1.2.3.4 ", "1.2. 3.4", "a.b.c.d",
        "+1.2.3.4", "1.2.3.-4", "1.2.3.0x4", "1.2.3.4/24", "1.2.3.4:80", "\u0661.2.3.4", "1,2,3,4", "16909060"
    })
    void rejectsAnythingButFourPlainDecimalOctets(String s) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Inet4.parseAddr(s));
        assertTrue(e.getMessage().contains(s));
    }

    @Test
    void rejectsNullAsAnInvalidAddress() {
        assertThrows(IllegalArgumentException.class, () -> Inet4.parseAddr(null));
    }
}

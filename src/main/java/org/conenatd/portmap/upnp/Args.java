package org.conenatd.portmap.upnp;

import org.conenatd.nat.Protocol;

/**
 * Reading UPnP argument values (UDA 1.0 section 2.5 data types), strictly: a number is ASCII digits
 * only (no sign, no space, no hex), so "what the client meant" is never guessed.
 */
final class Args {
    private Args() {}

    /** An argument that cannot be used; {@code error} is the fault to answer. */
    static final class Bad extends Exception {
        final UpnpError error;

        Bad(UpnpError error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }

    static final int DESCRIPTION_MAX = 128;

    /** An unsigned integer of at most {@code max}; {@code absent} if the argument is missing or empty. */
    static long unsigned(SoapRequest r, String name, long max, long absent) throws Bad {
        String s = r.arg(name);
        if (s.isEmpty()) {
            if (absent < 0) throw new Bad(UpnpError.INVALID_ARGS, name + " missing");
            return absent;
        }
        if (s.length() > 10) throw new Bad(UpnpError.INVALID_ARGS, name + " out of range");
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') throw new Bad(UpnpError.INVALID_ARGS, name + " is not a number");
            v = v * 10 + (c - '0');
        }
        if (v > max) throw new Bad(UpnpError.INVALID_ARGS, name + " out of range");
        return v;
    }

    /** A port (ui2), 0 included; required. */
    static int port(SoapRequest r, String name) throws Bad {
        return (int) unsigned(r, name, 65535, -1);
    }

    static Protocol protocol(SoapRequest r) throws Bad {
        String s = r.arg("NewProtocol");
        if (s.equalsIgnoreCase("UDP")) return Protocol.UDP;
        if (s.equalsIgnoreCase("TCP")) return Protocol.TCP;
        throw new Bad(UpnpError.INVALID_ARGS, "NewProtocol must be UDP or TCP");
    }

    /** UDA booleans: 0/1, false/true, no/yes; {@code absent} if missing. */
    static boolean bool(SoapRequest r, String name, boolean absent) throws Bad {
        String s = r.arg(name);
        if (s.isEmpty()) return absent;
        if (s.equals("1") || s.equalsIgnoreCase("true") || s.equalsIgnoreCase("yes")) return true;
        if (s.equals("0") || s.equalsIgnoreCase("false") || s.equalsIgnoreCase("no")) return false;
        throw new Bad(UpnpError.INVALID_ARGS, name + " is not a boolean");
    }

    /**
     * The description, without control characters (they would go to logs and listings) and cut at
     * {@link #DESCRIPTION_MAX} characters.
     */
    static String description(SoapRequest r) {
        String s = r.arg("NewPortMappingDescription");
        StringBuilder sb = new StringBuilder(Math.min(s.length(), DESCRIPTION_MAX));
        for (int i = 0; i < s.length() && sb.length() < DESCRIPTION_MAX; i++) {
            char c = s.charAt(i);
            if (!Character.isISOControl(c) && !Character.isSurrogate(c)) sb.append(c);
        }
        return sb.toString();
    }
}

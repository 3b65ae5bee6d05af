package org.conenatd.portmap.upnp;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What miniupnpc's ParseNameValue (upnpreplyparse.c over minixml.c) reads from an answer: each
 * innermost element's name without its namespace prefix, and its raw text (no entity decoding);
 * NewPortListing's CDATA content as it stands. Clients pick values by name, so a test asks the
 * same questions of an answer that upnpc asks.
 */
final class MiniupnpcView {
    private MiniupnpcView() {}

    private static final Pattern LEAF = Pattern.compile("<(?:[A-Za-z0-9_]+:)?([A-Za-z0-9_]+)(?: [^>]*)?>([^<]*)</");
    private static final Pattern LISTING = Pattern.compile("<NewPortListing><!\\[CDATA\\[(.*?)]]></NewPortListing>",
            Pattern.DOTALL);

    static Map<String, String> values(String xml) {
        Map<String, String> out = new HashMap<>();
        Matcher m = LEAF.matcher(xml);
        while (m.find()) out.putIfAbsent(m.group(1), m.group(2));
        return out;
    }

    static String portListing(String xml) {
        Matcher m = LISTING.matcher(xml);
        return m.find() ? m.group(1) : null;
    }
}

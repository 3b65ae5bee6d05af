package org.conenatd.portmap.upnp;

import java.util.List;

/**
 * Writes SOAP control responses and UPnP faults the way UDA 1.0 section 3.2.2 shows them (and
 * miniupnpd sends them): the response element {@code <u:ActionResponse>} in the request's namespace,
 * out arguments unqualified, in the order of the service description.
 */
public final class SoapWriter {
    private SoapWriter() {}

    /**
     * One out argument. A {@code cdata} value (GetListOfPortMappings' NewPortListing, itself an XML
     * document) goes out in a CDATA section, as miniupnpd sends it: miniupnpc's parser does not
     * unescape entities, so escaped markup would not reach its listing parser as markup.
     */
    public record Out(String name, String value, boolean cdata) {
        public Out(String name, String value) { this(name, value, false); }
    }

    private static final String HEAD = "<?xml version=\"1.0\"?>\r\n"
            + "<s:Envelope xmlns:s=\"" + SoapParser.ENVELOPE_NS + "\" "
            + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>";
    private static final String TAIL = "</s:Body></s:Envelope>\r\n";

    public static String response(String serviceType, String action, List<Out> out) {
        StringBuilder sb = new StringBuilder(HEAD.length() + TAIL.length() + 128 + 64 * out.size());
        sb.append(HEAD).append("<u:").append(action).append("Response xmlns:u=\"");
        escape(serviceType, sb).append("\">");
        for (Out o : out) {
            sb.append('<').append(o.name()).append('>');
            if (o.cdata()) text(o.value().replace("]]>", "]]]]><![CDATA[>"), sb.append("<![CDATA["), false).append("]]>");
            else escape(o.value(), sb);
            sb.append("</").append(o.name()).append('>');
        }
        return sb.append("</u:").append(action).append("Response>").append(TAIL).toString();
    }

    /** The fault body; it goes out with HTTP status 500. */
    public static String fault(UpnpError error) {
        return HEAD + "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
                + "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">"
                + "<errorCode>" + error.code + "</errorCode>"
                + "<errorDescription>" + error.description + "</errorDescription>"
                + "</UPnPError></detail></s:Fault>" + TAIL;
    }

    /**
     * Escapes text for element content or a double-quoted attribute; {@code >} too, so that escaped
     * text can sit inside a CDATA section (GetListOfPortMappings). Characters XML 1.0 cannot carry
     * at all (controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) become U+FFFD.
     */
    public static StringBuilder escape(String s, StringBuilder sb) {
        return text(s, sb, true);
    }

    /** Appends {@code s} with what XML cannot carry replaced, and markup escaped if {@code markup}. */
    private static StringBuilder text(String s, StringBuilder sb, boolean markup) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String entity = !markup ? null : switch (c) {
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '&' -> "&amp;";
                case '"' -> "&quot;";
                case '\'' -> "&apos;";
                default -> null;
            };
            if (entity != null) {
                sb.append(entity);
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || Character.isSurrogate(c)
                    || c == '\uFFFE' || c == '\uFFFF') {
                sb.append('\uFFFD');
            } else {
                sb.append(c);
            }
        }
        return sb;
    }

    public static String escape(String s) {
        return escape(s, new StringBuilder(s.length() + 8)).toString();
    }
}

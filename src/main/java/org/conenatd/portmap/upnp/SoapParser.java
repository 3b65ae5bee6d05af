package org.conenatd.portmap.upnp;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a SOAP 1.1 control request (UDA 1.0 section 3.2.1) from its body and SOAPACTION header. The
 * XML parser reads no DTD at all (a DOCTYPE is a fatal error), so no entity, internal or external, is
 * ever expanded and no file or URL is ever opened. Never throws anything but {@link Invalid}.
 */
public final class SoapParser {
    public static final String ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/";

    /** A request that is not a well-formed control request; {@code error} is the fault to answer. */
    public static final class Invalid extends Exception {
        public final UpnpError error;

        public Invalid(UpnpError error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }

    private static final DocumentBuilderFactory FACTORY = hardenedFactory();
    private static final ThreadLocal<DocumentBuilder> BUILDER = ThreadLocal.withInitial(SoapParser::newBuilder);

    private SoapParser() {}

    /**
     * Parses {@code body}; {@code soapAction} is the SOAPACTION header ({@code "ns#Action"}, quotes
     * optional), which must be there and name the body's action: a browser cannot send that header
     * cross-origin without a CORS preflight, which this server never grants.
     */
    public static SoapRequest parse(byte[] body, String soapAction) throws Invalid {
        if (soapAction == null) throw new Invalid(UpnpError.INVALID_ACTION, "no SOAPACTION header");
        Document doc;
        try {
            DocumentBuilder b = BUILDER.get();
            b.reset();
            b.setErrorHandler(SILENT);
            b.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
            doc = b.parse(new ByteArrayInputStream(body));
        } catch (SAXException | IOException | RuntimeException e) {
            throw new Invalid(UpnpError.INVALID_ARGS, "not well-formed XML: " + e.getMessage());
        }
        Element env = doc.getDocumentElement();
        if (!is(env, ENVELOPE_NS, "Envelope")) throw new Invalid(UpnpError.INVALID_ARGS, "no SOAP Envelope");
        Element soapBody = null;
        for (Element e = firstElement(env); e != null; e = nextElement(e)) {
            if (is(e, ENVELOPE_NS, "Body")) { soapBody = e; break; }
        }
        if (soapBody == null) throw new Invalid(UpnpError.INVALID_ARGS, "no SOAP Body");
        Element action = firstElement(soapBody);
        if (action == null || action.getNamespaceURI() == null) {
            throw new Invalid(UpnpError.INVALID_ACTION, "no action element in a service namespace");
        }
        String ns = action.getNamespaceURI(), name = action.getLocalName();
        if (!soapActionNames(soapAction, ns, name)) {
            throw new Invalid(UpnpError.INVALID_ACTION, "SOAPACTION " + soapAction + " is not " + ns + "#" + name);
        }
        Map<String, String> args = new HashMap<>();
        for (Element a = firstElement(action); a != null; a = nextElement(a)) {
            if (firstElement(a) != null) throw new Invalid(UpnpError.INVALID_ARGS, "argument " + a.getLocalName() + " has elements");
            if (args.put(a.getLocalName(), a.getTextContent().strip()) != null) {
                throw new Invalid(UpnpError.INVALID_ARGS, "argument " + a.getLocalName() + " given twice");
            }
        }
        return new SoapRequest(ns, name, args);
    }

    static boolean soapActionNames(String header, String ns, String action) {
        String h = header.strip();
        if (h.length() >= 2 && h.startsWith("\"") && h.endsWith("\"")) h = h.substring(1, h.length() - 1);
        return h.equals(ns + "#" + action);
    }

    private static boolean is(Element e, String ns, String localName) {
        return e != null && ns.equals(e.getNamespaceURI()) && localName.equals(e.getLocalName());
    }

    private static Element firstElement(Node parent) {
        Node n = parent.getFirstChild();
        while (n != null && n.getNodeType() != Node.ELEMENT_NODE) n = n.getNextSibling();
        return (Element) n;
    }

    private static Element nextElement(Node from) {
        Node n = from.getNextSibling();
        while (n != null && n.getNodeType() != Node.ELEMENT_NODE) n = n.getNextSibling();
        return (Element) n;
    }

    private static final ErrorHandler SILENT = new ErrorHandler() {
        @Override public void warning(SAXParseException e) {}
        @Override public void error(SAXParseException e) throws SAXException { throw e; }
        @Override public void fatalError(SAXParseException e) throws SAXException { throw e; }
    };

    private static DocumentBuilderFactory hardenedFactory() {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        try {
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        } catch (ParserConfigurationException e) {
            // a parser that cannot refuse DTDs must not parse requests from the network
            throw new IllegalStateException("XML parser cannot be hardened: " + e.getMessage(), e);
        }
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setNamespaceAware(true);
        f.setValidating(false);
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f;
    }

    private static DocumentBuilder newBuilder() {
        try {
            return FACTORY.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }
}

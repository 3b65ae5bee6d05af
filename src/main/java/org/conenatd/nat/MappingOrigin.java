package org.conenatd.nat;

/** Who made a mapping: conenatd itself for a first packet, the operator, or a port-mapping protocol. */
public enum MappingOrigin {
    DYNAMIC("dynamic"), STATIC("static"), NATPMP("natpmp"), PCP("pcp"), UPNP("upnp");

    static final MappingOrigin[] VALUES = values();

    public final String label;

    MappingOrigin(String label) { this.label = label; }
}

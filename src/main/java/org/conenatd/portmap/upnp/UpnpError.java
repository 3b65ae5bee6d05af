package org.conenatd.portmap.upnp;

/**
 * The UPnP error codes conenatd answers with, in a SOAP fault (UDA 1.0 section 3.2.2 for the 4xx/5xx
 * ones, WANIPConnection:1/2 for the 7xx ones). The description is the standard one: clients print
 * it (miniupnpc's strupnperror has its own table, keyed by code).
 */
public enum UpnpError {
    INVALID_ACTION(401, "Invalid Action"),
    INVALID_ARGS(402, "Invalid Args"),
    ACTION_FAILED(501, "Action Failed"),
    NOT_AUTHORIZED(606, "Action not authorized"),
    ARRAY_INDEX_INVALID(713, "SpecifiedArrayIndexInvalid"),
    NO_SUCH_ENTRY(714, "NoSuchEntryInArray"),
    WILDCARD_NOT_PERMITTED_IN_EXT_PORT(716, "WildCardNotPermittedInExtPort"),
    CONFLICT(718, "ConflictInMappingEntry"),
    REMOTE_HOST_WILDCARD_ONLY(726, "RemoteHostOnlySupportsWildcard"),
    NO_PORT_MAPS_AVAILABLE(728, "NoPortMapsAvailable"),
    INCONSISTENT_PARAMETERS(733, "InconsistentParameters");

    public final int code;
    public final String description;

    UpnpError(int code, String description) {
        this.code = code;
        this.description = description;
    }
}

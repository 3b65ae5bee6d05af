package org.conenatd.ops;

/** A start-up problem the operator can fix; its message is printed as one line, no stack trace. */
public final class StartupException extends Exception {
    public StartupException(String message) {
        super(message, null, false, false);
    }
}

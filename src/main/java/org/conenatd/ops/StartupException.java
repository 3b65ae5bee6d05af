package org.conenatd.ops;

/**
 * A start-up problem the operator can fix; its message is printed as one line, no stack trace.
 * The cause, when there is one, is kept for debug output and for tests that look at the errno.
 */
public final class StartupException extends Exception {
    public StartupException(String message) {
        this(message, null);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}

package org.autobalance.cli;

/** Invalid input that the user can fix (a bad file or option value): exit code 2, message only, no stack trace. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}

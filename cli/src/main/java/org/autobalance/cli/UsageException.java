package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.autobalance.io.internal.FileChecks;

/** Invalid input that the user can fix (a bad file or option value): exit code 2, message only, no stack trace. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "cannot read WHAT from PATH: REASON", with the path said once ({@link FileChecks#cannotRead}). */
    static UsageException cannotRead(String what, Path path, IOException e) {
        return new UsageException(FileChecks.cannotRead(what, path, e), e);
    }
}

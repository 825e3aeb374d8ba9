package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.Path;

/** Invalid input that the user can fix (a bad file or option value): exit code 2, message only, no stack trace. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * "cannot read WHAT from PATH: REASON", with the path said once: the readers' messages begin with the file they
     * read ("P: truncated: …", "P, line 2: …"), which was printed twice ("… from P: P: truncated").
     */
    static UsageException cannotRead(String what, Path path, IOException e) {
        String reason = SolverRun.reason(e);
        String file = path.toString();
        return new UsageException("cannot read " + what + " from " + (reason.startsWith(file + ":")
                || reason.startsWith(file + ",") ? reason : file + ": " + reason), e);
    }
}

package org.autobalance.spark.cli;

import java.io.UncheckedIOException;
import org.autobalance.cli.UsageException;
import org.autobalance.solve.DivergenceException;

/**
 * The problem behind a failed Spark job. A task's exception reaches the driver wrapped ("Job aborted due to stage
 * failure: … Lost task …: java.lang.IllegalArgumentException: …" with the task's exception as cause); the command
 * line reports the exception the task threw, with its exit code: an invalid or unreadable input is a usage error.
 */
final class TaskFailures {
    private TaskFailures() {
    }

    static RuntimeException unwrap(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UsageException || t instanceof IllegalArgumentException
                    || t instanceof DivergenceException) {
                return (RuntimeException) t;
            }
            if (t instanceof UncheckedIOException io) {
                return new UsageException(io.getMessage(), io);
            }
        }
        return e;
    }
}

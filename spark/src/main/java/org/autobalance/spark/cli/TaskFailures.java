package org.autobalance.spark.cli;

import java.io.UncheckedIOException;
import org.apache.spark.SparkException;
import org.autobalance.cli.UsageException;
import org.autobalance.solve.DivergenceException;

/**
 * The problem behind a failed Spark job. A task's exception reaches the driver wrapped in a {@link SparkException}
 * ("Job aborted due to stage failure: … Lost task …: java.lang.IllegalArgumentException: …", then the stack traces,
 * with the task's exception as cause); the command line reports the exception the task threw, with its exit code: an
 * invalid or unreadable input is a usage error. Any other failed job, and Spark's state errors (a stopped context),
 * are reported by their message's first line, and a failure of the driver's own writing (checkpoints, the log, the
 * results) as it is.
 */
final class TaskFailures {
    private TaskFailures() {
    }

    /** What to report for {@code e}, thrown by a run: the task's own exception where there is one. */
    static Exception unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UsageException || t instanceof IllegalArgumentException
                    || t instanceof DivergenceException) {
                return (RuntimeException) t;
            }
            if (t instanceof UncheckedIOException io && t != e) {
                // a task's: its input could not be read. The driver's own (a checkpoint or the log that a full disk
                // refused) is a failed run, exit code 1, as in factorize
                return new UsageException(io.getMessage(), io);
            }
        }
        if (e instanceof SparkException && e.getMessage() != null) {
            // another failure of a task: the message's first line names it ("… Lost task 2.0 …: java.lang.…: …");
            // the rest is the task's stack trace and the driver's
            return new RuntimeException(e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (e instanceof IllegalStateException && e.getMessage() != null && e.getMessage().contains("\n")) {
            // Spark's own, such as "Cannot call methods on a stopped SparkContext." and then where it was created
            // and the stack of its start (3 000 characters on the one line of the error, a new user's finding)
            return new IllegalStateException(e.getMessage().lines().findFirst().orElse(""), e);
        }
        return e;
    }
}

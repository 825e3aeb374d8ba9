package org.autobalance.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.spark.SparkException;
import org.autobalance.cli.UsageException;
import org.junit.jupiter.api.Test;

/** What a failed Spark job is reported as: no Spark needed, the exceptions are built as the driver receives them. */
class TaskFailuresTest {
    /** The shape of Spark 4.2's message for a task that failed (DAGScheduler): a first line, then stack traces. */
    private static final String ABORTED = "Job aborted due to stage failure: Task 2 in stage 0.0 failed 1 times, most "
            + "recent failure: Lost task 2.0 in stage 0.0 (TID 2) (localhost executor driver): %s\n"
            + "\tat org.autobalance.spark.MatrixSource.read(MatrixSource.java:1)\n\nDriver stacktrace:\n"
            + "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:1)";

    @Test
    void aTaskThatCouldNotReadItsInputIsAUsageErrorWithTheTasksMessage() {
        UncheckedIOException task = new UncheckedIOException("shard s.npy: non-finite value NaN",
                new IOException("s.npy: non-finite value NaN"));
        Exception reported = TaskFailures.unwrap(new SparkException(ABORTED.formatted(task), task));
        assertInstanceOf(UsageException.class, reported);
        assertEquals("shard s.npy: non-finite value NaN", reported.getMessage());
        IllegalArgumentException bad = new IllegalArgumentException("bad");
        assertSame(bad, TaskFailures.unwrap(new SparkException(ABORTED.formatted(bad), bad)));
    }

    @Test
    void anyOtherFailedJobIsItsMessagesFirstLine() {
        IllegalStateException task = new IllegalStateException("broken");
        Exception reported = TaskFailures.unwrap(new SparkException(ABORTED.formatted(task), task));
        assertEquals(ABORTED.formatted(task).lines().findFirst().orElseThrow(), reported.getMessage());
        assertEquals(1, reported.getMessage().lines().count());
        IOException local = new IOException("disk full");
        assertSame(local, TaskFailures.unwrap(local));
        // the driver's checkpoint on a full disk: a failed run (exit code 1), as factorize's; it was a usage error
        UncheckedIOException checkpoint = new UncheckedIOException("cannot write the checkpoint of iteration 4 to ck "
                + "(No space left on device)", local);
        assertSame(checkpoint, TaskFailures.unwrap(checkpoint));
    }

    /** Spark's state errors carry where the context was made and the stack of its start: their first line is said. */
    @Test
    void aStoppedContextIsItsMessagesFirstLine() {
        IllegalStateException stopped = new IllegalStateException("Cannot call methods on a stopped SparkContext.\n"
                + "This stopped SparkContext was created at:\n\norg.apache.spark.sql.SparkSession$Builder.getOrCreate");
        Exception reported = TaskFailures.unwrap(stopped);
        assertEquals("Cannot call methods on a stopped SparkContext.", reported.getMessage());
        assertSame(stopped, reported.getCause());
        IllegalStateException oneLine = new IllegalStateException("LiveListenerBus is stopped.");
        assertSame(oneLine, TaskFailures.unwrap(oneLine));
    }
}

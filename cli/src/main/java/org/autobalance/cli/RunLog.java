package org.autobalance.cli;

import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.JsonLinesLog;
import org.autobalance.observe.NetworkListener;
import org.autobalance.observe.NetworkRecord;

/**
 * A command's {@code --log} as its solver's listener: the records go to the log's staging file
 * ({@link SolverRun#stagingFor}), which takes the log's name when the run ends.
 *
 * <p>A record that cannot be written — a full disk, the reader of {@code --log /dev/stdout} gone — stops the run at
 * once (the listener throws {@link Failure}, and the solver ends with it; exit code 1): the user asked for the record
 * of every iteration, and a run going on without it, unattended, would be found out at its end; with
 * {@code --checkpoint} the work is not lost, {@code --resume} continues it. The log then keeps its staging name,
 * which the message names: a log cut short (its last line half written) never takes the log's name, where an earlier
 * run's log stays as it was, and a resumed run continues it from its checkpoint.
 */
final class RunLog implements IterationListener, NetworkListener, Flushable, AutoCloseable {
    /** A log that could not be written; the run stopped there. */
    static final class Failure extends UncheckedIOException {
        private static final long serialVersionUID = 1L;

        Failure(String message, IOException cause) {
            super(message, cause);
        }
    }

    private final Path log;
    private final Path staging;
    private final JsonLinesLog records;
    /** The iteration of the last record handed to the log, −1 before the first. */
    private long last = -1;
    private boolean failed;

    private RunLog(Path log, Path staging, JsonLinesLog records) {
        this.log = log;
        this.staging = staging;
        this.records = records;
    }

    /** Opens the log as {@link SolverRun#openLog} does: a new one, or a resumed run's continued at its checkpoint. */
    static RunLog open(Path log, Path staging, long resumedAt) throws IOException {
        return new RunLog(log, staging, SolverRun.openLog(log, staging, resumedAt));
    }

    @Override
    public void onIteration(IterationRecord record) {
        write(() -> records.onIteration(record), record.iteration());
    }

    @Override
    public void onIteration(NetworkRecord record) {
        write(() -> records.onIteration(record), record.iteration());
    }

    /** Writes the record of {@code iteration} by {@code write}; a failure stops the run. */
    private void write(Runnable write, long iteration) {
        try {
            write.run();
        } catch (UncheckedIOException e) {
            throw failure(e.getCause(), iteration);
        }
        last = iteration;
    }

    /** Flushed by a checkpointing solver before each checkpoint; a failure stops the run as a record's does. */
    @Override
    public void flush() {
        try {
            records.flush();
        } catch (IOException e) {
            throw failure(e, last);
        }
    }

    @Override
    public void close() {
        try {
            records.close();
        } catch (IOException e) {
            if (!failed) {
                throw failure(e, last);
            }
        }
    }

    /**
     * {@code e}, after closing {@code result} (null for none), which goes unreported: the run's result, when the
     * log's last records could not be written at its close (the run had finished); the log opened before a run whose
     * preparation failed.
     */
    static <E extends Throwable> E closing(E e, AutoCloseable result) {
        if (result != null) {
            try {
                result.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
        }
        return e;
    }

    /**
     * The end of the run: the log takes its name (also a diverged run's, which shows how it diverged), unless writing
     * it failed; a run cancelled before its first iteration, not resumed, writes nothing, and its log is removed.
     */
    void finish(boolean cancelledInSetUp, boolean resumed) throws IOException {
        if (failed) {
            return;
        }
        if (cancelledInSetUp && !resumed && !staging.equals(log)) {
            // over an earlier log there included (a resumed run's staged log holds the interrupted run's records and is
            // finished as usual)
            Files.deleteIfExists(staging);
        } else {
            SolverRun.finishLog(log, staging);
        }
    }

    private Failure failure(IOException e, long iteration) {
        failed = true;
        boolean inPlace = staging.equals(log);
        return new Failure("--log " + log + ": cannot write " + (inPlace ? "it" : staging) + " ("
                + FileChecks.reason(e) + ") " + (iteration < 0 ? "at its first record" : "at iteration " + iteration)
                + ": the run stopped there" + (inPlace ? "" : " (the log's records so far stay in " + staging + ")"),
                e);
    }
}

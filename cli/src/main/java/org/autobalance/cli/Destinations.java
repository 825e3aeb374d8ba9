package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a run writes — its checkpoint directory, {@code --out}, {@code --log} — checked and locked for the run before
 * its input is read, so that a second run given the same destination learns it at once rather than after a possibly
 * long load (the log's lock used to be taken where the log was opened, after M was read), and two runs into one
 * {@code --out} cannot leave one run's U beside the other's V and summary. Closing it lets every lock go and removes
 * the directories it made that hold nothing (a run refused for its input leaves nothing behind).
 */
public final class Destinations implements AutoCloseable {
    private final Path out;
    private final Path log;
    /** Held in the order taken; let go in the reverse order (a log's directory may be inside --out). */
    private final List<RunLock> locks;

    private Destinations(Path out, Path log, List<RunLock> locks) {
        this.out = out;
        this.log = log;
        this.locks = locks;
    }

    /**
     * Checks and locks the destinations of a run (any may be null or absent): {@code checkpointing}'s directory, then
     * {@code out}, then the staged {@code log}. A destination that cannot be written or that another run holds is a
     * usage error naming it; the locks already taken are then let go.
     */
    public static Destinations claim(Path out, Path log, Checkpointing checkpointing) {
        SolverRun.checkDestinations(out, log);
        List<RunLock> locks = new ArrayList<>();
        Destinations claimed = new Destinations(out, log, locks);
        try {
            if (checkpointing != null) {
                add(locks, checkpointing.lock());
            }
            if (out != null) {
                add(locks, RunLock.output(out));
            }
            add(locks, SolverRun.lockLog(log));
            return claimed;
        } catch (RuntimeException e) {
            try {
                claimed.close();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static void add(List<RunLock> locks, RunLock lock) {
        if (lock != null) {
            locks.add(lock);
        }
    }

    /** The output directory, or null for none. */
    Path out() {
        return out;
    }

    /** The iteration log, or null for none. */
    Path log() {
        return log;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (int k = locks.size() - 1; k >= 0; k--) {
            try {
                locks.get(k).close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        locks.clear();
        if (first != null) {
            throw first;
        }
    }
}

package org.autobalance.observe;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A listener that keeps every record (or every {@code every}-th) in memory, for plots and tests. Thread-safe: runs
 * in parallel may share one (before the fifteenth session a shared one lost records), and another thread may read
 * {@code records().size()} and {@code get(i)} while a run appends; iterate (or stream) over the records once the runs
 * have returned. The records of runs sharing one interleave with nothing saying which run made each (each run's
 * iteration starts again at 0): give each run a trajectory of its own.
 */
public final class Trajectory implements IterationListener {
    private final int every;
    private final List<IterationRecord> records = Collections.synchronizedList(new ArrayList<>());

    /** Keeps every record. */
    public Trajectory() {
        this(1);
    }

    /** Keeps records whose iteration is a multiple of {@code every} (≥ 1). */
    public Trajectory(int every) {
        if (every < 1) {
            throw new IllegalArgumentException("sampling interval must be at least 1, got " + every);
        }
        this.every = every;
    }

    @Override
    public void onIteration(IterationRecord record) {
        if (record.iteration() % every == 0) {
            records.add(record);
        }
    }

    /** The records kept so far, in the order they came (unmodifiable view): in iteration order for one run. */
    public List<IterationRecord> records() {
        return Collections.unmodifiableList(records);
    }
}

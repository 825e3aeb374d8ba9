package org.autobalance.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The chain of iterates U_0, U_1, … (each an RDD derived from the one before; also the blocks of a power iteration)
 * and what it holds on the cluster.
 *
 * <p>Every {@code every} iterations the new iterate is checkpointed: reliably (files in the context's checkpoint
 * directory, which survive a lost executor) when one is set, otherwise locally (in the executors' block managers,
 * enough for an embedded local Spark). A checkpoint cuts the lineage, so a long run never builds a DAG deep enough to
 * overflow the stack, and frees the broadcasts of the iterations before it. Between checkpoints, only the latest
 * iterate and the last checkpointed one stay cached: a lost block of the latest is recomputed from the checkpoint,
 * with the broadcasts kept since.
 *
 * <p>Only the last checkpoint's files are kept: a new one replaces them (nothing reads the older ones once the lineage
 * is cut there), and {@link #close()} removes them. Spark itself keeps every checkpoint's files until the application
 * ends and after ({@code spark.cleaner.referenceTracking.cleanCheckpoints} is off by default), so a run of 10 000
 * iterations cut every 50 left 201 copies of U in the checkpoint directory.
 */
final class Lineage<T> implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Lineage.class.getName());
    private final int every;
    /** The context whose checkpoint directory holds the files, or null for local checkpoints. */
    private final JavaSparkContext reliable;
    private final List<Broadcast<?>> broadcasts = new ArrayList<>();
    private JavaRDD<T> anchor;
    private JavaRDD<T> current;
    private JavaRDD<T> pending;

    Lineage(JavaSparkContext sc, int every) {
        this.every = every;
        this.reliable = sc.getCheckpointDir().isPresent() ? sc : null;
    }

    /** A broadcast that computing the iterates from the last checkpoint on needs. */
    void keep(Broadcast<?> broadcast) {
        broadcasts.add(broadcast);
    }

    /** Marks iterate {@code t} for checkpointing when t is a multiple of the interval (before its first action). */
    void checkpointIfDue(JavaRDD<T> iterate, long t) {
        if (t % every == 0) {
            if (reliable != null) {
                iterate.checkpoint();
            } else {
                iterate.rdd().localCheckpoint();
            }
            pending = iterate;
        }
    }

    /** Makes {@code next}, just computed by an action, the latest iterate and releases what it no longer needs. */
    void advance(JavaRDD<T> next) {
        JavaRDD<T> previous = current;
        current = next;
        if (pending == next) {
            // the action that computed it also wrote its checkpoint: nothing before it is needed any more
            pending = null;
            // unpersist, not destroy: the checkpointed RDD keeps its (now unused) closure, which is serialized with
            // every later task and would fail on a destroyed broadcast; the driver's copy goes with the RDDs
            broadcasts.forEach(b -> b.unpersist(false));
            broadcasts.clear();
            if (anchor != null && anchor != previous) {
                anchor.unpersist(false);
            }
            removeCheckpointFiles(anchor);
            anchor = next;
        }
        if (previous != null && previous != anchor) {
            previous.unpersist(false);
        }
    }

    /** The latest iterate. */
    JavaRDD<T> current() {
        return current;
    }

    /** Unpersists every cached iterate and the broadcasts kept, and deletes the last cut's files. */
    @Override
    public void close() {
        if (current != null) {
            current.unpersist(false);
        }
        if (anchor != null && anchor != current) {
            anchor.unpersist(false);
        }
        if (pending != null && pending != current) {
            pending.unpersist(false);
        }
        broadcasts.forEach(b -> b.unpersist(false));
        broadcasts.clear();
        removeCheckpointFiles(anchor);
        removeCheckpointFiles(pending);
    }

    /**
     * Deletes the files of {@code rdd}'s reliable checkpoint, if it has one (none until the cut is complete: a cut
     * that failed half-way leaves its files). Housekeeping only: the run's results do not depend on it, so a file
     * system that refuses (a read-only directory; an I/O error, or an unchecked one of Hadoop's) leaves the files, as
     * Spark would have, rather than replace the run's result or exception, and a warning names them; files already
     * gone are no failure.
     */
    private void removeCheckpointFiles(JavaRDD<T> rdd) {
        if (reliable == null || rdd == null || !rdd.getCheckpointFile().isPresent()) {
            return;
        }
        Path files = new Path(rdd.getCheckpointFile().get());
        String why;
        try {
            FileSystem fs = files.getFileSystem(reliable.hadoopConfiguration());
            if (fs.delete(files, true) || !fs.exists(files)) {
                return;
            }
            why = "the file system refused to delete them";
        } catch (IOException | RuntimeException e) {
            why = e.toString();
        }
        String reason = why;
        LOG.log(System.Logger.Level.WARNING, () -> "a lineage cut's files were left in the checkpoint directory: "
                + files + " (" + reason + "); nothing reads them, remove them when the run is over");
    }
}

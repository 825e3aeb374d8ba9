package org.autobalance.solve.internal;

import java.util.Map;
import java.util.Objects;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Checkpoint;

/**
 * The solvers' generic reader of a loaded {@link Checkpoint}: header fields, exact doubles and payload blocks by name,
 * and the check that a checkpoint belongs to the resuming run, for the state that the public class does not read (the
 * factorisation's divergence reference, plateau verdict and test state: {@link FactorCheckpoint}; a held-out best:
 * {@link HeldOutBest}; the network trainer's parameters and step back-off). {@code Checkpoint} hands its
 * {@link Access} over when its class is initialised, as the JDK's {@code SharedSecrets} do, so that the reading stays
 * in {@code Checkpoint} (one home, beside its parser) without being a public member of the library's API. Any
 * {@code Checkpoint} object exists only after that.
 */
public final class CheckpointReader {
    private static volatile Access access;

    private CheckpointReader() {
    }

    /** What {@code Checkpoint} implements for this class. */
    public interface Access {
        /** The header field {@code key} as JSON read it, or null if there is none. */
        Object field(Checkpoint c, String key);

        /** A double of the run's state, exactly as saved ({@link CheckpointWriter#exact}). */
        double exact(Checkpoint c, String key);

        /** The payload block {@code name}, an array of doubles ({@link CheckpointWriter#doubles}). */
        double[] doubles(Checkpoint c, String name);

        /** Whether the payload holds a block {@code name}. */
        boolean has(Checkpoint c, String name);

        /** Copies the payload block {@code name} into {@code into}, which must have its dtype and shape. */
        void restore(Checkpoint c, String name, DenseMatrix into);

        /** Refuses a run of another kind, configuration or input (see {@link CheckpointReader#requireSameRun}). */
        void requireSameRun(Checkpoint c, String kind, String inputHash, Map<String, Object> configuration);

        /** Refuses a run of another kind or with other options (see {@link CheckpointReader#requireSameOptions}). */
        void requireSameOptions(Checkpoint c, String kind, Map<String, Object> options);

        /** The factorisation's check on resume: the factors' shapes and dtype, then as the method above. */
        void requireSameRun(Checkpoint c, DType dtype, int d1, int d2, int rank, String inputHash,
                Map<String, Object> configuration);
    }

    /**
     * Called once, by {@code Checkpoint}'s class initialiser.
     *
     * @throws IllegalStateException on a second call
     */
    public static synchronized void grant(Access granted) {
        if (access != null) {
            throw new IllegalStateException("the checkpoint's reader is already granted");
        }
        access = Objects.requireNonNull(granted);
    }

    /** The header field {@code key} of {@code c} as JSON read it, or null if it has none. */
    public static Object field(Checkpoint c, String key) {
        return access.field(c, key);
    }

    /**
     * A double of the run's state, exactly as the solver saved it.
     *
     * @throws IllegalArgumentException if the checkpoint holds no such value
     */
    public static double exact(Checkpoint c, String key) {
        return access.exact(c, key);
    }

    /**
     * As {@link #exact}, or {@code absent} where the checkpoint has no field {@code key}: one written before the
     * value was kept.
     */
    public static double exactOr(Checkpoint c, String key, double absent) {
        return field(c, key) == null ? absent : exact(c, key);
    }

    /**
     * The payload block {@code name} of {@code c}, an array of doubles.
     *
     * @throws IllegalArgumentException if there is no such block, or it is not an array of doubles
     */
    public static double[] doubles(Checkpoint c, String name) {
        return access.doubles(c, name);
    }

    /** Whether the payload of {@code c} holds a block {@code name}. */
    public static boolean has(Checkpoint c, String name) {
        return access.has(c, name);
    }

    /**
     * Copies the payload block {@code name} of {@code c} into {@code into}.
     *
     * @throws IllegalArgumentException if there is no such block, or its dtype or shape is not {@code into}'s
     */
    public static void restore(Checkpoint c, String name, DenseMatrix into) {
        access.restore(c, name, into);
    }

    /**
     * Refuses to continue from {@code c} a run of another kind, configuration or input (limits of time and
     * iterations are not part of a configuration: they may change).
     *
     * @param kind {@code factorize} ({@link FactorCheckpoint#KIND}) or {@code network}
     * @param inputHash the resuming run's input hash ({@link MatrixDigest})
     * @param configuration the resuming run's configuration, compared key by key with the saved one
     * @throws IllegalArgumentException naming the first difference
     */
    public static void requireSameRun(Checkpoint c, String kind, String inputHash, Map<String, Object> configuration) {
        access.requireSameRun(c, kind, inputHash, configuration);
    }

    /**
     * Refuses to continue {@code c} with other {@code options}, entries of the configuration known before the input is
     * read (the saved entries it does not name are left to {@link #requireSameRun}).
     *
     * @param kind {@code factorize} ({@link FactorCheckpoint#KIND}) or {@code network}
     * @throws IllegalArgumentException naming the first difference
     */
    public static void requireSameOptions(Checkpoint c, String kind, Map<String, Object> options) {
        access.requireSameOptions(c, kind, options);
    }

    /**
     * Refuses to continue from {@code c} another factorisation: other shapes or precision, another input matrix (by
     * {@code inputHash}), or another configuration (every entry of {@code configuration}, as written by the run).
     *
     * @throws IllegalArgumentException saying what differs
     */
    public static void requireSameRun(Checkpoint c, DType dtype, int d1, int d2, int rank, String inputHash,
            Map<String, Object> configuration) {
        access.requireSameRun(c, dtype, d1, d2, rank, inputHash, configuration);
    }
}

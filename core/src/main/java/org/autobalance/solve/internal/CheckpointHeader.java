package org.autobalance.solve.internal;

import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.autobalance.solve.Checkpoint;

/**
 * The header fields of a loaded {@link Checkpoint}, for the solvers' own state that the public class does not read
 * (the factorisation's plateau verdict and its test's state: {@link FactorCheckpoint}; whether a held-out best was
 * saved: {@link HeldOutBest}). {@code Checkpoint} hands its reader over when its class is initialised, as the JDK's
 * {@code SharedSecrets} do, so that a generic field reader is not a public member of the library's API. Any
 * {@code Checkpoint} object exists only after that.
 */
public final class CheckpointHeader {
    private static volatile Function<Checkpoint, Map<String, Object>> reader;

    private CheckpointHeader() {
    }

    /**
     * Called once, by {@code Checkpoint}'s class initialiser.
     *
     * @throws IllegalStateException on a second call
     */
    public static synchronized void grant(Function<Checkpoint, Map<String, Object>> headerOf) {
        if (reader != null) {
            throw new IllegalStateException("the checkpoint header's reader is already granted");
        }
        reader = Objects.requireNonNull(headerOf);
    }

    /** The header field {@code key} of {@code checkpoint} as JSON read it, or null if it has none. */
    public static Object field(Checkpoint checkpoint, String key) {
        return reader.apply(checkpoint).get(key);
    }
}

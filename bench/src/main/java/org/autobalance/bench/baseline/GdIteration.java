package org.autobalance.bench.baseline;

import java.util.List;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.EngineIteration;

/**
 * One implementation of the simultaneous gradient-descent iteration on ½‖UVᵀ − M‖²_F,
 * U ← U − η(UVᵀ − M)V and V ← V − η(UVᵀ − M)ᵀU, both from the old iterate, over fixed M and caller-owned U, V.
 *
 * <p>Every implementation starts from the values in U and V when created, and after {@link #syncFactors()} U and V
 * hold its current iterate (those that work in place need no copy; EJML works on its own heap arrays).
 */
public interface GdIteration extends AutoCloseable {

    /** The implementations, by the names used in tables, JSON and JMH parameters. */
    List<String> NAMES = List.of("autobalance", "openblas-textbook", "openblas-gram", "ejml-gram");

    /** The table name, one of {@link #NAMES}. */
    String name();

    /** One iteration with step size {@code eta}. */
    void iterate(double eta);

    /** Makes U and V hold the current iterate. */
    default void syncFactors() {
    }

    @Override
    void close();

    /** Whether {@code name} can run here, or why not ({@code null} when it can). */
    static String unavailableReason(String name) {
        return switch (name) {
            case "openblas-textbook", "openblas-gram" -> OpenBlas.unavailableReason();
            case "autobalance", "ejml-gram" -> null;
            default -> "unknown implementation '" + name + "', expected one of " + NAMES;
        };
    }

    /**
     * Creates {@code name} over M (not modified, not owned) and U, V (updated, not owned) with {@code threads}
     * threads. OpenBLAS's thread count is process-wide: it is set here, so only one OpenBLAS iteration should run at
     * a time.
     */
    static GdIteration create(String name, DenseMatrix m, DenseMatrix u, DenseMatrix v, int threads) {
        String why = unavailableReason(name);
        if (why != null) {
            throw new IllegalStateException(name + " is not available: " + why);
        }
        return switch (name) {
            case "autobalance" -> new Engine(new EngineIteration(m, u, v, threads));
            case "openblas-textbook" -> new OpenBlasTextbook(m, u, v, threads);
            case "openblas-gram" -> new OpenBlasGram(m, u, v, threads);
            case "ejml-gram" -> new EjmlGram(m, u, v, threads);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The solver's own iteration (the engine under the current {@link org.autobalance.kernel.KernelProvider}). */
    record Engine(EngineIteration engine) implements GdIteration {
        @Override
        public String name() {
            return "autobalance";
        }

        @Override
        public void iterate(double eta) {
            engine.iterate(eta);
        }

        @Override
        public void close() {
            engine.close();
        }
    }
}

package org.autobalance.memory.internal;

/**
 * Closing several native structures whatever fails: a close that throws skips none of the others. One home for the
 * engine's constructor clean-up and close ({@code IterationEngine}) and a sparse matrix's table of shared structures
 * ({@code Shared}).
 *
 * <p>Not exported by the module: public for the project's parallel package.
 */
public final class Closing {
    private Closing() {
    }

    /**
     * Closes every one of {@code things}, whatever fails.
     *
     * @return {@code failure} (or, if null, the first close's failure) with every later close's failure suppressed in
     *     it; null if {@code failure} was null and none failed
     */
    public static Throwable closeEach(Iterable<? extends AutoCloseable> things, Throwable failure) {
        for (AutoCloseable thing : things) {
            try {
                thing.close();
            } catch (Exception | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        return failure;
    }

    /**
     * {@link #closeEach} and then its failure thrown unchecked: the structures closed here (native arenas, leases,
     * matrices) throw no checked exception on close, so one is wrapped, naming {@code what} was being closed.
     */
    public static void closeAll(Iterable<? extends AutoCloseable> things, String what) {
        Throwable failure = closeEach(things, null);
        if (failure instanceof RuntimeException e) {
            throw e;
        } else if (failure instanceof Error e) {
            throw e;
        } else if (failure != null) {
            throw new IllegalStateException("closing " + what + " failed: " + failure.getMessage(), failure);
        }
    }
}

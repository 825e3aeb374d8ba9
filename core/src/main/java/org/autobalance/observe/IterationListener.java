package org.autobalance.observe;

/**
 * Receives every {@link IterationRecord}, on the solver's thread, between iterations. Listeners run inside the hot
 * loop: they must be cheap, or sample (act on every k-th record). To stop the run and keep its factors, a listener
 * cancels the run's {@code CancelToken}; a listener that throws ends the run with its exception, and the factors
 * are freed.
 */
@FunctionalInterface
public interface IterationListener {
    /** Receives the record of one iteration, on the solver's thread, before the next iteration starts. */
    void onIteration(IterationRecord record);

    /**
     * Before the first iteration, the solver's estimate of σ₁(M) (for the default step size and start) has made
     * {@code passes} passes over M of at most {@code most}, each about the cost of an iteration; {@code finished} once
     * it has its estimate (a matrix with a gap at the top of its spectrum needs a few, one without up to
     * {@code most}). On the solver's thread; by default nothing. A progress display says it while the run prepares.
     */
    default void onSpectralNorm(int passes, int most, boolean finished) {
    }

    /**
     * After the last iteration, the solver forms the exact loss of a sparse M over all its {@code entries} (d1·d2, the
     * zeros included; {@code ExactLoss}): O(d1·d2·r), on a large M longer than many iterations. A cancel or interrupt
     * during it ends it, and the result's loss is then the one-pass identity's ({@code lossExact()} false); a run
     * already cancelled does not start it on a large M, nor call this. On the solver's thread; by default nothing. A
     * progress display says it while it lasts.
     */
    default void onExactLoss(long entries) {
    }
}

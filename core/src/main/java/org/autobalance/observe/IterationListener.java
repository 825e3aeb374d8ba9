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
}

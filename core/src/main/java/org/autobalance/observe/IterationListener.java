package org.autobalance.observe;

/**
 * Receives every {@link IterationRecord}, on the solver's thread, between iterations. Listeners run inside the hot
 * loop: they must be cheap, or sample (act on every k-th record). A listener that throws stops the run.
 */
@FunctionalInterface
public interface IterationListener {
    void onIteration(IterationRecord record);
}

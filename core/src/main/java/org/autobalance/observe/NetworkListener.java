package org.autobalance.observe;

/**
 * Receives every {@link NetworkRecord} of a network training run, on the trainer's thread, between iterations. As
 * for {@link IterationListener}: cheap or sampling; one that throws stops the run.
 */
@FunctionalInterface
public interface NetworkListener {
    /** Receives the record of one training step, on the trainer's thread, before the next step starts. */
    void onIteration(NetworkRecord record);
}

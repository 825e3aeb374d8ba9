package org.autobalance.solve;

import java.util.Locale;
import org.autobalance.observe.IterationRecord;

/**
 * Thrown when a run diverges: a non-finite loss, gradient or factor, or a loss that grew a millionfold. The factors
 * of a diverged run are discarded; this exception carries where it happened and the last finite metrics.
 */
public final class DivergenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The iteration at which divergence was detected. */
    private final long iteration;
    private final transient IterationRecord lastFinite;

    /**
     * A run that diverged.
     *
     * @param iteration where divergence was detected
     * @param what what was found, e.g. "the loss is NaN"
     * @param lastFinite the last record whose metrics were all finite, or null
     */
    public DivergenceException(long iteration, String what, IterationRecord lastFinite) {
        super("gradient descent diverged at iteration " + iteration + ": " + what
                + (lastFinite == null ? " (no finite iteration before it)"
                        : String.format(Locale.ROOT,
                                " (last finite: iteration %d, eta %.6g, loss %.6g, balance %.6g, |U| %.6g, |V| %.6g)",
                                lastFinite.iteration(), lastFinite.eta(), lastFinite.loss(), lastFinite.balance(),
                                lastFinite.normU(), lastFinite.normV()))
                + "; try a smaller step (the schedule auto:C, η = C/σ₁(M), with C below its default 0.5) or a "
                + "smaller initial scale");
        this.iteration = iteration;
        this.lastFinite = lastFinite;
    }

    /** The iteration at which divergence was detected. */
    public long iteration() {
        return iteration;
    }

    /** The last record whose metrics were all finite, or {@code null} if the very first iteration failed. */
    public IterationRecord lastFinite() {
        return lastFinite;
    }
}

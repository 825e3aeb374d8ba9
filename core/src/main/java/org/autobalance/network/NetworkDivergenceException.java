package org.autobalance.network;

import java.util.Locale;
import org.autobalance.observe.NetworkRecord;

/**
 * Thrown when training diverges: a non-finite loss or gradient, or a loss that grew a millionfold (with
 * {@code auto}, which backs off instead: a start that is not finite, or a run that kept diverging after 30 halvings
 * of its step). The parameters of a diverged run are discarded; this exception carries where it happened and the last
 * finite metrics.
 */
public final class NetworkDivergenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The iteration at which divergence was detected. */
    private final long iteration;
    private final transient NetworkRecord lastFinite;

    NetworkDivergenceException(long iteration, String what, NetworkRecord lastFinite) {
        super("gradient descent diverged at iteration " + iteration + ": " + what
                + (lastFinite == null ? " (no finite iteration before it)"
                        : String.format(Locale.ROOT,
                                " (last finite: iteration %d, eta %.6g, loss %.6g)", lastFinite.iteration(),
                                lastFinite.eta(), lastFinite.loss()))
                // in the schedule's own words, which the library and the command line share (a library user has no
                // --schedule)
                + "; try a smaller step (the schedule auto:C with C below its default 0.5, e.g. auto:0.1) or a smaller "
                + "initialisation");
        this.iteration = iteration;
        this.lastFinite = lastFinite;
    }

    /** The iteration at which divergence was detected. */
    public long iteration() {
        return iteration;
    }

    /** The last record whose metrics were all finite, or {@code null} if the very first iteration failed. */
    public NetworkRecord lastFinite() {
        return lastFinite;
    }
}

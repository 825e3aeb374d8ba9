package org.autobalance.solve;

import java.util.Locale;

/** Why a run ended normally. (A diverging run ends with a {@link DivergenceException} instead.) */
public enum StopReason {
    /** The iteration limit was reached. */
    MAX_ITERATIONS,
    /**
     * A minimiser: the relative gradient norm fell below the tolerance (see {@link Factorizer.Builder#tolerance}) at an
     * iterate that is not a saddle plateau (every direction of UVᵀ learned, or a residual with nothing left to learn;
     * for a network, no way down found along its unlearned parts; see native-notes/network.md).
     */
    CONVERGED,
    /**
     * The iteration or time limit ended the run on a saddle plateau: the residual still had a singular value above
     * the weakest of UVᵀ by more than the level the stop rule resolves (some directions of UVᵀ still at the scale of
     * the start, or on their way up), whether or not the gradient test held there (for a network, where the gradient
     * test held: the escape test of {@code org.autobalance.network.EscapeProbe} found a loss lower by more than the
     * stop rule's resolution). More iterations would lower the loss further.
     */
    PLATEAU,
    /** The wall-time limit was reached. */
    TIME_LIMIT,
    /** The caller's stop condition held (see {@link Factorizer.Builder#stopWhen}). */
    STOP_CONDITION,
    /** The thread running the solver was interrupted ({@link Thread#interrupt()}); its interrupt status stays set. */
    INTERRUPTED,
    /** The run's {@link CancelToken} was cancelled (see {@link Factorizer.Builder#cancelToken}). */
    CANCELLED,
    /**
     * The held-out RMSE had not improved for the patience given to {@link Factorizer.Builder#earlyStopping}; the
     * factors returned are those of the iterate with the lowest held-out RMSE.
     */
    EARLY_STOPPED,
    /**
     * A step left U and V bit for bit as they were, and the next step is no larger: each entry's change rounded away.
     * The gradient at an unchanged iterate is the same, so a step no larger changes nothing either — never again, with
     * a schedule whose steps do not grow (every built-in one): every later iteration would repeat this one. (Tested at
     * iterations 1, 2, 4, 8, …: found by twice the iteration where it began.) Two ways there:
     * <ul>
     *   <li>a start at or near U = V = 0, whose gradient is zero or whose steps are below half the dtype's smallest
     *   number (the relative error stays 1): not a minimiser — U = V = 0 is a saddle point of the loss — and a larger
     *   start (or the default, which is scaled to M) moves;
     *   <li>a fixed point of the rounded step anywhere else, in practice near a minimiser, where every entry's change
     *   is below half its unit in the last place: the iterate is as converged as the dtype and the step allow. A run
     *   whose gradient test is off ({@link Factorizer.Builder#tolerance} 0) ends there rather than at its iteration
     *   limit — an exactly rank-3 M at rank 3 in float32, for one; with the default tolerance the gradient test
     *   usually holds first ({@link #CONVERGED}).
     * </ul>
     */
    STALLED;

    /** The spelling used in summaries: {@code max_iterations}, {@code converged}, {@code plateau},
     * {@code time_limit}, {@code stop_condition}, {@code interrupted}, {@code cancelled}, {@code early_stopped},
     * {@code stalled}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package org.autobalance.solve;

import java.util.Locale;

/** Why a run ended normally. (A diverging run ends with a {@link DivergenceException} instead.) */
public enum StopReason {
    /** The iteration limit was reached. */
    MAX_ITERATIONS,
    /** The relative gradient norm fell below the tolerance: a stationary point (see {@link Factorizer.Builder#tolerance}). */
    CONVERGED,
    /** The wall-time limit was reached. */
    TIME_LIMIT,
    /** The caller's stop condition held (see {@link Factorizer.Builder#stopWhen}). */
    STOP_CONDITION,
    /** The thread running the solver was interrupted ({@link Thread#interrupt()}); its interrupt status stays set. */
    INTERRUPTED,
    /** The run's {@link CancelToken} was cancelled (see {@link Factorizer.Builder#cancelToken}). */
    CANCELLED;

    /** The spelling used in summaries: {@code max_iterations}, {@code converged}, {@code time_limit},
     * {@code stop_condition}, {@code interrupted}, {@code cancelled}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

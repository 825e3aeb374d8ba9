package org.autobalance.solve;

import java.util.LinkedHashMap;
import java.util.Map;
import org.autobalance.memory.DenseMatrix;

/**
 * The outcome of a run: the factors (owned by this result; {@link #close()} frees them) and the final metrics, all
 * computed at the returned factors: exactly (the loss by a residual pass, not the one-pass identity) for a dense M
 * and for the observed-entries loss; for the full loss of a sparse M from the one-pass identity, whose absolute error is
 * a few u·‖M‖²_F (an exact pass would visit all d1·d2 entries).
 *
 * <p>A final class with accessors, made only by the solver: later versions may add metrics without breaking
 * callers.
 */
public final class Result implements AutoCloseable {
    private final DenseMatrix u;
    private final DenseMatrix v;
    private final long iterations;
    private final StopReason stopReason;
    private final double loss;
    private final double relativeError;
    private final double balance;
    private final double normU;
    private final double normV;
    private final double seconds;
    private final double sigma1;
    private final String schedule;
    private final String variant;
    private final String initializer;
    private final String kernels;
    private final int threads;
    private final String objective;
    private final double heldOutRmse;

    Result(DenseMatrix u, DenseMatrix v, long iterations, StopReason stopReason, double loss, double relativeError,
            double balance, double normU, double normV, double seconds, double sigma1, String schedule,
            String variant, String initializer, String kernels, int threads, String objective, double heldOutRmse) {
        this.u = u;
        this.v = v;
        this.iterations = iterations;
        this.stopReason = stopReason;
        this.loss = loss;
        this.relativeError = relativeError;
        this.balance = balance;
        this.normU = normU;
        this.normV = normV;
        this.seconds = seconds;
        this.sigma1 = sigma1;
        this.schedule = schedule;
        this.variant = variant;
        this.initializer = initializer;
        this.kernels = kernels;
        this.threads = threads;
        this.objective = objective;
        this.heldOutRmse = heldOutRmse;
    }

    /** U (d1 × r), owned by this result. */
    public DenseMatrix u() {
        return u;
    }

    /** V (d2 × r), owned by this result. */
    public DenseMatrix v() {
        return v;
    }

    /** The number of updates performed. */
    public long iterations() {
        return iterations;
    }

    /** Why the run ended. */
    public StopReason stopReason() {
        return stopReason;
    }

    /** ½‖UVᵀ − M‖²_F, exact (from a residual pass at the returned factors). */
    public double loss() {
        return loss;
    }

    /** ‖UVᵀ − M‖_F / ‖M‖_F, exact. */
    public double relativeError() {
        return relativeError;
    }

    /** ‖UᵀU − VᵀV‖_F. */
    public double balance() {
        return balance;
    }

    /** ‖U‖_F. */
    public double normU() {
        return normU;
    }

    /** ‖V‖_F. */
    public double normV() {
        return normV;
    }

    /** Wall time of the iterations (excluding set-up: ‖M‖, σ₁ estimate and initialisation). */
    public double seconds() {
        return seconds;
    }

    /** The σ₁(M) estimate used by the schedule or initialiser, NaN if none was needed. */
    public double sigma1() {
        return sigma1;
    }

    /** The schedule that ran, e.g. {@code constant:0.05}. */
    public String schedule() {
        return schedule;
    }

    /** The gradient method that ran, e.g. {@code alternating} (see {@link Variant}). */
    public String variant() {
        return variant;
    }

    /** The initialiser, e.g. {@code small:0.001}. */
    public String initializer() {
        return initializer;
    }

    /** The kernel implementation that ran, e.g. {@code simd-256} or {@code scalar}. */
    public String kernels() {
        return kernels;
    }

    /** The number of worker threads. */
    public int threads() {
        return threads;
    }

    /**
     * The objective, e.g. {@code full} or {@code observed:0.1} (see {@link Objective}); for {@code observed} the loss
     * and relative error are over the observed entries, ½Σ_Ω e² and √(Σ_Ω e²/Σ_Ω M²).
     */
    public String objective() {
        return objective;
    }

    /** The RMSE on the held-out entries, NaN without a held-out set. */
    public double heldOutRmse() {
        return heldOutRmse;
    }

    /** The summary keys of the command line's {@code summary.json}, plus the run's configuration. */
    public Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("iterations", iterations);
        s.put("loss", loss);
        s.put("relative_error", relativeError);
        s.put("balance", balance);
        s.put("norm_u", normU);
        s.put("norm_v", normV);
        s.put("seconds", seconds);
        s.put("stop_reason", stopReason.label());
        s.put("d1", u.rows());
        s.put("d2", v.rows());
        s.put("rank", u.cols());
        s.put("dtype", u.dtype().label());
        s.put("schedule", schedule);
        s.put("variant", variant);
        s.put("init", initializer);
        s.put("sigma1", sigma1);
        s.put("kernels", kernels);
        s.put("threads", threads);
        s.put("objective", objective);
        if (!Double.isNaN(heldOutRmse)) {
            s.put("test_rmse", heldOutRmse);
        }
        return s;
    }

    /** Frees U and V. */
    @Override
    public void close() {
        u.close();
        v.close();
    }

    @Override
    public String toString() {
        return "Result" + summary();
    }
}

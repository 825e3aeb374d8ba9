package org.autobalance.solve;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.internal.IterationMonitor;

/**
 * The outcome of a run: the factors (owned by this result; {@link #close()} frees them) and the final metrics, all
 * computed at the returned factors: exactly (the loss by a residual pass, not the one-pass identity) for a dense M
 * and for the observed-entries loss; for the full loss of a sparse M from the one-pass identity, whose absolute error
 * is a few u·‖M‖²_F (an exact pass would visit all d1·d2 entries).
 *
 * <p>A final class with accessors, made only by the solver: later versions may add metrics without breaking
 * callers.
 */
public final class Result implements AutoCloseable {
    private final DenseMatrix u;
    private final DenseMatrix v;
    private final IterationMonitor.Summary metrics;
    private final int threads;
    private final String objective;
    private final double heldOutRmse;
    private final long bestHeldOutIteration;
    private final double bestHeldOutRmse;
    private final long earlyStopping;
    private final double weightDecay;

    Result(DenseMatrix u, DenseMatrix v, IterationMonitor.Summary metrics, int threads, String objective,
            double weightDecay, double heldOutRmse, long bestHeldOutIteration, double bestHeldOutRmse,
            long earlyStopping) {
        this.u = u;
        this.v = v;
        this.metrics = metrics;
        this.threads = threads;
        this.objective = objective;
        this.heldOutRmse = heldOutRmse;
        this.bestHeldOutIteration = bestHeldOutIteration;
        this.bestHeldOutRmse = bestHeldOutRmse;
        this.earlyStopping = earlyStopping;
        this.weightDecay = weightDecay;
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
        return metrics.iterations();
    }

    /**
     * The iterate, counted in updates, whose factors this result holds and at which every metric here is computed:
     * {@link #iterations()}, except with {@link Factorizer.Builder#earlyStopping}, where it is the iterate with the
     * lowest held-out RMSE ({@link #bestHeldOutIteration()}), {@code iterations() − patience} or fewer updates in.
     */
    public long factorsIteration() {
        return earlyStopping > 0 && bestHeldOutIteration >= 0 ? bestHeldOutIteration : metrics.iterations();
    }

    /** Why the run ended. */
    public StopReason stopReason() {
        return metrics.stopReason();
    }

    /**
     * ½‖UVᵀ − M‖²_F at the returned factors (for the observed-entries loss ½Σ_Ω): from a residual pass, except for a
     * sparse M's full loss when {@link ExactLoss} chose the one-pass identity ({@link #lossExact()} false: the exact
     * residual visits all d1·d2 entries).
     */
    public double loss() {
        return metrics.loss();
    }

    /**
     * The weight decay of {@link Objective#observed(double) observed(λ)} at the returned factors,
     * (λ/2)(‖U‖²_F + ‖V‖²_F); 0 for λ = 0 and for the full loss. {@link #loss()} is the data term alone.
     */
    public double penalty() {
        return weightDecay == 0 ? 0 : weightDecay / 2 * (normU() * normU() + normV() * normV());
    }

    /**
     * The value of the objective the run minimised ({@link #objective()}) at the returned factors:
     * {@link #loss()} + {@link #penalty()}.
     */
    public double objectiveValue() {
        return loss() + penalty();
    }

    /** Whether {@link #loss()} and {@link #relativeError()} come from a residual pass (see {@link #loss()}). */
    public boolean lossExact() {
        return metrics.lossExact();
    }

    /** ‖UVᵀ − M‖_F / ‖M‖_F, as exact as {@link #loss()}. */
    public double relativeError() {
        return metrics.relativeError();
    }

    /** ‖UᵀU − VᵀV‖_F. */
    public double balance() {
        return metrics.balance();
    }

    /** ‖U‖_F. */
    public double normU() {
        return metrics.normU();
    }

    /** ‖V‖_F. */
    public double normV() {
        return metrics.normV();
    }

    /** Wall time of the iterations (excluding set-up: ‖M‖, σ₁ estimate and initialisation). */
    public double seconds() {
        return metrics.seconds();
    }

    /** The σ₁(M) estimate used by the schedule or initialiser, NaN if none was needed. */
    public double sigma1() {
        return metrics.sigma1();
    }

    /** The schedule that ran, e.g. {@code constant:0.05}. */
    public String schedule() {
        return metrics.schedule();
    }

    /**
     * The iterations at which the loss ran away, or oscillated far above its lowest for long, under {@code auto} and
     * the run went back to its start with half the step (the step that ran to the end is the schedule's times 2^−k
     * after k of them); empty for a run that did not, and for the other schedules, which run as given.
     */
    public List<Long> stepHalvedAt() {
        return metrics.stepHalvedAt();
    }

    /** The gradient method that ran, e.g. {@code alternating} (see {@link Variant}). */
    public String variant() {
        return metrics.variant();
    }

    /** The initialiser, e.g. {@code small:0.001}. */
    public String initializer() {
        return metrics.initializer();
    }

    /** The kernel implementation that ran, e.g. {@code simd-256} or {@code scalar}. */
    public String kernels() {
        return metrics.kernels();
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

    /**
     * The iterate (counted in updates) with the lowest held-out RMSE of the run, −1 without held-out entries or
     * before the first iteration. With {@link Factorizer.Builder#earlyStopping} it is the returned one.
     */
    public long bestHeldOutIteration() {
        return bestHeldOutIteration;
    }

    /** The lowest held-out RMSE of the run (at {@link #bestHeldOutIteration()}), NaN if none was measured. */
    public double bestHeldOutRmse() {
        return bestHeldOutIteration < 0 ? Double.NaN : bestHeldOutRmse;
    }

    /**
     * The summary keys of the command line's {@code summary.json}, plus the run's configuration: {@code iterations}
     * (updates made), {@code factors_iteration} ({@link #factorsIteration()}, the iterate the factors and metrics
     * are of), and for {@code observed:λ} with λ &gt; 0 {@code penalty} and {@code objective_value} beside the data
     * term's {@code loss}.
     */
    public Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : metrics.toMap(u.rows(), v.rows(), u.cols(), u.dtype(), threads, objective)
                .entrySet()) {
            s.put(e.getKey(), e.getKey().equals("factors_iteration") ? factorsIteration() : e.getValue());
            if (e.getKey().equals("loss") && weightDecay > 0) {
                s.put("penalty", penalty());
                s.put("objective_value", objectiveValue());
            }
        }
        if (!Double.isNaN(heldOutRmse)) {
            s.put("test_rmse", heldOutRmse);
        }
        if (bestHeldOutIteration >= 0) {
            s.put("best_test_rmse", bestHeldOutRmse);
            s.put("best_test_iteration", bestHeldOutIteration);
        }
        if (earlyStopping > 0) {
            s.put("early_stop", earlyStopping);
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

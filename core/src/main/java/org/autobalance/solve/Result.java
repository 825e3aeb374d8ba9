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
 * @param u U (d1 × r)
 * @param v V (d2 × r)
 * @param iterations number of updates performed
 * @param stopReason why the run ended
 * @param loss ½‖UVᵀ − M‖²_F, exact
 * @param relativeError ‖UVᵀ − M‖_F / ‖M‖_F
 * @param balance ‖UᵀU − VᵀV‖_F
 * @param normU ‖U‖_F
 * @param normV ‖V‖_F
 * @param seconds wall time of the iterations (excluding set-up: σ₁ estimate and initialisation)
 * @param sigma1 the σ₁(M) estimate used by the schedule or initialiser, NaN if none was needed
 * @param schedule the schedule that ran, e.g. {@code constant:0.05}
 * @param variant the gradient method that ran, e.g. {@code alternating} (see {@link Variant})
 * @param initializer the initialiser, e.g. {@code small:0.001}
 * @param kernels the kernel implementation that ran
 * @param threads the number of threads
 * @param objective the objective, e.g. {@code full} or {@code observed:0.1} (see {@link Objective}); for
 *        {@code observed} the loss and relative error are over the observed entries, ½Σ_Ω e² and √(Σ_Ω e²/Σ_Ω M²)
 * @param heldOutRmse the RMSE on the held-out entries, NaN without a held-out set
 */
public record Result(DenseMatrix u, DenseMatrix v, long iterations, StopReason stopReason, double loss,
        double relativeError, double balance, double normU, double normV, double seconds, double sigma1,
        String schedule, String variant, String initializer, String kernels, int threads, String objective,
        double heldOutRmse) implements AutoCloseable {

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

    @Override
    public void close() {
        u.close();
        v.close();
    }
}

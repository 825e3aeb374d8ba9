package org.autobalance.network;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autobalance.json.Json;
import org.autobalance.solve.StopReason;

/**
 * The outcome of a training run: the parameters (owned by this result; {@link #close()} frees them) and the metrics
 * at them.
 *
 * <p>A final class with accessors, made by {@link NetworkTrainer} only, as {@link org.autobalance.solve.Result} is,
 * so that later versions can add measurements without breaking callers; the arrays it returns are copies.
 */
public final class NetworkResult implements AutoCloseable {
    private final Parameters parameters;
    private final long iterations;
    private final StopReason stopReason;
    private final double loss;
    private final double[] layerSquaredNorms;
    private final double[] layerDifferences;
    private final double maxUnitInvariantChange;
    private final double seconds;
    private final double sigma;
    private final String schedule;
    private final String initializer;
    private final String kernels;
    private final int threads;
    private final List<Long> stepHalvedAt;
    private final double[] startLayerDifferences;
    private final double startLoss;

    NetworkResult(Parameters parameters, long iterations, StopReason stopReason, double loss,
            double[] layerSquaredNorms, double[] layerDifferences, double maxUnitInvariantChange, double seconds,
            double sigma, String schedule, String initializer, String kernels, int threads, List<Long> stepHalvedAt,
            double[] startLayerDifferences, double startLoss) {
        this.parameters = parameters;
        this.iterations = iterations;
        this.stopReason = stopReason;
        this.loss = loss;
        this.layerSquaredNorms = layerSquaredNorms.clone();
        this.layerDifferences = layerDifferences.clone();
        this.maxUnitInvariantChange = maxUnitInvariantChange;
        this.seconds = seconds;
        this.sigma = sigma;
        this.schedule = schedule;
        this.initializer = initializer;
        this.kernels = kernels;
        this.threads = threads;
        this.stepHalvedAt = List.copyOf(stepHalvedAt);
        this.startLayerDifferences = startLayerDifferences == null ? null : startLayerDifferences.clone();
        this.startLoss = startLoss;
    }

    /** The trained weights and biases (owned by this result). */
    public Parameters parameters() {
        return parameters;
    }

    /** The number of updates performed. */
    public long iterations() {
        return iterations;
    }

    /** Why the run ended. */
    public StopReason stopReason() {
        return stopReason;
    }

    /** L at the returned parameters (a final forward pass). */
    public double loss() {
        return loss;
    }

    /** ‖W_h‖² + ‖b_h‖² at the returned parameters, h = 1..N (a copy). */
    public double[] layerSquaredNorms() {
        return layerSquaredNorms.clone();
    }

    /** (‖W_h‖² + ‖b_h‖²) − ‖W_{h+1}‖² at the returned parameters, h = 1..N−1 (a copy). */
    public double[] layerDifferences() {
        return layerDifferences.clone();
    }

    /** The largest |value at the end − value at the start| over hidden units of (‖w_in‖² + b²) − ‖w_out‖². */
    public double maxUnitInvariantChange() {
        return maxUnitInvariantChange;
    }

    /** Wall time of the iterations (excluding set-up). */
    public double seconds() {
        return seconds;
    }

    /** The σ that {@code auto} used (η = C/σ: {@link NetworkTrainer.Builder#schedule}), NaN if it was not needed. */
    public double sigma() {
        return sigma;
    }

    /** The schedule that ran. */
    public String schedule() {
        return schedule;
    }

    /** The initialiser. */
    public String initializer() {
        return initializer;
    }

    /** The GEMM kernels that ran. */
    public String kernels() {
        return kernels;
    }

    /** The number of threads. */
    public int threads() {
        return threads;
    }

    /**
     * The iterations at which {@code auto} undid a step that raised the loss and halved η (empty for other
     * schedules).
     */
    public List<Long> stepHalvedAt() {
        return stepHalvedAt;
    }

    /**
     * {@link #layerDifferences} at the start of the run, the baseline of their change as the start is that of {@link
     * #maxUnitInvariantChange} (a copy): a resumed run's from its checkpoint, null where the checkpoint was written
     * before they were kept.
     */
    public double[] startLayerDifferences() {
        return startLayerDifferences == null ? null : startLayerDifferences.clone();
    }

    /**
     * L at the start of the run (iteration 0), the reference of whether it learned anything: a resumed run's from its
     * checkpoint; NaN where the checkpoint was written before it was kept, and for a run that made no iteration.
     */
    public double startLoss() {
        return startLoss;
    }

    /** The keys of the command line's {@code summary.json}, then the run's configuration. */
    public Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("iterations", iterations);
        s.put("loss", loss);
        if (!Double.isNaN(startLoss)) {
            s.put("start_loss", startLoss);
        }
        s.put("layer_sq_norms", Json.list(layerSquaredNorms));
        s.put("layer_differences", Json.list(layerDifferences));
        s.put("max_unit_invariant_change", maxUnitInvariantChange);
        s.put("seconds", seconds);
        s.put("stop_reason", stopReason.label());
        s.put("layers", parameters.architecture().describe());
        s.put("bias", parameters.hasBiases());
        s.put("dtype", parameters.dtype().label());
        s.put("schedule", schedule);
        s.put("init", initializer);
        s.put("sigma", sigma);
        s.put("step_halved_at", stepHalvedAt);
        s.put("kernels", kernels);
        s.put("threads", threads);
        return s;
    }

    @Override
    public void close() {
        parameters.close();
    }

    @Override
    public String toString() {
        return "NetworkResult" + summary();
    }
}

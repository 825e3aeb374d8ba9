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
 * @param parameters the trained weights and biases
 * @param iterations number of updates performed
 * @param stopReason why the run ended
 * @param loss L at the returned parameters (a final forward pass)
 * @param layerSquaredNorms ‖W_h‖² + ‖b_h‖² at the returned parameters
 * @param layerDifferences (‖W_h‖² + ‖b_h‖²) − ‖W_{h+1}‖² at the returned parameters
 * @param maxUnitInvariantChange max over hidden units of |value at the end − value at the start|
 * @param seconds wall time of the iterations (excluding set-up)
 * @param sigma the σ of {@link NetworkScale} used by {@code auto}, NaN if not needed
 * @param schedule the schedule that ran
 * @param initializer the initialiser
 * @param kernels the GEMM kernels that ran
 * @param threads the number of threads
 * @param stepHalvedAt the iterations at which {@code auto} undid a step that raised the loss and halved η (empty
 *        for other schedules)
 */
public record NetworkResult(Parameters parameters, long iterations, StopReason stopReason, double loss,
        double[] layerSquaredNorms, double[] layerDifferences, double maxUnitInvariantChange, double seconds,
        double sigma, String schedule, String initializer, String kernels, int threads, List<Long> stepHalvedAt)
        implements AutoCloseable {

    /** The keys of the command line's {@code summary.json}, then the run's configuration. */
    public Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("iterations", iterations);
        s.put("loss", loss);
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
}

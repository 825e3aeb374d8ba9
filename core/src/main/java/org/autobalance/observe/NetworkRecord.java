package org.autobalance.observe;

import java.util.LinkedHashMap;
import java.util.Map;
import org.autobalance.json.Json;

/**
 * What one iteration of network training saw, all measured at the parameters W_t <em>before</em> its update.
 * Layers are numbered from 1; arrays are indexed from 0 (entry h − 1 is layer h).
 *
 * @param iteration t, from 0
 * @param eta the step η_t of this iteration's update
 * @param loss L = (1/(2n)) Σ_i ‖f(x_i) − y_i‖²
 * @param layerSquaredNorms ‖W_h‖²_F + ‖b_h‖², h = 1..N
 * @param layerDifferences (‖W_h‖² + ‖b_h‖²) − ‖W_{h+1}‖², h = 1..N−1: conserved by gradient flow
 * @param maxUnitInvariantChange max over hidden units (dense) and channels (convolutions) of the change since the
 *        start of (‖incoming weights‖² + bias²) − ‖outgoing weights‖²; 0 at t = 0
 * @param matrixInvariantChanges per pair (h, h + 1), ‖Q_h(t) − Q_h(0)‖_F for the matrix invariant
 *        Q_h = W_hW_hᵀ + b_hb_hᵀ − (W_{h+1} read per channel)ᵀ(…) when the activation between them is linear,
 *        NaN where it is not
 * @param gradientNorm ‖∇L‖ over all parameters
 * @param seconds wall time since the start of the iterations, at the end of this one
 */
public record NetworkRecord(long iteration, double eta, double loss, double[] layerSquaredNorms,
        double[] layerDifferences, double maxUnitInvariantChange, double[] matrixInvariantChanges,
        double gradientNorm, double seconds) {

    /** ‖W_h‖²/‖W_{h+1}‖²-style ratios of the layer squared norms, h = 1..N−1 (what balancing drives to 1). */
    public double[] ratios() {
        double[] r = new double[layerSquaredNorms.length - 1];
        for (int h = 0; h < r.length; h++) {
            r[h] = layerSquaredNorms[h] / layerSquaredNorms[h + 1];
        }
        return r;
    }

    /** The fields as an ordered map, keys as in the JSON-lines log. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("t", iteration);
        m.put("eta", eta);
        m.put("loss", loss);
        m.put("layer_sq_norms", Json.list(layerSquaredNorms));
        m.put("layer_differences", Json.list(layerDifferences));
        m.put("max_unit_invariant_change", maxUnitInvariantChange);
        m.put("matrix_invariant_changes", Json.list(matrixInvariantChanges));
        m.put("grad_norm", gradientNorm);
        m.put("seconds", seconds);
        return m;
    }
}

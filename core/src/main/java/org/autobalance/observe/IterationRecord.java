package org.autobalance.observe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one iteration saw, all measured at the iterate (U_t, V_t) <em>before</em> its update.
 *
 * @param iteration t, from 0
 * @param eta the step η_t used for the update of this iteration
 * @param loss ½‖U_tV_tᵀ − M‖²_F; from the one-pass identity unless {@code lossExact} (see {@link #lossExact})
 * @param lossExact whether {@code loss} came from the exact residual pass (a checkpoint) rather than the identity
 *        2f = ‖M‖² − 2⟨U, MV⟩ + ⟨UᵀU, VᵀV⟩, whose absolute error is of order u·‖M‖²_F (u the unit roundoff)
 * @param relativeError ‖U_tV_tᵀ − M‖_F/‖M‖_F = √(2·loss)/‖M‖_F, from the same loss (so of the identity's precision,
 *        about √u relative to ‖M‖_F, unless {@code lossExact})
 * @param balance ‖U_tᵀU_t − V_tᵀV_t‖_F, the quantity gradient flow conserves
 * @param normU ‖U_t‖_F
 * @param normV ‖V_t‖_F
 * @param gradientNorm ‖(∇_U, ∇_V)‖_F of the objective being minimised, at (U_t, V_t); for alternating GD the
 *        direction actually stepped, ∇_U at (U_t, V_t) and ∇_V at (U_{t+1}, V_t)
 * @param seconds wall time since the solver started (after set-up), at the end of this iteration
 * @param heldOutRmse √(Σ(uᵢ·vⱼ − Mᵢⱼ)²/n) over the n held-out entries at (U_t, V_t) (matrix completion with a held-out
 *        set), NaN when the run has none
 */
public record IterationRecord(long iteration, double eta, double loss, boolean lossExact, double relativeError,
        double balance, double normU, double normV, double gradientNorm, double seconds, double heldOutRmse) {

    /** A record of a run without a held-out set. */
    public IterationRecord(long iteration, double eta, double loss, boolean lossExact, double relativeError,
            double balance, double normU, double normV, double gradientNorm, double seconds) {
        this(iteration, eta, loss, lossExact, relativeError, balance, normU, normV, gradientNorm, seconds, Double.NaN);
    }

    /** The fields as an ordered map, keys as in the JSON-lines log. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("t", iteration);
        m.put("eta", eta);
        m.put("loss", loss);
        m.put("loss_exact", lossExact);
        m.put("relative_error", relativeError);
        m.put("balance", balance);
        m.put("norm_u", normU);
        m.put("norm_v", normV);
        m.put("grad_norm", gradientNorm);
        m.put("seconds", seconds);
        if (!Double.isNaN(heldOutRmse)) {
            m.put("test_rmse", heldOutRmse);
        }
        return m;
    }
}

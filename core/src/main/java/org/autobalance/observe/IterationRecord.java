package org.autobalance.observe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one iteration saw, all measured at the iterate (U_t, V_t) <em>before</em> its update.
 *
 * <p>Immutable. A final class with accessors, made by a {@link Builder}, so that later versions can add measurements
 * without breaking callers (a field added later reads NaN, or false, in records built by code that does not set it).
 */
public final class IterationRecord {
    private final long iteration;
    private final double eta;
    private final double loss;
    private final boolean lossExact;
    private final double relativeError;
    private final double balance;
    private final double normU;
    private final double normV;
    private final double gradientNorm;
    private final double seconds;
    private final double heldOutRmse;

    private IterationRecord(Builder b) {
        this.iteration = b.iteration;
        this.eta = b.eta;
        this.loss = b.loss;
        this.lossExact = b.lossExact;
        this.relativeError = b.relativeError;
        this.balance = b.balance;
        this.normU = b.normU;
        this.normV = b.normV;
        this.gradientNorm = b.gradientNorm;
        this.seconds = b.seconds;
        this.heldOutRmse = b.heldOutRmse;
    }

    /** A builder with every measurement unset (NaN; iteration 0, loss not exact). */
    public static Builder builder() {
        return new Builder();
    }

    /** Sets the measurements of a record; reusable: {@link #build()} copies them. */
    public static final class Builder {
        private long iteration;
        private double eta = Double.NaN;
        private double loss = Double.NaN;
        private boolean lossExact;
        private double relativeError = Double.NaN;
        private double balance = Double.NaN;
        private double normU = Double.NaN;
        private double normV = Double.NaN;
        private double gradientNorm = Double.NaN;
        private double seconds = Double.NaN;
        private double heldOutRmse = Double.NaN;

        private Builder() {
        }

        /** See {@link IterationRecord#iteration()}. */
        public Builder iteration(long t) {
            this.iteration = t;
            return this;
        }

        /** See {@link IterationRecord#eta()}. */
        public Builder eta(double eta) {
            this.eta = eta;
            return this;
        }

        /** See {@link IterationRecord#loss()} and {@link IterationRecord#lossExact()}. */
        public Builder loss(double loss, boolean exact) {
            this.loss = loss;
            this.lossExact = exact;
            return this;
        }

        /** See {@link IterationRecord#relativeError()}. */
        public Builder relativeError(double relativeError) {
            this.relativeError = relativeError;
            return this;
        }

        /** See {@link IterationRecord#balance()}. */
        public Builder balance(double balance) {
            this.balance = balance;
            return this;
        }

        /** See {@link IterationRecord#normU()} and {@link IterationRecord#normV()}. */
        public Builder norms(double normU, double normV) {
            this.normU = normU;
            this.normV = normV;
            return this;
        }

        /** See {@link IterationRecord#gradientNorm()}. */
        public Builder gradientNorm(double gradientNorm) {
            this.gradientNorm = gradientNorm;
            return this;
        }

        /** See {@link IterationRecord#seconds()}. */
        public Builder seconds(double seconds) {
            this.seconds = seconds;
            return this;
        }

        /** See {@link IterationRecord#heldOutRmse()}. */
        public Builder heldOutRmse(double heldOutRmse) {
            this.heldOutRmse = heldOutRmse;
            return this;
        }

        /** A record of the values set so far. */
        public IterationRecord build() {
            return new IterationRecord(this);
        }
    }

    /** t, from 0. */
    public long iteration() {
        return iteration;
    }

    /** The step η_t used for the update of this iteration. */
    public double eta() {
        return eta;
    }

    /** ½‖U_tV_tᵀ − M‖²_F; from the one-pass identity unless {@link #lossExact()}. */
    public double loss() {
        return loss;
    }

    /**
     * Whether {@link #loss()} came from the exact residual pass (a checkpoint) rather than the identity
     * 2f = ‖M‖² − 2⟨U, MV⟩ + ⟨UᵀU, VᵀV⟩, whose absolute error is of order u·‖M‖²_F (u the unit roundoff).
     */
    public boolean lossExact() {
        return lossExact;
    }

    /**
     * ‖U_tV_tᵀ − M‖_F/‖M‖_F = √(2·loss)/‖M‖_F, from the same loss (so of the identity's precision, about √u relative
     * to ‖M‖_F, unless {@link #lossExact()}).
     */
    public double relativeError() {
        return relativeError;
    }

    /** ‖U_tᵀU_t − V_tᵀV_t‖_F, the quantity gradient flow conserves. */
    public double balance() {
        return balance;
    }

    /** ‖U_t‖_F. */
    public double normU() {
        return normU;
    }

    /** ‖V_t‖_F. */
    public double normV() {
        return normV;
    }

    /**
     * ‖(∇_U, ∇_V)‖_F of the objective being minimised, at (U_t, V_t); for alternating GD the direction actually
     * stepped, ∇_U at (U_t, V_t) and ∇_V at (U_{t+1}, V_t).
     */
    public double gradientNorm() {
        return gradientNorm;
    }

    /** Wall time since the solver started (after set-up), at the end of this iteration. */
    public double seconds() {
        return seconds;
    }

    /**
     * √(Σ(uᵢ·vⱼ − Mᵢⱼ)²/n) over the n held-out entries at (U_t, V_t) (matrix completion with a held-out set), NaN when
     * the run has none.
     */
    public double heldOutRmse() {
        return heldOutRmse;
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

    /** Equal when every measurement is (doubles compared as {@link Double#equals}: NaN equals NaN). */
    @Override
    public boolean equals(Object o) {
        return o instanceof IterationRecord r && toMap().equals(r.toMap());
    }

    @Override
    public int hashCode() {
        return toMap().hashCode();
    }

    @Override
    public String toString() {
        return "IterationRecord" + toMap();
    }
}

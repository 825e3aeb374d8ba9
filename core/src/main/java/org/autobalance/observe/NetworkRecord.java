package org.autobalance.observe;

import java.util.LinkedHashMap;
import java.util.Map;
import org.autobalance.json.Json;

/**
 * What one iteration of network training saw, all measured at the parameters W_t <em>before</em> its update.
 * Layers are numbered from 1; arrays are indexed from 0 (entry h − 1 is layer h).
 *
 * <p>Immutable (the arrays are copied in and out). A final class with accessors, made by a {@link Builder}, as
 * {@link IterationRecord} is, so that later versions can add measurements without breaking callers (a field added
 * later reads NaN, or an empty array, in records built by code that does not set it).
 */
public final class NetworkRecord {
    private static final double[] NONE = {};
    private final long iteration;
    private final double eta;
    private final double loss;
    private final double[] layerSquaredNorms;
    private final double[] layerDifferences;
    private final double maxUnitInvariantChange;
    private final double[] matrixInvariantChanges;
    private final double gradientNorm;
    private final double seconds;

    private NetworkRecord(Builder b) {
        this.iteration = b.iteration;
        this.eta = b.eta;
        this.loss = b.loss;
        this.layerSquaredNorms = b.layerSquaredNorms.clone();
        this.layerDifferences = b.layerDifferences.clone();
        this.maxUnitInvariantChange = b.maxUnitInvariantChange;
        this.matrixInvariantChanges = b.matrixInvariantChanges.clone();
        this.gradientNorm = b.gradientNorm;
        this.seconds = b.seconds;
    }

    /** A builder with every measurement unset (NaN, empty arrays; iteration 0). */
    public static Builder builder() {
        return new Builder();
    }

    /** Sets the measurements of a record; reusable: {@link #build()} copies them. */
    public static final class Builder {
        private long iteration;
        private double eta = Double.NaN;
        private double loss = Double.NaN;
        private double[] layerSquaredNorms = NONE;
        private double[] layerDifferences = NONE;
        private double maxUnitInvariantChange = Double.NaN;
        private double[] matrixInvariantChanges = NONE;
        private double gradientNorm = Double.NaN;
        private double seconds = Double.NaN;

        private Builder() {
        }

        /** See {@link NetworkRecord#iteration()}. */
        public Builder iteration(long t) {
            this.iteration = t;
            return this;
        }

        /** See {@link NetworkRecord#eta()}. */
        public Builder eta(double eta) {
            this.eta = eta;
            return this;
        }

        /** See {@link NetworkRecord#loss()}. */
        public Builder loss(double loss) {
            this.loss = loss;
            return this;
        }

        /** See {@link NetworkRecord#layerSquaredNorms()} (not copied until {@link #build()}). */
        public Builder layerSquaredNorms(double[] layerSquaredNorms) {
            this.layerSquaredNorms = layerSquaredNorms;
            return this;
        }

        /** See {@link NetworkRecord#layerDifferences()} (not copied until {@link #build()}). */
        public Builder layerDifferences(double[] layerDifferences) {
            this.layerDifferences = layerDifferences;
            return this;
        }

        /** See {@link NetworkRecord#maxUnitInvariantChange()}. */
        public Builder maxUnitInvariantChange(double maxUnitInvariantChange) {
            this.maxUnitInvariantChange = maxUnitInvariantChange;
            return this;
        }

        /** See {@link NetworkRecord#matrixInvariantChanges()} (not copied until {@link #build()}). */
        public Builder matrixInvariantChanges(double[] matrixInvariantChanges) {
            this.matrixInvariantChanges = matrixInvariantChanges;
            return this;
        }

        /** See {@link NetworkRecord#gradientNorm()}. */
        public Builder gradientNorm(double gradientNorm) {
            this.gradientNorm = gradientNorm;
            return this;
        }

        /** See {@link NetworkRecord#seconds()}. */
        public Builder seconds(double seconds) {
            this.seconds = seconds;
            return this;
        }

        /** A record of the values set so far. */
        public NetworkRecord build() {
            return new NetworkRecord(this);
        }
    }

    /** t, from 0. */
    public long iteration() {
        return iteration;
    }

    /** The step η_t of this iteration's update. */
    public double eta() {
        return eta;
    }

    /** L = (1/(2n)) Σ_i ‖f(x_i) − y_i‖². */
    public double loss() {
        return loss;
    }

    /** ‖W_h‖²_F + ‖b_h‖², h = 1..N (a copy). */
    public double[] layerSquaredNorms() {
        return layerSquaredNorms.clone();
    }

    /** (‖W_h‖² + ‖b_h‖²) − ‖W_{h+1}‖², h = 1..N−1: conserved by gradient flow (a copy). */
    public double[] layerDifferences() {
        return layerDifferences.clone();
    }

    /**
     * The largest change since the start, over hidden units (dense) and channels (convolutions), of
     * (‖incoming weights‖² + bias²) − ‖outgoing weights‖²; 0 at t = 0.
     */
    public double maxUnitInvariantChange() {
        return maxUnitInvariantChange;
    }

    /**
     * Per pair (h, h + 1), ‖Q_h(t) − Q_h(0)‖_F for the matrix invariant Q_h = W_hW_hᵀ + b_hb_hᵀ − (W_{h+1} read per
     * channel)ᵀ(…) when the activation between them is linear, NaN where it is not (a copy).
     */
    public double[] matrixInvariantChanges() {
        return matrixInvariantChanges.clone();
    }

    /** ‖∇L‖ over all parameters. */
    public double gradientNorm() {
        return gradientNorm;
    }

    /** Wall time since the start of the iterations, at the end of this one. */
    public double seconds() {
        return seconds;
    }

    /** ‖W_h‖²/‖W_{h+1}‖²-style ratios of the layer squared norms, h = 1..N−1 (what balancing drives to 1). */
    public double[] ratios() {
        double[] r = new double[Math.max(0, layerSquaredNorms.length - 1)];
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

    /** Equal when every measurement is (doubles compared as {@link Double#equals}: NaN equals NaN). */
    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkRecord r && toMap().equals(r.toMap());
    }

    @Override
    public int hashCode() {
        return toMap().hashCode();
    }

    @Override
    public String toString() {
        return "NetworkRecord" + toMap();
    }
}

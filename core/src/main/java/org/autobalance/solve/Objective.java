package org.autobalance.solve;

import java.util.Objects;

/**
 * What is minimised over the data.
 *
 * <ul>
 *   <li>{@link Full}: ½‖UVᵀ − M‖²_F over all d1·d2 entries (for a sparse M the entries not stored are zeros and
 *       count). The default, and the paper's objective.
 *   <li>{@link Observed}: matrix completion, ½Σ_{(i,j)∈Ω}(uᵢᵀvⱼ − Mᵢⱼ)² + (λ/2)(‖U‖²_F + ‖V‖²_F), Ω the stored
 *       entries of a sparse M (an explicitly stored 0 is an observation). Its gradients are R_Ω·V + λU and
 *       R_Ωᵀ·U + λV, R_Ω the residual on Ω; one pass over the stored entries forms each residual once and
 *       accumulates both. With λ = 0 (the default) small-start gradient descent is the implicit low-rank
 *       regulariser; the invariance of UᵀU − VᵀV under gradient flow holds for it as for any loss of UVᵀ.
 * </ul>
 * The {@code loss} of the iteration records is always the data term (½‖UVᵀ − M‖²_F, or ½Σ_Ω for observed);
 * the λ term can be formed from the records' norms.
 */
public sealed interface Objective permits Objective.Full, Objective.Observed {

    /** The full loss. */
    Objective FULL = new Full();

    /** The observed-entries loss with weight decay {@code lambda} (finite, ≥ 0). */
    static Objective observed(double lambda) {
        return new Observed(lambda);
    }

    /** The command-line form: {@code full}, {@code observed} or {@code observed:LAMBDA}. */
    String describe();

    /** Parses {@code full}, {@code observed} or {@code observed:LAMBDA}. */
    static Objective parse(String spec) {
        String s = Objects.requireNonNull(spec, "objective spec must not be null").trim();
        if (s.equals("full")) {
            return FULL;
        }
        if (s.equals("observed")) {
            return observed(0.0);
        }
        if (s.startsWith("observed:")) {
            String arg = s.substring("observed:".length()).trim();
            try {
                return observed(Double.parseDouble(arg));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("objective '" + spec + "': LAMBDA '" + arg + "' is not a number");
            }
        }
        throw new IllegalArgumentException("unknown objective '" + spec + "': expected full, observed or "
                + "observed:LAMBDA");
    }

    /** See {@link Objective}. */
    record Full() implements Objective {
        @Override
        public String describe() {
            return "full";
        }
    }

    /** See {@link Objective}. */
    record Observed(double lambda) implements Objective {
        /**
         * Validates the components.
         *
         * @throws IllegalArgumentException unless λ is finite and non-negative
         */
        public Observed {
            if (!(lambda >= 0) || !Double.isFinite(lambda)) {
                throw new IllegalArgumentException("weight decay lambda must be finite and non-negative, got "
                        + lambda);
            }
        }

        @Override
        public String describe() {
            return lambda == 0 ? "observed" : "observed:" + lambda;
        }

        /**
         * Turns the variant's coefficients (written for the full loss, whose data gradient is U·VᵀV − MV) into those
         * of this objective, whose data gradient −P is already complete: A_U − VᵀV + λI and A_V − UᵀU + λI. For the
         * simultaneous and alternating variants the differences are exactly 0; for the regularised one they are its
         * balance term ±λ_b·D.
         */
        void adjust(double[] gramU, double[] gramV, double[] aU, double[] aV, int r) {
            for (int k = 0; k < aU.length; k++) {
                aU[k] -= gramV[k];
                aV[k] -= gramU[k];
            }
            for (int a = 0; a < r; a++) {
                aU[a * r + a] += lambda;
                aV[a * r + a] += lambda;
            }
        }
    }
}

package org.autobalance.solve;

import java.util.Objects;

/**
 * Which gradient method runs. Every variant's step has the form U ← U − η(U·A_U − MV), V ← V − η(V·A_V − MᵀU) with
 * r × r coefficient matrices A_U, A_V built from the Gram matrices, so one kernel serves them all; they differ in the
 * coefficients and in whether V's step sees the old U or the updated one.
 *
 * <ul>
 *   <li>{@link Simultaneous}: the algorithm of Du, Hu &amp; Lee: A_U = VᵀV, A_V = UᵀU, both at (U_t, V_t). The
 *       imbalance D = UᵀU − VᵀV changes per step by exactly η²(VᵀRᵀRV − UᵀRRᵀU) (R = UVᵀ − M).
 *   <li>{@link Alternating}: Ward &amp; Kolda's alternating GD: U_{t+1} = U_t − η R_t V_t, then
 *       V_{t+1} = V_t − η R'ᵀU_{t+1} with R' = U_{t+1}V_tᵀ − M. Costs a second pass over M per iteration (for
 *       MᵀU_{t+1}). With G = R_tV_t and H = R'ᵀU_{t+1}, the imbalance changes by exactly
 *       −η²(GᵀG + HᵀH + U_tᵀG·V_tᵀV_t + V_tᵀV_t·GᵀU_t) + η³(GᵀG·V_tᵀV_t + V_tᵀV_t·GᵀG): again no first-order term.
 *   <li>{@link Regularized}: simultaneous GD on f + (λ/4)‖UᵀU − VᵀV‖²_F, the balancing regulariser of earlier work;
 *       λ = 1/2 is the coefficient 1/8 of the paper's Figure 1. Its gradients are ∇_U = U·(VᵀV + λD) − MV and
 *       ∇_V = V·(UᵀU − λD) − MᵀU with D = UᵀU − VᵀV.
 * </ul>
 *
 * <p>Whatever the variant, the {@code loss} of the iteration records is the data fit f = ½‖UVᵀ − M‖²_F; the
 * regularised objective is f + (λ/4)·balance², both fields of the same record.
 */
public sealed interface Variant permits Variant.Simultaneous, Variant.Alternating, Variant.Regularized {

    /** The default regulariser weight λ: (λ/4) = 1/8, the coefficient of the paper's comparison. */
    double DEFAULT_LAMBDA = 0.5;

    /** Simultaneous GD (the default). */
    Variant SIMULTANEOUS = new Simultaneous();
    /** Alternating GD (Ward &amp; Kolda). */
    Variant ALTERNATING = new Alternating();

    /** Whether V's step uses the updated U (then the iteration needs a second pass over M). */
    default boolean alternating() {
        return false;
    }

    /**
     * How many times the fit's curvature the variant's objective can have: a σ₁-scaled step ({@code auto:C}, the
     * theory schedule) is resolved with σ₁ times it. 1 but for {@link Regularized}.
     */
    default double curvatureScale() {
        return 1;
    }

    /** The command-line form, e.g. {@code regularized:0.5}. */
    String describe();

    /** Parses {@code simultaneous}, {@code alternating}, {@code regularized} or {@code regularized:LAMBDA}. */
    static Variant parse(String spec) {
        String s = Objects.requireNonNull(spec, "variant spec must not be null").trim();
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        if (kind.equals("regularized") || kind.equals("regularised")) {
            if (colon < 0) {
                return new Regularized(DEFAULT_LAMBDA);
            }
            String arg = s.substring(colon + 1).trim();
            try {
                return new Regularized(Double.parseDouble(arg));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("variant '" + spec + "': LAMBDA '" + arg + "' is not a number");
            }
        }
        if (colon < 0 && kind.equals("simultaneous")) {
            return SIMULTANEOUS;
        }
        if (colon < 0 && kind.equals("alternating")) {
            return ALTERNATING;
        }
        throw new IllegalArgumentException("unknown variant '" + spec
                + "': expected simultaneous, alternating or regularized[:LAMBDA]");
    }

    /** See {@link Variant}. */
    record Simultaneous() implements Variant {
        @Override
        public String describe() {
            return "simultaneous";
        }
    }

    /** See {@link Variant}: the same coefficients as simultaneous GD, evaluated at a different point. */
    record Alternating() implements Variant {
        @Override
        public boolean alternating() {
            return true;
        }

        @Override
        public String describe() {
            return "alternating";
        }
    }

    /** See {@link Variant}; {@code lambda} finite and non-negative (0 is plain simultaneous GD). */
    record Regularized(double lambda) implements Variant {
        /**
         * Validates the components.
         *
         * @throws IllegalArgumentException unless λ is finite and non-negative
         */
        public Regularized {
            if (!(lambda >= 0) || !Double.isFinite(lambda)) {
                throw new IllegalArgumentException("regulariser weight lambda must be finite and non-negative, got "
                        + lambda);
            }
            if (lambda > MAX_LAMBDA) {
                throw new IllegalArgumentException("regulariser weight lambda must be at most 2^50 (about 1.1e15), "
                        + "got " + lambda + ": the auto step is divided by 2*lambda, and the fit's share of a step "
                        + "(1/(2*lambda) of the regulariser's) falls below float64's rounding unit");
            }
        }

        /**
         * The largest λ: past 1/(2u) with u = 2⁻⁵³ the fit's share of a step, 1/(2λ) of the regulariser's, rounds away
         * in float64 (float32's edge is lower: such runs end with nothing learned, and say so). λ = 10³⁰⁰ overflowed
         * the gradient at iteration 0 ("diverged … try a smaller step"), 10³⁰⁸ made 2λ infinite and the auto step 0.
         */
        static final double MAX_LAMBDA = 0x1p50;

        /**
         * max(1, 2λ): near a balanced minimiser the fit's largest Hessian eigenvalue is 2σ₁, while along the direction
         * that unbalances a leading pair (δU = δ·u, δV = −δ·v) the fit is flat and the regulariser's curvature is 4λσ₁.
         * With λ ≤ ½ (the default, the paper's 1/8) the step is unchanged; with λ = 1.5 auto's 0.5/σ₁ made the
         * balance oscillate between 10⁻³ and 2·10³, with λ = 2 it diverged (native-notes/reliability.md).
         */
        @Override
        public double curvatureScale() {
            return Math.max(1, 2 * lambda);
        }

        @Override
        public String describe() {
            return "regularized:" + lambda;
        }
    }
}

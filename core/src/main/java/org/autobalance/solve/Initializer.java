package org.autobalance.solve;

import java.util.Objects;
import org.autobalance.memory.DenseMatrix;

/**
 * The starting factors U₀ (d1 × r) and V₀ (d2 × r) of a run: which start, and its parameters. The solver writes
 * them (this interface is sealed: the four starts below are the choices).
 *
 * <p>The paper's analysis starts from a small random initialisation: the conserved imbalance UᵀU − VᵀV is then
 * small, so the factors stay balanced as they grow. (0, 0) itself is a critical point that gradient descent never
 * leaves, so a useful initialisation is small but not zero.
 */
public sealed interface Initializer
        permits Initializer.SmallGaussian, Initializer.Balanced, Initializer.Given, Initializer.WardKolda {

    /** Relative size of the default initialisation: entries of standard deviation 10⁻³·√(σ₁/max(d1, d2)). */
    double DEFAULT_RELATIVE_SCALE = 1e-3;

    /** Whether the start needs σ₁(M) (the solver estimates it first). */
    boolean needsSpectralNorm();

    /** A short human-readable form, e.g. {@code small:0.001}. */
    String describe();

    /** I.i.d. N(0, s²) entries with the default s = 10⁻³·√(σ₁/max(d1, d2)). */
    static Initializer small() {
        return new SmallGaussian(Double.NaN);
    }

    /** I.i.d. N(0, scale²) entries; {@code scale} is the absolute standard deviation, finite and positive. */
    static Initializer small(double scale) {
        return new SmallGaussian(requireScale(scale));
    }

    /** An exactly balanced start (U₀ᵀU₀ = V₀ᵀV₀ = s²·max(d1, d2)·I) with the default s of {@link #small()}. */
    static Initializer balanced() {
        return new Balanced(Double.NaN);
    }

    /** An exactly balanced start U₀ᵀU₀ = V₀ᵀV₀ = scale²·max(d1, d2)·I. */
    static Initializer balanced(double scale) {
        return new Balanced(requireScale(scale));
    }

    /** The given factors (copied; the caller keeps ownership). */
    static Initializer given(DenseMatrix u0, DenseMatrix v0) {
        return new Given(u0, v0);
    }

    /** Ward–Kolda's unbalanced start with the constants C = 4, D = C/9 of {@link WardKolda}. */
    static Initializer wardKolda() {
        return new WardKolda(WardKolda.DEFAULT_C, WardKolda.DEFAULT_C / 9);
    }

    /**
     * Parses {@code small}, {@code small:SCALE}, {@code balanced}, {@code balanced:SCALE}, {@code ward-kolda} or
     * {@code ward-kolda:C,D}.
     */
    static Initializer parse(String spec) {
        String s = Objects.requireNonNull(spec, "init spec must not be null").trim();
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        if (kind.equals("ward-kolda")) {
            return WardKolda.parse(spec, colon < 0 ? null : s.substring(colon + 1));
        }
        Double scale = null;
        if (colon >= 0) {
            try {
                scale = Double.parseDouble(s.substring(colon + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("init '" + spec + "': SCALE '" + s.substring(colon + 1).trim()
                        + "' is not a number");
            }
        }
        return switch (kind) {
            case "small" -> scale == null ? small() : small(scale);
            case "balanced" -> scale == null ? balanced() : balanced(scale);
            default -> throw new IllegalArgumentException("unknown init '" + spec
                    + "': expected small[:SCALE], balanced[:SCALE], ward-kolda[:C,D] or file:U0.mtx,V0.mtx");
        };
    }

    private static double requireScale(double scale) {
        if (!(scale > 0) || !Double.isFinite(scale)) {
            throw new IllegalArgumentException("initialisation scale must be finite and positive, got " + scale);
        }
        return scale;
    }

    /** See {@link Initializer#small(double)}; a NaN scale means the default. */
    record SmallGaussian(double scale) implements Initializer {
        @Override
        public boolean needsSpectralNorm() {
            return Double.isNaN(scale);
        }

        @Override
        public String describe() {
            return Double.isNaN(scale) ? "small" : "small:" + scale;
        }
    }

    /**
     * See {@link Initializer#balanced(double)}. Gaussian G₁, G₂ are orthonormalised through the Cholesky factors of
     * their Gram matrices (Q = G·L⁻ᵀ), then scaled, so both Gram matrices equal the same multiple of the identity up
     * to rounding. Needs r ≤ min(d1, d2), which the solver enforces.
     */
    record Balanced(double scale) implements Initializer {
        @Override
        public boolean needsSpectralNorm() {
            return Double.isNaN(scale);
        }

        @Override
        public String describe() {
            return Double.isNaN(scale) ? "balanced" : "balanced:" + scale;
        }
    }

    /** See {@link Initializer#given}. Shapes and finiteness are checked by the solver before the run. */
    record Given(DenseMatrix u0, DenseMatrix v0) implements Initializer {
        /** Both factors are needed (a null one failed at {@code build()} with the JVM's words). */
        public Given {
            Objects.requireNonNull(u0, "initial factor U0 must not be null");
            Objects.requireNonNull(v0, "initial factor V0 must not be null");
        }

        @Override
        public boolean needsSpectralNorm() {
            return false;
        }

        @Override
        public String describe() {
            return "given";
        }
    }

    /**
     * Ward &amp; Kolda's deliberately unbalanced start for (alternating) GD, for M (d1 × d2) at rank k:
     * U₀ = MΦ / (√η·C·σ₁) and V₀ = √η·D·σ₁·Ψ, with Φ, Ψ ∈ R^{d2×k} Gaussian, Φ_ij ~ N(0, 1/k) and Ψ_ij ~ N(0, 1/d2),
     * η the first step of the schedule.
     *
     * <p>Dimensions: η ~ 1/σ, so both factors scale like √σ, as they must for UVᵀ ~ σ. The variances make Φ a
     * norm-preserving sketch (E[‖Φᵀx‖²] = ‖x‖²), so ‖U₀‖_op ≈ 1/(√η·C), and give ‖Ψ‖_op ≈ 1 + √(k/d2) = O(1), so
     * ‖V₀‖_op ≈ √η·D·σ₁: with η = 9/(4Cσ₁) and C = 4 that is U₀ ≈ 1.3× and V₀ ≈ 0.33× the scale √σ₁ of a balanced
     * optimum, and U₀ already spans M's column space. The constants follow a third-party implementation (paper-notes
     * §4.2, S8; C = 4, D = C/9, η = 9/(4Cσ₁)); the paper's own constants are unverified. U₀ lies in range(M), so its
     * rank is at most rank(M).
     *
     * @param c the constant C (positive)
     * @param d the constant D (positive)
     */
    record WardKolda(double c, double d) implements Initializer {
        /** The default C; D defaults to C/9 and the matching step is η = 9/(4Cσ₁) ({@code --schedule auto:0.5625}). */
        public static final double DEFAULT_C = 4.0;

        /**
         * Validates the components.
         *
         * @throws IllegalArgumentException unless C and D are positive and finite
         */
        public WardKolda {
            requireScale(c);
            requireScale(d);
        }

        static WardKolda parse(String spec, String args) {
            if (args == null) {
                return (WardKolda) wardKolda();
            }
            String[] parts = args.split(",", -1);
            if (parts.length != 2) {
                throw new IllegalArgumentException("init '" + spec + "': expected ward-kolda or ward-kolda:C,D");
            }
            try {
                return new WardKolda(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("init '" + spec + "': C and D must be numbers");
            }
        }

        @Override
        public boolean needsSpectralNorm() {
            return true;
        }

        @Override
        public String describe() {
            return "ward-kolda:" + c + "," + d;
        }
    }
}

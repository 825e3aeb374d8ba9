package org.autobalance.network;

/**
 * A positively 1-homogeneous activation φ(z) = z for z &gt; 0 and φ(z) = s·z otherwise, with s the slope on the
 * negative side: {@code linear} (s = 1), {@code relu} (s = 0) and {@code leaky:A} (s = A, 0 &lt; A &lt; 1). Each
 * satisfies φ(z) = φ'(z)·z, the property the balance invariants rest on (paper-notes §1.2).
 *
 * <p>Derivative at the kink: φ'(0) = s (relu'(0) = 0, leaky'(0) = A), the common convention; any value in [s, 1]
 * would keep the identities exact because φ'(0)·0 = 0. Since φ(z) &gt; 0 exactly when z &gt; 0, the derivative is
 * a function of the activation's output: the engine keeps only φ(z) and never the pre-activation.
 *
 * @param negativeSlope s in [0, 1]
 */
public record Activation(double negativeSlope) {
    /** φ(z) = z. */
    public static final Activation LINEAR = new Activation(1.0);
    /** φ(z) = max(z, 0). */
    public static final Activation RELU = new Activation(0.0);

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException unless the negative slope lies in [0, 1]
     */
    public Activation {
        if (!(negativeSlope >= 0 && negativeSlope <= 1)) {
            throw new IllegalArgumentException("activation slope must lie in [0, 1], got " + negativeSlope);
        }
    }

    /** Parses {@code linear}, {@code relu} or {@code leaky:A} with 0 &lt; A &lt; 1. */
    public static Activation parse(String text) {
        String s = text.trim();
        if (s.equals("linear")) {
            return LINEAR;
        }
        if (s.equals("relu")) {
            return RELU;
        }
        if (s.startsWith("leaky:")) {
            double a;
            String slope = s.substring("leaky:".length()).trim();
            // a plain decimal: Double.parseDouble also took hexadecimal ("0x0.1p0" ran as 0.0625) and "1f"
            if (!slope.matches("[-+]?([0-9]*\\.?[0-9]+|[0-9]+\\.)([eE][-+]?[0-9]+)?")) {
                throw new IllegalArgumentException("activation '" + text + "': the slope A is not a number");
            }
            a = Double.parseDouble(slope);
            if (!(a > 0 && a < 1)) {
                throw new IllegalArgumentException("activation '" + text + "': the slope A must satisfy 0 < A < 1");
            }
            return new Activation(a);
        }
        throw new IllegalArgumentException("unknown activation '" + text + "': expected linear, relu or leaky:A");
    }

    /** Whether φ is the identity. */
    public boolean isLinear() {
        return negativeSlope == 1.0;
    }

    /** φ(z). */
    public double apply(double z) {
        return z > 0 ? z : negativeSlope * z;
    }

    /** φ'(z), from the output y = φ(z): 1 when y &gt; 0, else s (also at z = 0). */
    public double slopeAtOutput(double y) {
        return y > 0 ? 1.0 : negativeSlope;
    }

    /** The command-line spelling. */
    public String describe() {
        return negativeSlope == 1.0 ? "linear" : negativeSlope == 0.0 ? "relu" : "leaky:" + negativeSlope;
    }
}

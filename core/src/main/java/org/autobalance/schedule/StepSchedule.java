package org.autobalance.schedule;

import java.util.Objects;

/**
 * The step size η_t of gradient descent at iteration t (t = 0, 1, 2, …).
 *
 * <p>Some schedules are stated relative to the scale of the problem (σ₁(M), the largest singular value); they report
 * {@link #needsSpectralNorm()} and the solver calls {@link #resolve(double)} with its estimate of σ₁ before the first
 * iteration. A schedule ready to use returns itself from {@code resolve}.
 */
public interface StepSchedule {

    /** η_t, finite and positive. */
    double eta(long t);

    /** Whether {@link #resolve(double)} needs σ₁(M). */
    default boolean needsSpectralNorm() {
        return false;
    }

    /** The schedule to run, given σ₁(M) (positive). */
    default StepSchedule resolve(double sigma1) {
        return this;
    }

    /** The schedule to run, given σ₁(M) and the rank r of the factorisation (for schedules derived from theory). */
    default StepSchedule resolve(double sigma1, int rank) {
        return resolve(sigma1);
    }

    /** A short human-readable form, e.g. {@code constant:0.01}. */
    String describe();

    /**
     * Parses the command-line form: {@code auto}, {@code auto:C}, {@code constant:ETA}, {@code decay:ETA0,DELTA} or
     * {@code theory:EPS,DELTA}.
     *
     * @throws IllegalArgumentException naming the problem for anything else
     * @throws NullPointerException if {@code spec} is null (as the builders' setters do for a null argument)
     */
    static StepSchedule parse(String spec) {
        String s = Objects.requireNonNull(spec, "schedule spec must not be null").trim();
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        String args = colon < 0 ? null : s.substring(colon + 1);
        switch (kind) {
            case "auto":
                return args == null ? new SpectralSchedule(SpectralSchedule.DEFAULT_C)
                        : new SpectralSchedule(number(args, "auto:C", "C"));
            case "constant":
                return new ConstantSchedule(number(require(args, "constant:ETA"), "constant:ETA", "ETA"));
            case "decay": {
                double[] p = pair(spec, args, "decay:ETA0,DELTA", "ETA0", "DELTA");
                return new PowerDecaySchedule(p[0], p[1]);
            }
            case "theory": {
                double[] p = pair(spec, args, "theory:EPS,DELTA", "EPS", "DELTA");
                return new TheorySchedule(p[0], p[1]);
            }
            default:
                throw new IllegalArgumentException("unknown schedule '" + spec
                        + "': expected auto[:C], constant:ETA, decay:ETA0,DELTA or theory:EPS,DELTA");
        }
    }

    private static double[] pair(String spec, String args, String form, String first, String second) {
        String[] parts = require(args, form).split(",", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("schedule '" + spec + "': expected " + form);
        }
        return new double[] {number(parts[0], form, first), number(parts[1], form, second)};
    }

    private static String require(String args, String form) {
        if (args == null || args.isBlank()) {
            throw new IllegalArgumentException("schedule needs arguments: " + form);
        }
        return args;
    }

    private static double number(String text, String form, String name) {
        try {
            return Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("schedule " + form + ": " + name + " '" + text.trim()
                    + "' is not a number");
        }
    }
}

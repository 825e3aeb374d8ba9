package org.autobalance.schedule;

/**
 * The practical default: a constant step η = c / σ₁(M), with σ₁ estimated by power iteration before the run.
 *
 * <p>Near a balanced optimum the largest Hessian eigenvalue is 2σ₁, so constant-step GD is stable only for
 * η &lt; 1/σ₁ (c &lt; 1). The default c = {@value #DEFAULT_C} keeps a factor-two margin, which also covers moderately
 * unbalanced factors and the power-iteration estimate of σ₁ being an underestimate — by up to ¼, the budget of its
 * passes allows (SpectralNorm.tolerated), a step of at most ⅔/σ₁, a margin of 1.5 — and at c = 1/2 the error along
 * the top singular direction of a balanced optimum contracts fastest (|1 − 2cσ₁/σ₁| = 0).
 */
public record SpectralSchedule(double c) implements StepSchedule {

    /** The default scale c in η = c/σ₁. */
    public static final double DEFAULT_C = 0.5;

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException unless c is positive and finite
     */
    public SpectralSchedule {
        ScheduleChecks.requirePositive(c, "auto step scale C");
    }

    @Override
    public double eta(long t) {
        throw new IllegalStateException("schedule auto:" + c + " must be resolved with sigma1(M) before use");
    }

    @Override
    public boolean needsSpectralNorm() {
        return true;
    }

    @Override
    public StepSchedule resolve(double sigma1) {
        return new ConstantSchedule(c / sigma1);
    }

    @Override
    public String describe() {
        return "auto:" + c;
    }
}

package org.autobalance.schedule;

/**
 * The decaying schedule derived from the balance bound (paper-notes §2.1): η_t = c / (σ₁·(t + 1)^{1/2 + δ}) with
 * c = √(ε / (4r(1 + √r)(1 + 1/(2δ))·σ₁)), which keeps the total drift of the imbalance below ε/2.
 *
 * <p>Derivation. One simultaneous step changes D = UᵀU − VᵀV by at most η_t²·2f_t·(‖U_t‖²_op + ‖V_t‖²_op). From a
 * small start, f_t ≤ f₀ ≈ ½‖M‖²_F ≤ ½rσ₁² and ‖U‖²_op, ‖V‖²_op ≤ (1 + √r)σ₁ along the trajectory, so the drift is at
 * most Σ_t η_t²·rσ₁²·2(1 + √r)σ₁ = 2c²r(1 + √r)σ₁·Σ_t (t + 1)^{−(1 + 2δ)} ≤ 2c²r(1 + √r)(1 + 1/(2δ))σ₁ (the sum is
 * below 1 + ∫₁^∞ x^{−(1+2δ)}dx). Setting this to ε/2 gives c. ε is measured in the units of D, i.e. of σ₁.
 * With an initial imbalance below ε/2 the paper's Lemma 3.1(i), ‖D_t‖_F &lt; ε for all t, follows.
 *
 * @param epsilon the balance target ε (same units as σ₁), finite and positive
 * @param delta the decay exponent δ in (0, 1/2]
 */
public record TheorySchedule(double epsilon, double delta) implements StepSchedule {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException unless ε is positive and finite and δ in (0, 1/2]
     */
    public TheorySchedule {
        ScheduleChecks.requirePositive(epsilon, "balance target EPS");
        PowerDecaySchedule.requireDelta(delta);
    }

    /** c of the class comment, dimensionless. */
    public double scale(double sigma1, int rank) {
        double r = rank;
        return Math.sqrt(epsilon / (4 * r * (1 + Math.sqrt(r)) * (1 + 1 / (2 * delta)) * sigma1));
    }

    /** The a-priori drift bound 2c²r(1 + √r)(1 + 1/(2δ))σ₁, which {@link #scale} makes equal to ε/2. */
    public double driftBound(double sigma1, int rank) {
        double c = scale(sigma1, rank);
        double r = rank;
        return 2 * c * c * r * (1 + Math.sqrt(r)) * (1 + 1 / (2 * delta)) * sigma1;
    }

    @Override
    public double eta(long t) {
        throw new IllegalStateException("schedule " + describe() + " must be resolved with sigma1(M) and the rank");
    }

    @Override
    public boolean needsSpectralNorm() {
        return true;
    }

    @Override
    public StepSchedule resolve(double sigma1) {
        throw new IllegalStateException("schedule " + describe() + " needs the rank: use resolve(sigma1, rank)");
    }

    @Override
    public StepSchedule resolve(double sigma1, int rank) {
        return new PowerDecaySchedule(scale(sigma1, rank) / sigma1, delta);
    }

    @Override
    public String describe() {
        return "theory:" + epsilon + "," + delta;
    }
}

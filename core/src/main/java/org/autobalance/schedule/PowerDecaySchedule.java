package org.autobalance.schedule;

/**
 * η_t = η₀ / (t + 1)^{1/2 + δ} with 0 &lt; δ ≤ 1/2: the regime of Du, Hu &amp; Lee (Theorem 3.1), in which Σ η_t²
 * is finite (δ &gt; 0), so the balance drift stays bounded, while Σ η_t diverges (δ ≤ 1/2), so the iterates still
 * travel arbitrarily far.
 */
public record PowerDecaySchedule(double eta0, double delta) implements StepSchedule {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException unless η₀ is positive and finite and δ in (0, 1/2]
     */
    public PowerDecaySchedule {
        ScheduleChecks.requirePositive(eta0, "initial step eta0");
        requireDelta(delta);
    }

    /** Throws unless 0 &lt; δ ≤ 1/2, the range in which Σ η_t² is finite and Σ η_t is not. */
    static void requireDelta(double delta) {
        if (!(delta > 0 && delta <= 0.5)) {
            throw new IllegalArgumentException("decay exponent delta must lie in (0, 1/2], got " + delta
                    + " (delta <= 0 lets the balance drift grow without bound; delta > 1/2 makes the total step "
                    + "finite)");
        }
    }

    @Override
    public double eta(long t) {
        return eta0 / Math.pow(t + 1.0, 0.5 + delta);
    }

    @Override
    public String describe() {
        return "decay:" + eta0 + "," + delta;
    }
}

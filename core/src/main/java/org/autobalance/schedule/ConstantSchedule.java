package org.autobalance.schedule;

/** η_t = η for every t. Stable near a balanced optimum only for η &lt; 1/σ₁(M) (paper-notes §2.2, P6). */
public record ConstantSchedule(double eta) implements StepSchedule {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException unless η is positive and finite
     */
    public ConstantSchedule {
        ScheduleChecks.requirePositive(eta, "constant step");
    }

    @Override
    public double eta(long t) {
        return eta;
    }

    @Override
    public String describe() {
        return "constant:" + eta;
    }
}

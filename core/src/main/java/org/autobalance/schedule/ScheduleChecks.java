package org.autobalance.schedule;

/** The schedules' check of a positive parameter (a step, ε, auto's C), package-private: not the API's. */
final class ScheduleChecks {
    private ScheduleChecks() {
    }

    /** Throws unless {@code value} is finite and positive; {@code what} names it in the message. */
    static double requirePositive(double value, String what) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(what + " must be finite and positive, got " + value);
        }
        return value;
    }
}

package org.autobalance.spark;

/**
 * Where the driver's time per iteration goes, accumulated over a run (for the overhead measurement in
 * native-notes/spark.md): building and broadcasting the step, the Spark job (scheduling, the tasks, the results'
 * return), adding the partials, and V's step and Gram on the driver.
 */
final class DriverCosts {
    long iterations;
    long broadcastNanos;
    long jobNanos;
    long reduceNanos;
    long driverStepNanos;

    double perIterationMillis(long nanos) {
        return nanos / 1e6 / iterations;
    }
}

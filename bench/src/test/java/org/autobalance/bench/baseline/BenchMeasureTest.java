package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.api.Test;

/** {@link BenchCommand#measure}: the wall-time median and the timing thread's CPU-time median per iteration. */
class BenchMeasureTest {

    @Test
    void theCpuMedianIsTheTimedIterationsOwn() {
        // a warm-up 10× the window: had its CPU time (or any of it beyond one sample) reached the CPU figure, that
        // figure would be far above the wall median
        BenchCommand.Timing t = measure(1, 0.2, 0.02);
        double delta = clockReadsMs();
        // each sample's CPU bracket holds its wall bracket and the clock reads between them, and a thread never runs
        // longer than the wall time passing, so every sample's CPU ≤ its wall + δ: so are the medians (no lower bound
        // holds: on a busy machine a thread may wait for a core through most of an iteration)
        assertTrue(t.cpuMedianMs() <= t.medianMs() + delta, t + ", δ = " + delta + " ms");
        assertTrue(t.cpuMedianMs() > 0, t.toString());
    }

    @Test
    void noCpuFigureAboveOneThread() {
        BenchCommand.Timing t = measure(2, 0.01, 0.01);
        assertTrue(Double.isNaN(t.cpuMedianMs()) && Double.isFinite(t.medianMs()), t.toString());
    }

    /** The engine's iteration on a 40 × 30 float32 problem of rank 3, timed by {@link BenchCommand#measure}. */
    private static BenchCommand.Timing measure(int threads, double warmupSeconds, double measureSeconds) {
        try (DenseMatrix m = BenchProblem.data(DType.FLOAT32, 40, 30, 1);
                DenseMatrix u0 = BenchProblem.start(DType.FLOAT32, 40, 3, 2);
                DenseMatrix v0 = BenchProblem.start(DType.FLOAT32, 30, 3, 3)) {
            return BenchCommand.measure("autobalance", m, u0, v0, threads, warmupSeconds, measureSeconds);
        }
    }

    /**
     * δ: the most CPU time that {@link BenchCommand#sample}'s clock reads add to a sample beyond its wall time, the
     * largest over empty brackets read in the same order (CPU, wall, wall, CPU), after as many unjudged ones (the first
     * calls load classes, a one-off that can reach only single samples, not the median); HotSpot's thread CPU clock on
     * Linux counts nanoseconds, so δ is the reads' own cost.
     */
    private static double clockReadsMs() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long most = 0;
        for (int i = 0; i < 2 * BRACKETS; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            long t1 = System.nanoTime();
            long excess = mx.getCurrentThreadCpuTime() - c0 - (t1 - t0);
            most = i < BRACKETS ? 0 : Math.max(most, excess);
        }
        return most * 1e-6;
    }

    private static final int BRACKETS = 2000;
}

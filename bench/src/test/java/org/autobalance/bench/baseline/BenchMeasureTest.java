package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.api.Test;

/** {@link BenchCommand#measure}: the wall-time median and the timing thread's CPU time per iteration. */
class BenchMeasureTest {

    @Test
    void measuresTheCpuTimeOfTheTimedIterationsToo() {
        try (DenseMatrix m = BenchProblem.data(DType.FLOAT32, 40, 30, 1);
                DenseMatrix u0 = BenchProblem.start(DType.FLOAT32, 40, 3, 2);
                DenseMatrix v0 = BenchProblem.start(DType.FLOAT32, 30, 3, 3)) {
            BenchCommand.Timing t = BenchCommand.measure("autobalance", m, u0, v0, 1, 0.01, 0.01);
            // CPU time is counted in the clock's ticks, so a mean over the timed iterations is > 0 but may exceed a
            // short iteration's wall median: only its presence is checked, not its size
            assertTrue(Double.isFinite(t.cpuMeanMs()) && t.cpuMeanMs() > 0, t.toString());
            assertTrue(Double.isFinite(t.medianMs()) && t.bestMs() <= t.medianMs(), t.toString());
        }
    }
}

package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The order statistics behind the probe's median bandwidth and its spread, and its rule for a concurrent sweep. */
class RooflineProbeTest {

    @Test
    void quantileInterpolatesBetweenOrderStatistics() {
        double[] odd = {1, 2, 3, 4, 5};
        assertEquals(3.0, RooflineProbe.quantile(odd, 0.5));
        assertEquals(2.0, RooflineProbe.quantile(odd, 0.25));
        assertEquals(4.0, RooflineProbe.quantile(odd, 0.75));
        assertEquals(1.0, RooflineProbe.quantile(odd, 0.0));
        assertEquals(5.0, RooflineProbe.quantile(odd, 1.0));
        // even count: the median is halfway between the middle two; q = 0.25 lies a quarter past the first
        double[] even = {10, 20, 30, 40};
        assertEquals(25.0, RooflineProbe.quantile(even, 0.5));
        assertEquals(17.5, RooflineProbe.quantile(even, 0.25));
    }

    @Test
    void aSweepCountsOnlyIfEveryThreadWasOnACoreForNearlyAllOfIt() {
        double span = 0.010; // a 10 ms sweep
        // both threads on a core for 9.9 ms of it: they read together
        assertTrue(RooflineProbe.concurrent(new long[] {9_900_000, 9_950_000}, span));
        // the second thread waited 2 ms for a core: for that time the first read alone, faster than together
        assertFalse(RooflineProbe.concurrent(new long[] {9_900_000, 8_000_000}, span));
        // one thread: descheduled for 1 ms of the sweep (its wall clock then overstates the read time)
        assertFalse(RooflineProbe.concurrent(new long[] {9_000_000}, span));
        assertTrue(RooflineProbe.concurrent(new long[] {9_600_000}, span));
    }
}

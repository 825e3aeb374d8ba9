package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The order statistics behind the probe's median bandwidth and its spread. */
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
}

package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.internal.IterationMonitor;
import org.junit.jupiter.api.Test;

/**
 * A float32 M whose iterates leave float32's range diverged (scaled up) or stalled without converging (scaled down)
 * without a word about the range, as a library user found: the solver now warns through {@code System.Logger}
 * (java.util.logging here, which a test in core's module cannot read).
 */
class ScaleWarningTest {
    /**
     * The warning's bound: the iterates' products are of order σ₁^{3/2}. With entries ~1e-28 (σ₁ ≈ 1e-28·(√40 + √30)
     * ≈ 1.2e-27, σ₁^{3/2} ≈ 4e-41) that is below float32's smallest normal 1.2e-38; with entries ~1e25 (σ₁ ≈ 1.2e26,
     * σ₁^{3/2} ≈ 1.3e39) above its largest 3.4e38; at scale 1 neither.
     */
    @Test
    void aFloat32MatrixOutsideTheRangeOfItsIteratesIsWarnedAbout() {
        List<String> warnings;
        try (LogCapture log = LogCapture.of(IterationMonitor.class)) {
            for (double scale : new double[] {1, 1e-28, 1e25}) {
                try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, ScaleRangeTest.scaled(scale));
                        Result r = Factorizer.builder(m, 2).maxIterations(1).build().run()) {
                    assertEquals(1, r.iterations());
                } catch (DivergenceException expectedAtTheTop) {
                    assertEquals(1e25, scale, expectedAtTheTop.getMessage());
                }
            }
            warnings = log.messages();
        }
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("M's scale is below float32's range") && warnings.get(0).contains(
                "scale M up"), warnings.get(0));
        assertTrue(warnings.get(1).startsWith("M's scale is beyond float32's range") && warnings.get(1).contains(
                "scale M down"), warnings.get(1));
    }
}

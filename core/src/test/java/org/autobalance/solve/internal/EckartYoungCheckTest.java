package org.autobalance.solve.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.junit.jupiter.api.Test;

/**
 * The plateau test's level ϑ = max(G·σ₁(U₀V₀ᵀ), √u·‖M‖_F), computed from the start's Grams when first asked for (not in
 * iteration 0, where its O(r³) eigenproblems cost more than a small iteration). Oracle: U₀ = PR and V₀ = QS with
 * orthonormal P, Q have Grams RᵀR and SᵀS and the singular values of RSᵀ, taken by one-sided Jacobi.
 */
class EckartYoungCheckTest {
    private static final int R = 6;

    /** Passes that the level never runs: it reads the Grams only. */
    private static PowerPasses noPasses(DType dtype) {
        return new PowerPasses() {
            @Override
            public DType dtype() {
                return dtype;
            }

            @Override
            public int rows() {
                return 10;
            }

            @Override
            public int cols() {
                return 8;
            }

            @Override
            public Blocks open(DenseMatrix y0, DenseMatrix x, boolean residual) {
                throw new AssertionError("the level needs no pass over M");
            }
        };
    }

    @Test
    void levelIsTheStartsScaleEvenAfterTheCallersGramsChange() {
        double[][] r = KnownMatrices.gaussian(R, R, 1e-3, 1);
        double[][] s = KnownMatrices.gaussian(R, R, 1e-3, 2);
        double[] gramU = Dense.gram(r);
        double[] gramV = Dense.gram(s);
        double sigma1 = Dense.singularValues(Dense.multiply(r, Dense.transpose(s)))[0];
        // ‖M‖_F small enough that the floor √u·‖M‖_F is far below G·σ₁
        EckartYoungCheck check = new EckartYoungCheck(noPasses(DType.FLOAT64), R, 1e-12, 3);
        check.start(gramU, gramV);
        // the caller (the engine) reuses its Gram arrays for the next iterate
        Arrays.fill(gramU, 7.0);
        Arrays.fill(gramV, -1.0);
        // σ₁ from the eigenvalues of a Gram product: relative error a few r·u; 1e3·r·u leaves a wide margin
        assertEquals(PlateauCheck.GROWTH * sigma1, check.level(), 1e3 * R * 0x1p-53 * PlateauCheck.GROWTH * sigma1);
        assertEquals(check.level(), check.state().level(), 0.0, "the checkpoint saves the same level");
    }

    @Test
    void levelIsAtLeastTheLossResolution() {
        double[][] r = KnownMatrices.gaussian(R, R, 1e-3, 4);
        double normM = 1e6;
        EckartYoungCheck check = new EckartYoungCheck(noPasses(DType.FLOAT32), R, normM, 5);
        check.start(Dense.gram(r), Dense.gram(r));
        assertEquals(Math.sqrt(DType.FLOAT32.unitRoundoff()) * normM, check.level(), 0.0);
    }

    @Test
    void aRestoredLevelIsKept() {
        EckartYoungCheck check = new EckartYoungCheck(noPasses(DType.FLOAT64), R, 1.0, 6);
        EckartYoungCheck.State saved = new EckartYoungCheck.State(0.125, 0.0625, new PlateauCheck().state(), 0, 1);
        check.restore(saved);
        assertEquals(0.125, check.level(), 0.0);
        assertEquals(0.0625, check.fitLevel(), 0.0);
    }
}

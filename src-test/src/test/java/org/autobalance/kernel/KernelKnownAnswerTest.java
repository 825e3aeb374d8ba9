package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.testing.RandomMatrices;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Known answers, independent of the scalar oracle (which could be wrong too): with M, U and V all ones every result
 * is a small integer or dyadic fraction, exact in both precisions whatever the summation order, so the comparison is
 * exact equality.
 */
class KernelKnownAnswerTest {

    static Stream<Arguments> cases() {
        // r = 4, 6 and 8 with row tails: the small-rank path's sweeps of 4 ranks (k4r4) and 4 + 2; at d2 = 4160 two
        // column blocks of it (4096 + 64). d2 = 64 · 65 keeps ‖G‖²'s partial sums exact in float32 at r = 8.
        int[][] shapes = {{33, 70, 3}, {33, 70, 17}, {5, 9, 1}, {29, 131, 40}, {7, 4098, 2}, {33, 70, 4},
            {6, 250, 6}, {7, 4160, 8}};
        // the scalar reference too: this is its independent check
        List<FactorKernels> all = new ArrayList<>(KernelContractTest.implementations());
        all.add(KernelProvider.scalar());
        return all.stream().flatMap(k -> Stream.of(DType.values())
                .flatMap(t -> Stream.of(shapes).map(s -> Arguments.of(Named.of(k.name(), k), t, s[0], s[1], s[2]))));
    }

    @ParameterizedTest(name = "{0} {1} {2}x{3} r={4}")
    @MethodSource("cases")
    void allOnes(FactorKernels k, DType t, int d1, int d2, int r) {
        try (DenseMatrix m = RandomMatrices.constant(t, d1, d2, 1.0);
                DenseMatrix u = RandomMatrices.constant(t, d1, r, 1.0);
                DenseMatrix v = RandomMatrices.constant(t, d2, r, 1.0);
                DenseMatrix mv = DenseMatrix.allocate(t, d1, r);
                DenseMatrix mtu = RandomMatrices.constant(t, d2, r, 2.0)) {
            k.fusedPass(m, u, v, 0, d1, mv, mtu);
            for (int i = 0; i < d1; i++) {
                for (int a = 0; a < r; a++) {
                    assertEquals(d2, mv.get(i, a), "MV[" + i + "," + a + "]");
                }
            }
            for (int j = 0; j < d2; j++) {
                for (int a = 0; a < r; a++) {
                    assertEquals(2.0 + d1, mtu.get(j, a), "MtU[" + j + "," + a + "] (pre-filled with 2)");
                }
            }
            assertNull(RandomMatrices.firstNonZeroPadding(mv));
            assertNull(RandomMatrices.firstNonZeroPadding(mtu));

            double[] g = new double[r * r];
            k.gram(u, 0, d1, g);
            for (double x : g) {
                assertEquals(d1, x, "UᵀU");
            }
            assertEquals((double) d1 * r, k.dot(u, u, 0, d1), "⟨U, U⟩");
            assertEquals((double) (r - 1) * (r - 1) * d1 * d2, k.residualSquared(m, u, v, 0, d1), "‖UVᵀ − M‖²");

            // G = U·(VᵀV) − MV = r·d2 − d2 per entry; η = 2^-12 keeps 1 − η·(r − 1)·d2 exact.
            double[] vtv = new double[r * r];
            java.util.Arrays.fill(vtv, d2);
            double eta = 0x1p-12;
            double gEntry = (double) (r - 1) * d2;
            double norm = k.gradientStep(u, mv, vtv, eta, 0, d1);
            assertEquals(gEntry * gEntry * r * d1, norm, "‖G‖²");
            for (int i = 0; i < d1; i++) {
                for (int a = 0; a < r; a++) {
                    assertEquals(1.0 - eta * gEntry, u.get(i, a), "U[" + i + "," + a + "] after the step");
                }
            }
            assertNull(RandomMatrices.firstNonZeroPadding(u));
        }
    }
}

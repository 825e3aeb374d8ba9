package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationRecord;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The solver against exact identities and a textbook implementation that forms R = UVᵀ − M explicitly (float64). */
class GradientDescentIdentitiesTest {

    /** Runs {@code iterations} steps of constant-step GD from (u0, v0) and returns {U, V, records}. */
    private static Object[] run(double[][] m, double[][] u0, double[][] v0, double eta, int iterations, int threads) {
        Runs.Run r = Runs.run(m, u0, v0, Variant.SIMULTANEOUS, new ConstantSchedule(eta), iterations, threads,
                b -> b);
        return new Object[] {r.u(), r.v(), r.records()};
    }

    @ParameterizedTest
    @CsvSource({"7, 5, 2, 1", "13, 21, 3, 2", "40, 9, 9, 3", "1, 6, 1, 1", "6, 1, 1, 2"})
    void iteratesEqualTextbookGradientDescent(int d1, int d2, int r, int threads) {
        double[][] m = KnownMatrices.gaussian(d1, d2, 1.0, 11);
        double[][] u = KnownMatrices.gaussian(d1, r, 0.3, 12);
        double[][] v = KnownMatrices.gaussian(d2, r, 0.3, 13);
        double eta = 0.02;
        int steps = 25;
        Object[] engine = run(m, u, v, eta, steps, threads);
        for (int t = 0; t < steps; t++) {
            double[][][] next = Dense.textbookStep(m, u, v, eta);
            u = next[0];
            v = next[1];
        }
        double[][] eu = (double[][]) engine[0];
        double[][] ev = (double[][]) engine[1];
        // the two orders of summation differ by a few ulps per step; 1e-12 relative to the largest entry
        assertTrue(Dense.maxAbsDifference(eu, u) <= 1e-12 * Dense.maxAbs(u), "U differs from textbook GD");
        assertTrue(Dense.maxAbsDifference(ev, v) <= 1e-12 * Dense.maxAbs(v), "V differs from textbook GD");
    }

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        int d1 = 9, d2 = 7, r = 3;
        double[][] m = KnownMatrices.gaussian(d1, d2, 1.0, 21);
        double[][] u = KnownMatrices.gaussian(d1, r, 0.5, 22);
        double[][] v = KnownMatrices.gaussian(d2, r, 0.5, 23);
        double eta = 1e-3;
        Object[] engine = run(m, u, v, eta, 1, 1);
        double[][] u1 = (double[][]) engine[0];
        double[][] v1 = (double[][]) engine[1];
        double h = 1e-6;
        double maxGradient = 0.0;
        double maxError = 0.0;
        for (int which = 0; which < 2; which++) {
            double[][] x = which == 0 ? u : v;
            double[][] x1 = which == 0 ? u1 : v1;
            for (int i = 0; i < x.length; i++) {
                for (int a = 0; a < r; a++) {
                    double saved = x[i][a];
                    x[i][a] = saved + h;
                    double plus = Dense.loss(m, u, v);
                    x[i][a] = saved - h;
                    double minus = Dense.loss(m, u, v);
                    x[i][a] = saved;
                    double fd = (plus - minus) / (2 * h);
                    double engineGradient = (saved - x1[i][a]) / eta;
                    maxGradient = Math.max(maxGradient, Math.abs(fd));
                    maxError = Math.max(maxError, Math.abs(fd - engineGradient));
                }
            }
        }
        // central differences err by O(h²·f''') ≈ 1e-12 plus rounding ε·f/h ≈ 1e-10; the gradient recovered from
        // one step errs by ε·|x|/η ≈ 1e-13: 1e-7 relative leaves a wide margin and still fails on any wrong term
        assertTrue(maxError <= 1e-7 * maxGradient, "gradient error " + maxError + " vs scale " + maxGradient);
    }

    @Test
    void lossIdentityAndRelativeErrorAgreeWithExactResidual() {
        double[][] m = KnownMatrices.gaussian(30, 20, 1.0, 31);
        double[][] u = KnownMatrices.gaussian(30, 4, 0.4, 32);
        double[][] v = KnownMatrices.gaussian(20, 4, 0.4, 33);
        @SuppressWarnings("unchecked")
        List<IterationRecord> records = (List<IterationRecord>) run(m, u, v, 0.01, 1, 1)[2];
        double exact = Dense.loss(m, u, v);
        double normM = KnownMatrices.frobenius(m);
        // the identity cancels terms of size ‖M‖²: its error is a few units of ε·‖M‖²
        assertEquals(exact, records.get(0).loss(), 1e-13 * normM * normM);
        // ‖UVᵀ − M‖/‖M‖ ≈ 1 here, so the loss's 1e-13·‖M‖² moves it by ~1e-13
        assertEquals(Math.sqrt(2 * exact) / normM, records.get(0).relativeError(), 1e-12);
        double[][] d = Dense.imbalance(u, v);
        assertEquals(KnownMatrices.frobenius(d), records.get(0).balance(),
                1e-13 * KnownMatrices.frobenius(Dense.multiply(Dense.transpose(u), u)));
    }

    @Test
    void oneStepChangeOfImbalanceIsExactlySecondOrder() {
        int d1 = 12, d2 = 10, r = 3;
        double[][] m = KnownMatrices.gaussian(d1, d2, 1.0, 41);
        double[][] u = KnownMatrices.gaussian(d1, r, 0.5, 42);
        double[][] v = KnownMatrices.gaussian(d2, r, 0.5, 43);
        double eta = 0.05;
        Object[] engine = run(m, u, v, eta, 1, 1);
        double[][] measured = Dense.addScaled(Dense.imbalance((double[][]) engine[0], (double[][]) engine[1]), -1.0,
                Dense.imbalance(u, v));
        // Δ(UᵀU − VᵀV) = η²(VᵀRᵀRV − UᵀRRᵀU): no first-order term
        double[][] rm = Dense.residual(m, u, v);
        double[][] rv = Dense.multiply(rm, v);
        double[][] rtu = Dense.multiply(Dense.transpose(rm), u);
        double[][] predicted = Dense.addScaled(Dense.multiply(Dense.transpose(rv), rv), -1.0,
                Dense.multiply(Dense.transpose(rtu), rtu));
        for (double[] row : predicted) {
            for (int j = 0; j < row.length; j++) {
                row[j] *= eta * eta;
            }
        }
        double error = KnownMatrices.frobenius(Dense.addScaled(measured, -1.0, predicted));
        // Rounding, worst case (Higham §3.1, γ_n = n·u/(1 − n·u)): a Gram matrix XᵀX of n rows errs by at most
        // γ_n·‖X‖²_F in Frobenius norm, and "measured" adds four of them; the engine's U₁ = U₀ − η(U₀VᵀV − MV) errs
        // entrywise by γ_{d2+r+2}(|U₀| + η(|U₀||V|² + |M||V|)), which moves UᵀU by 2‖U₁‖·‖δU₁‖ (V alike); the
        // prediction's own products of R (d2 + r terms) err by γ_{d1+d2+r} of their magnitude η²‖R‖²(‖U‖² + ‖V‖²).
        double u1 = KnownMatrices.frobenius((double[][]) engine[0]);
        double v1 = KnownMatrices.frobenius((double[][]) engine[1]);
        double nu = KnownMatrices.frobenius(u);
        double nv = KnownMatrices.frobenius(v);
        double nm = KnownMatrices.frobenius(m);
        double grams = gamma(Math.max(d1, d2)) * (u1 * u1 + v1 * v1 + nu * nu + nv * nv);
        double deltaU = gamma(d2 + r + 2) * (nu + eta * (nu * nv * nv + nm * nv));
        double deltaV = gamma(d1 + r + 2) * (nv + eta * (nv * nu * nu + nm * nu));
        double rNorm = KnownMatrices.frobenius(rm);
        double prediction = gamma(d1 + d2 + r) * eta * eta * rNorm * rNorm * (nu * nu + nv * nv);
        double tolerance = grams + 2 * (u1 * deltaU + v1 * deltaV) + prediction;
        // the bound must leave the identity something to check: it is ~1e-13 against a change of order 1
        assertTrue(tolerance < 1e-6 * KnownMatrices.frobenius(predicted), "tolerance " + tolerance);
        assertTrue(error <= tolerance, "identity error " + error + " over the rounding bound " + tolerance
                + " (change " + KnownMatrices.frobenius(predicted) + ")");
    }

    @Test
    void sameSeedAndThreadsGiveIdenticalBits() {
        double[][] m = KnownMatrices.gaussian(50, 37, 1.0, 51);
        for (int threads = 1; threads <= 3; threads++) {
            double[][] first = null;
            for (int repeat = 0; repeat < 3; repeat++) {
                try (DenseMatrix mm = DenseMatrix.of(DType.FLOAT32, m);
                        Result result = Factorizer.builder(mm, 4).threads(threads).seed(7).maxIterations(60)
                                .tolerance(0).build().run()) {
                    double[][] u = result.u().toArray();
                    if (first == null) {
                        first = u;
                    } else {
                        for (int i = 0; i < u.length; i++) {
                            for (int j = 0; j < u[0].length; j++) {
                                assertEquals(Double.doubleToRawLongBits(first[i][j]),
                                        Double.doubleToRawLongBits(u[i][j]), "threads " + threads);
                            }
                        }
                    }
                }
            }
        }
    }

    private static double gamma(int n) {
        double nu = n * 0x1p-53;
        return nu / (1 - nu);
    }
}

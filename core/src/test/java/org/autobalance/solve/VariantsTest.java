package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.schedule.TheorySchedule;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Alternating and regularised GD against textbook implementations and their exact one-step identities (P2). */
class VariantsTest {

    private static double[][][] textbook(Variant variant, double[][] m, double[][] u, double[][] v, double eta) {
        return switch (variant) {
            case Variant.Simultaneous s -> Dense.textbookStep(m, u, v, eta);
            case Variant.Alternating a -> Dense.alternatingStep(m, u, v, eta);
            case Variant.Regularized r -> Dense.regularizedStep(m, u, v, eta, r.lambda());
        };
    }

    @ParameterizedTest
    @CsvSource({"alternating, 7, 5, 2, 1", "alternating, 13, 21, 3, 2", "regularized, 13, 21, 3, 2",
        "regularized:2, 40, 9, 4, 3", "alternating, 6, 1, 1, 2"})
    void iteratesEqualTextbookSteps(String spec, int d1, int d2, int r, int threads) {
        Variant variant = Variant.parse(spec);
        double[][] m = KnownMatrices.gaussian(d1, d2, 1.0, 11);
        double[][] u = KnownMatrices.gaussian(d1, r, 0.3, 12);
        double[][] v = KnownMatrices.gaussian(d2, r, 0.7, 13); // unbalanced, so the regulariser acts
        double eta = 0.02;
        int steps = 25;
        Runs.Run run = Runs.run(m, u, v, variant, new ConstantSchedule(eta), steps, threads, b -> b);
        for (int t = 0; t < steps; t++) {
            double[][][] next = textbook(variant, m, u, v, eta);
            u = next[0];
            v = next[1];
        }
        // different summation orders: a few ulps per step, far below 1e-12 of the largest entry after 25 steps
        assertTrue(Dense.maxAbsDifference(run.u(), u) <= 1e-12 * Dense.maxAbs(u), "U differs: " + spec);
        assertTrue(Dense.maxAbsDifference(run.v(), v) <= 1e-12 * Dense.maxAbs(v), "V differs: " + spec);
    }

    @Test
    void regularizedStepIsTheGradientOfTheRegularizedObjective() {
        int d1 = 9, d2 = 7, r = 3;
        double lambda = 0.5;
        double[][] m = KnownMatrices.gaussian(d1, d2, 1.0, 21);
        double[][] u = KnownMatrices.gaussian(d1, r, 0.3, 22);
        double[][] v = KnownMatrices.gaussian(d2, r, 0.8, 23);
        double eta = 1e-3;
        Runs.Run run = Runs.run(m, u, v, new Variant.Regularized(lambda), new ConstantSchedule(eta), 1);
        double h = 1e-6;
        double maxGradient = 0.0;
        double maxError = 0.0;
        for (int which = 0; which < 2; which++) {
            double[][] x = which == 0 ? u : v;
            double[][] x1 = which == 0 ? run.u() : run.v();
            for (int i = 0; i < x.length; i++) {
                for (int a = 0; a < r; a++) {
                    double saved = x[i][a];
                    x[i][a] = saved + h;
                    double plus = Dense.regularizedLoss(m, u, v, lambda);
                    x[i][a] = saved - h;
                    double minus = Dense.regularizedLoss(m, u, v, lambda);
                    x[i][a] = saved;
                    double engineGradient = (saved - x1[i][a]) / eta;
                    maxGradient = Math.max(maxGradient, Math.abs((plus - minus) / (2 * h)));
                    maxError = Math.max(maxError, Math.abs((plus - minus) / (2 * h) - engineGradient));
                }
            }
        }
        // as for f: truncation O(h²) ≈ 1e-12, rounding ε·f/h ≈ 1e-10, so 1e-7 relative fails only on a wrong term
        assertTrue(maxError <= 1e-7 * maxGradient, "gradient error " + maxError + " vs scale " + maxGradient);
    }

    /**
     * The exact one-step change of D = UᵀU − VᵀV under alternating GD. With G = RV (R = UVᵀ − M), U' = U − ηG,
     * R' = U'Vᵀ − M = R − ηGVᵀ and H = R'ᵀU': U'ᵀR'V = UᵀRV − ηGᵀG − ηUᵀG·VᵀV + η²GᵀG·VᵀV, hence
     * ΔD = −η²(GᵀG + HᵀH + UᵀG·VᵀV + VᵀV·GᵀU) + η³(GᵀG·VᵀV + VᵀV·GᵀG). The first-order terms cancel as for
     * simultaneous GD, but the second-order term differs (it has the cross terms UᵀG·VᵀV).
     */
    static double[][] alternatingChange(double[][] m, double[][] u, double[][] v, double eta) {
        double[][] g = Dense.multiply(Dense.residual(m, u, v), v);
        double[][] u1 = Dense.addScaled(u, -eta, g);
        double[][] h = Dense.multiply(Dense.transpose(Dense.residual(m, u1, v)), u1);
        double[][] gtg = Dense.multiply(Dense.transpose(g), g);
        double[][] vtv = Dense.multiply(Dense.transpose(v), v);
        double[][] utgVtv = Dense.multiply(Dense.multiply(Dense.transpose(u), g), vtv);
        double[][] second = Dense.addScaled(Dense.addScaled(gtg, 1.0, Dense.multiply(Dense.transpose(h), h)), 1.0,
                Dense.addScaled(utgVtv, 1.0, Dense.transpose(utgVtv)));
        double[][] gtgVtv = Dense.multiply(gtg, vtv);
        double[][] third = Dense.addScaled(gtgVtv, 1.0, Dense.transpose(gtgVtv));
        return Dense.addScaled(Dense.addScaled(second, -eta * eta - 1.0, second), eta * eta * eta, third);
    }

    @Test
    void alternatingOneStepChangeOfImbalanceIsExact() {
        int d1 = 12, d2 = 10, r = 3;
        double[][] m = KnownMatrices.gaussian(d1, d2, 1.0, 41);
        double[][] u = KnownMatrices.gaussian(d1, r, 0.5, 42);
        double[][] v = KnownMatrices.gaussian(d2, r, 0.5, 43);
        double eta = 0.05;
        Runs.Run run = Runs.run(m, u, v, Variant.ALTERNATING, new ConstantSchedule(eta), 1);
        double[][] measured = Dense.addScaled(Dense.imbalance(run.u(), run.v()), -1.0, Dense.imbalance(u, v));
        double[][] predicted = alternatingChange(m, u, v, eta);
        // ΔD is a difference of Gram matrices of size ‖U‖²_F ≈ 3: its rounding error is ~1e-15, against
        // ‖ΔD‖ ≈ η²‖G‖² ≈ 1e-2 here; 1e-10 relative is a wide margin that any O(η) or wrong O(η²) term breaks
        double error = KnownMatrices.frobenius(Dense.addScaled(measured, -1.0, predicted));
        assertTrue(error <= 1e-10 * KnownMatrices.frobenius(predicted), "alternating identity error " + error
                + " relative to " + KnownMatrices.frobenius(predicted));
    }

    @Test
    void alternatingChangeHasNoFirstOrderTerm() {
        double[][] m = KnownMatrices.gaussian(12, 10, 1.0, 51);
        double[][] u = KnownMatrices.gaussian(12, 3, 0.5, 52);
        double[][] v = KnownMatrices.gaussian(10, 3, 0.5, 53);
        double eta = 1e-5;
        double[] change = new double[2];
        for (int k = 0; k < 2; k++) {
            double step = eta / (1 << k);
            Runs.Run run = Runs.run(m, u, v, Variant.ALTERNATING, new ConstantSchedule(step), 1);
            change[k] = KnownMatrices.frobenius(Dense.addScaled(Dense.imbalance(run.u(), run.v()), -1.0,
                    Dense.imbalance(u, v)));
        }
        // ΔD(η) = η²A(η) + η³B with A(η) = A₀ + O(η) through H = R'ᵀU' = H₀ − η(VGᵀU + RᵀG) + O(η²), so
        // ΔD(η)/ΔD(η/2) = 4(1 + O(ηK)), K ≈ 2‖R‖_op + 2‖U‖_op‖V‖_op + ‖V‖²_op ≈ 30 for this Gaussian M (‖M‖_op ≈ 6.5);
        // at η = 1e-5 that is 4 ± 1e-3 (at η = 1e-3 the measured ratio is 3.983, 1.7e-2 off). A first-order term would
        // give a ratio near 2. Rounding: ΔD ≈ 1e-8 against errors ≈ 1e-16·‖U‖² in D, 1e-7 relative.
        assertEquals(4.0, change[0] / change[1], 1e-3, "halving eta must quarter the one-step change");
    }

    /**
     * The auto step counts the regulariser's curvature 4λσ₁ (against the fit's 2σ₁): with 0.5/σ₁ unscaled, λ = 2 puts
     * 4λσ₁·η = 4 past the stability limit 2 along the unbalancing direction, and a rank-3 fit diverged or never
     * settled. Scaled by 1/(2λ) it is 1: the run converges to the Eckart–Young optimum (exact rank 3, so ~0) and
     * balanced, as the regulariser intends.
     */
    @ParameterizedTest
    @CsvSource({"regularized:1.5", "regularized:2", "regularized:8"})
    void theAutoStepCountsTheRegulariser(String spec) {
        double[][] m = KnownMatrices.withSpectrum(60, 40, new double[] {3, 2, 1}, 31);
        try (DenseMatrix mm = DenseMatrix.of(DType.FLOAT64, m);
                Result result = Factorizer.builder(mm, 3).variant(Variant.parse(spec)).build().run()) {
            String where = spec + ": " + result.iterations() + " iterations, " + result.stopReason().label()
                    + ", relative error " + result.relativeError() + ", balance " + result.balance();
            assertEquals(StopReason.CONVERGED, result.stopReason(), where);
            // float64's tolerance 1.05e-8 bounds the fit's error by √3·1.05e-8 of ‖M‖; 1e-6 leaves the margin
            assertTrue(result.relativeError() < 1e-6, where);
        }
    }

    @Test
    void stopConditionEndsTheRunAfterTheIterationItHolds() {
        double[][] m = KnownMatrices.gaussian(8, 6, 1.0, 71);
        Runs.Run run = Runs.run(m, KnownMatrices.gaussian(8, 2, 0.3, 72), KnownMatrices.gaussian(6, 2, 0.3, 73),
                Variant.SIMULTANEOUS, new ConstantSchedule(0.01), 100, 1, b -> b.stopWhen(r -> r.iteration() == 6));
        assertEquals(7, run.iterations());
        assertEquals(6, run.last().iteration());
    }

    @Test
    void parsesVariants() {
        assertEquals(Variant.SIMULTANEOUS, Variant.parse("simultaneous"));
        assertEquals(Variant.ALTERNATING, Variant.parse(" alternating "));
        assertEquals(new Variant.Regularized(0.5), Variant.parse("regularized"));
        assertEquals(new Variant.Regularized(2.0), Variant.parse("regularized:2"));
        assertEquals("regularized:0.25", Variant.parse("regularized:0.25").describe());
        assertThrows(IllegalArgumentException.class, () -> Variant.parse("regularized:x"));
        assertThrows(IllegalArgumentException.class, () -> Variant.parse("regularized:-1"));
        assertThrows(IllegalArgumentException.class, () -> Variant.parse("alternating:1"));
        assertThrows(IllegalArgumentException.class, () -> Variant.parse("momentum"));
        // past 2^50 the fit's share of a step rounds away in float64 (1e300 overflowed the gradient at iteration 0)
        assertEquals(0x1p50, Variant.parse("regularized:" + 0x1p50).curvatureScale() / 2);
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> Variant.parse("regularized:1e300"));
        assertTrue(tooLarge.getMessage().startsWith("regulariser weight lambda must be at most 2^50"),
                tooLarge.getMessage());
    }

    @Test
    void theoryScheduleKeepsItsOwnDriftBoundAtHalfEpsilon() {
        TheorySchedule s = (TheorySchedule) StepSchedule.parse("theory:0.01,0.25");
        // c = √(ε/(4r(1+√r)(1+1/(2δ))σ₁)): r = 4, δ = 1/4, σ₁ = 2 gives √(0.01/(16·3·3·2)) = √(0.01/288)
        // = 0.0058925565098878960… (30 digits by hand, mpmath); η₉ = c/σ₁/10^(3/4) = 0.00052393059570122308…; a few
        // roundings of ½ ulp each (square root, division, power): 4 ulps
        assertEquals(0.00589255650988789604, s.scale(2.0, 4), 4 * Math.ulp(0.0059));
        assertEquals(0.005, s.driftBound(2.0, 4), 4 * Math.ulp(0.005));
        StepSchedule resolved = s.resolve(2.0, 4);
        assertEquals(0.000523930595701223087, resolved.eta(9), 4 * Math.ulp(0.00052));
        assertThrows(IllegalArgumentException.class, () -> StepSchedule.parse("theory:0.01,0.6"));
        assertThrows(IllegalArgumentException.class, () -> StepSchedule.parse("theory:0.01"));
    }

    @Test
    void wardKoldaStartsUInTheRangeOfMWithTheDerivedScales() {
        int d1 = 60, d2 = 50, r = 4, k = 8;
        double[] sigma = {1, 0.7, 0.4, 0.2};
        double[][] m = KnownMatrices.withSpectrum(d1, d2, sigma, 61);
        double eta = 9.0 / 16.0; // 9/(4Cσ₁) with C = 4, σ₁ = 1
        try (DenseMatrix mm = DenseMatrix.of(DType.FLOAT64, m);
                Result result = Factorizer.builder(mm, k).schedule(new ConstantSchedule(eta))
                        .initializer(Initializer.parse("ward-kolda")).maxIterations(0).build().run()) {
            double[][] u0 = result.u().toArray();
            double[][] v0 = result.v().toArray();
            // U₀ = MΦ/(√η C σ₁) lies in range(M): projecting onto M's left singular space must change nothing
            double[][] left =
                    KnownMatrices.orthonormalColumns(Dense.multiply(m, KnownMatrices.gaussian(d2, r, 1.0, 62)));
            double[][] projected = Dense.multiply(left, Dense.multiply(Dense.transpose(left), u0));
            assertTrue(Dense.maxAbsDifference(projected, u0) <= 1e-12 * Dense.maxAbs(u0), "U0 not in range(M)");
            // E‖MΦ‖²_F = ‖M‖²_F (Φ_ij ~ N(0,1/k)), so ‖U₀‖²_F ≈ ‖M‖²_F/(η C² σ₁²); ‖V₀‖²_F ≈ η D² σ₁² k (Ψ_ij ~
            // N(0,1/d2)). Both are sums of k·(rank or d2) squared Gaussians: relative spread ≈ √(2/(k·r)) = 0.25 for
            // U, √(2/(k·d2)) = 0.07 for V; ±60 % and ±25 % are over 2 standard deviations and still catch any slip
            // in the powers of η, C, D or σ₁ (each a factor ≥ 1.8 here)
            double normM2 = 1 + 0.49 + 0.16 + 0.04;
            double expectedU = normM2 / (eta * 16);
            double expectedV = eta * (16.0 / 81) * k;
            double nu = Math.pow(KnownMatrices.frobenius(u0), 2);
            double nv = Math.pow(KnownMatrices.frobenius(v0), 2);
            assertTrue(Math.abs(nu / expectedU - 1) < 0.6, "|U0|^2 = " + nu + ", expected about " + expectedU);
            assertTrue(Math.abs(nv / expectedV - 1) < 0.25, "|V0|^2 = " + nv + ", expected about " + expectedV);
        }
    }
}

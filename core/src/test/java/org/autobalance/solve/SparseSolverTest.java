package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.Trajectory;
import org.autobalance.parallel.IterationEngine;
import org.autobalance.parallel.ParallelPass;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.ChildJvm;
import org.autobalance.testing.Dense;
import org.autobalance.testing.RandomSparse;
import org.autobalance.testing.ResidualOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The solver on a sparse M: the full loss against the dense engine, the observed-entries loss against finite
 * differences, its exact one-step balance identity, recovery of a low-rank matrix from 10 % of its entries, and
 * bit-for-bit reproducibility per thread count. All float64.
 */
class SparseSolverTest {
    private static final double U64 = 0x1p-53;

    /**
     * T steps of the full loss on a sparse M equal T steps of the dense engine on the same matrix densified, within
     * a bound derived from the rounding of one step propagated through the rest.
     *
     * <p>Per step the two engines differ only in how MV and MᵀU are summed (the sparse pass skips the zeros, the
     * dense one adds them in another order): each gradient entry differs by at most 2(d + 2)·u·(‖M‖_F‖V‖_F +
     * ‖U‖_F‖V‖²_F) (the summation bound of its terms, d the longer side), so the iterates by η times that, in each of
     * the d·r entries at most. A difference δ in the iterate grows by at most (1 + η·L) per later step, L a bound on
     * the Lipschitz constant of the gradient on the iterates: ‖M‖_F + 3(‖U‖²_F + ‖V‖²_F) (the norm of the Hessian of
     * f). Summing the per-step differences with their growth gives the bound; an error in the sparse pass (a wrong
     * index, a dropped entry) changes the iterates by O(1) relative and fails it by orders of magnitude. The
     * alternating variant makes two passes per iteration (twice the per-step difference); the regularised one adds
     * λ·3(‖U‖²_F + ‖V‖²_F) to the Lipschitz bound (the Hessian of its balance term).
     */
    @ParameterizedTest
    @CsvSource({"UNIFORM, 31, 23, 3, 1, simultaneous", "POWER_LAW, 47, 61, 5, 2, simultaneous",
        "EMPTY_ROWS_AND_COLUMNS, 29, 31, 4, 3, simultaneous", "DENSE_ROW, 9, 80, 2, 2, simultaneous",
        "UNIFORM, 31, 23, 3, 2, alternating", "POWER_LAW, 47, 61, 5, 1, regularized:0.5"})
    void fullLossIteratesEqualTheDenseEngine(RandomSparse.Pattern pattern, int d1, int d2, int r, int threads,
            String variantSpec) {
        assertFullLossEqualsDense(pattern, d1, d2, r, threads, variantSpec, 0.05);
    }

    /**
     * The same where the sparse products run the panel layout in several panels (the suite's shapes above all fit in
     * one): in a child JVM with {@code -Dautobalance.kernel.sparsePanelBytes=1}, which the floor raises to 64 KiB,
     * 1 024 rows of a float64 r = 4 factor (a row padded to one 64-byte line), so the 2 500 columns of M are 3 panels
     * for the two gather products (2 threads) and 5 for the aligned form's fused pass (1 thread: 512 rows of V and
     * of MᵀU a panel).
     * η = 10⁻⁵ keeps η·L (‖M‖_F ≈ 316, ‖V‖²_F ≈ 900) near 0.03, so the bound stays ~10⁻¹⁰ while a dropped or misplaced
     * entry moves an iterate by η·|Mᵢⱼ|·|vⱼ| ~ 10⁻⁶.
     */
    @Test
    void fullLossIteratesEqualTheDenseEngineInManyPanels() throws Exception {
        List<String> flags = new ArrayList<>(ChildJvm.simdProperties());
        flags.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Dautobalance.kernel.sparsePanelBytes=1"));
        String out = ChildJvm.run(ChildJvm.command(flags, ManyPanels.class), Duration.ofMinutes(5));
        assertTrue(out.contains("panel bytes 65536, panels of M 3, layout true; aligned panels 5, layout true"),
                out);
    }

    /** {@link #fullLossIteratesEqualTheDenseEngineInManyPanels}' child. */
    static final class ManyPanels {
        private ManyPanels() {
        }

        public static void main(String[] args) {
            int d1 = 200;
            int d2 = 2_500;
            int r = 4;
            long rowBytes = (long) DenseMatrix.strideOf(DType.FLOAT64, r) * DType.FLOAT64.bytes();
            boolean layout = KernelProvider.sparseKernels().panelled(DType.FLOAT64, r)
                    && SparsePanels.paysBoth(d1, d2, (long) (0.2 * d1 * d2), DType.FLOAT64, rowBytes);
            boolean aligned = KernelProvider.sparseKernels().panelled(DType.FLOAT64, r)
                    && SparsePanels.paysAligned(d1, d2, (long) (0.2 * d1 * d2), DType.FLOAT64, rowBytes, 1);
            System.out.println("panel bytes " + SparsePanels.PANEL_BYTES + ", panels of M "
                    + SparsePanels.panelCount(d2, rowBytes) + ", layout " + layout + "; aligned panels "
                    + SparsePanels.alignedPanelCount(d2, rowBytes) + ", layout " + aligned);
            assertFullLossEqualsDense(RandomSparse.Pattern.UNIFORM, d1, d2, r, 2, "simultaneous", 1e-5);
            assertFullLossEqualsDense(RandomSparse.Pattern.UNIFORM, d1, d2, r, 1, "simultaneous", 1e-5);
        }
    }

    static void assertFullLossEqualsDense(RandomSparse.Pattern pattern, int d1, int d2, int r, int threads,
            String variantSpec, double eta) {
        Variant variant = Variant.parse(variantSpec);
        double lambda = variant instanceof Variant.Regularized(double l) ? l : 0;
        int passes = variant.alternating() ? 2 : 1;
        RandomSparse.Sample sample = RandomSparse.sample(pattern, d1, d2, 41);
        double[][] u0 = KnownMatrices.gaussian(d1, r, 0.3, 42);
        double[][] v0 = KnownMatrices.gaussian(d2, r, 0.3, 43);
        int steps = 20;
        Runs.Run dense = Runs.run(sample.values(), u0, v0, variant, new ConstantSchedule(eta), steps, threads,
                b -> b);
        Trajectory trajectory = new Trajectory();
        double[][] su;
        double[][] sv;
        try (SparseMatrix m = sample.matrix(DType.FLOAT64);
                DenseMatrix u = DenseMatrix.of(DType.FLOAT64, u0);
                DenseMatrix v = DenseMatrix.of(DType.FLOAT64, v0);
                Result result = Factorizer.builder(m, r).schedule(new ConstantSchedule(eta)).variant(variant)
                        .initializer(Initializer.given(u, v)).maxIterations(steps).tolerance(0).threads(threads)
                        .listener(trajectory).build().run()) {
            su = result.u().toArray();
            sv = result.v().toArray();
            assertEquals("full", result.objective());
        }
        double normM = Math.sqrt(squared(sample.values()));
        double bound = 0;
        int d = Math.max(d1, d2);
        for (IterationRecord rec : dense.records()) {
            double nu = rec.normU();
            double nv = rec.normV();
            double growth = Math.pow(1 + eta * (normM + 3 * (1 + lambda) * (nu * nu + nv * nv)), passes);
            double perStep = passes * eta * 2.0 * (d + 2) * U64 * (normM * Math.max(nu, nv) + Math.max(nu, nv)
                    * (1 + lambda) * (nu * nu + nv * nv)) * Math.sqrt((double) d * r);
            bound = bound * growth + perStep;
        }
        assertTrue(Dense.maxAbsDifference(su, dense.u()) <= bound, "U differs from the dense engine by "
                + Dense.maxAbsDifference(su, dense.u()) + " > " + bound);
        assertTrue(Dense.maxAbsDifference(sv, dense.v()) <= bound, "V differs from the dense engine by "
                + Dense.maxAbsDifference(sv, dense.v()) + " > " + bound);
        // the records agree too: same loss (identity) and balance up to the same order of error
        List<IterationRecord> sparseRecords = trajectory.records();
        for (int t = 0; t < steps; t++) {
            IterationRecord a = sparseRecords.get(t);
            IterationRecord b = dense.records().get(t);
            assertEquals(b.loss(), a.loss(), 1e-9 * normM * normM, "loss at t = " + t);
            assertEquals(b.balance(), a.balance(), 1e-9 * (b.normU() * b.normU() + b.normV() * b.normV()));
        }
        // the sample must be one where the zeros matter: otherwise the full loss would equal the observed one
        assertTrue(sample.nonZeros() < (long) d1 * d2);
    }

    /** ½Σ_Ω(uᵢ·vⱼ − Mᵢⱼ)² + λ/2(‖U‖² + ‖V‖²) in double, and Σ of the absolute values of its terms (for bounds). */
    private static double[] observedLoss(RandomSparse.Sample s, double[][] u, double[][] v, double lambda) {
        double f = 0;
        double mag = 0;
        for (int i = 0; i < s.rows(); i++) {
            for (int j = 0; j < s.cols(); j++) {
                if (s.stored()[i][j]) {
                    double e = -s.values()[i][j];
                    double em = Math.abs(e);
                    for (int a = 0; a < u[0].length; a++) {
                        e += u[i][a] * v[j][a];
                        em += Math.abs(u[i][a] * v[j][a]);
                    }
                    f += 0.5 * e * e;
                    mag += 0.5 * em * em;
                }
            }
        }
        double n = lambda / 2 * (squared(u) + squared(v));
        return new double[] {f + n, mag + n};
    }

    /**
     * The gradients of the observed pass equal central finite differences of the observed loss. Along one coordinate
     * the loss is a quadratic polynomial (uᵢ·vⱼ is linear in each entry), so central differences have no truncation
     * error: what remains is the rounding of the two loss evaluations, at most 2·γ_n·F/(2h) with F the sum of the
     * absolute values of the loss's terms (n = r + 2 terms per residual, squared: (2r + 6)·u relative).
     */
    @ParameterizedTest
    @CsvSource({"0.0, 1", "0.3, 2"})
    void observedGradientsMatchFiniteDifferences(double lambda, int threads) {
        RandomSparse.Sample s = RandomSparse.sample(RandomSparse.Pattern.POWER_LAW, 17, 13, 51);
        int r = 3;
        double[][] u = KnownMatrices.gaussian(17, r, 0.7, 52);
        double[][] v = KnownMatrices.gaussian(13, r, 0.7, 53);
        double[][] gu = new double[17][r];
        double[][] gv = new double[13][r];
        try (SparseMatrix m = s.matrix(DType.FLOAT64);
                DenseMatrix uf = DenseMatrix.of(DType.FLOAT64, u);
                DenseMatrix vf = DenseMatrix.of(DType.FLOAT64, v);
                ParallelPass pass = new ParallelPass(threads);
                IterationEngine engine = new IterationEngine(KernelProvider.kernels(), KernelProvider.sparseKernels(),
                        pass, m, true, null, uf, vf)) {
            double squares = engine.fusedPass();
            assertEquals(observedLoss(s, u, v, 0)[0], squares / 2, 1e-12 * observedLoss(s, u, v, 0)[1]);
            // the pass leaves P = −(data gradient); the objective adds λ·X
            for (int i = 0; i < 17; i++) {
                for (int a = 0; a < r; a++) {
                    gu[i][a] = lambda * u[i][a] - engine.mv().get(i, a);
                }
            }
            for (int j = 0; j < 13; j++) {
                for (int a = 0; a < r; a++) {
                    gv[j][a] = lambda * v[j][a] - engine.mtu().get(j, a);
                }
            }
        }
        double h = 1e-3;
        double tol = 2 * (2 * r + 6) * U64 * observedLoss(s, u, v, lambda)[1] / (2 * h);
        int checked = 0;
        for (int which = 0; which < 2; which++) {
            double[][] x = which == 0 ? u : v;
            double[][] g = which == 0 ? gu : gv;
            for (int i = 0; i < x.length; i++) {
                for (int a = 0; a < r; a++) {
                    double saved = x[i][a];
                    x[i][a] = saved + h;
                    double plus = observedLoss(s, u, v, lambda)[0];
                    x[i][a] = saved - h;
                    double minus = observedLoss(s, u, v, lambda)[0];
                    x[i][a] = saved;
                    double fd = (plus - minus) / (2 * h);
                    // the pass's own rounding: each gradient entry sums at most d terms, ≪ the FD rounding
                    assertEquals(fd, g[i][a], tol + 1e-13 * Math.abs(fd), (which == 0 ? "dU" : "dV") + "[" + i
                            + "," + a + "]");
                    checked += fd != 0 ? 1 : 0;
                }
            }
        }
        assertTrue(checked > 40, "too few non-zero gradient entries checked: " + checked);
    }

    /**
     * The paper's balance identity holds for the observed loss with λ = 0 exactly as for the full loss: with
     * G_U = R_ΩV, G_V = R_ΩᵀU, UᵀG_U = (G_VᵀV)ᵀ, so the first-order terms of Δ(UᵀU − VᵀV) cancel and one simultaneous
     * step changes the imbalance by exactly η²(G_UᵀG_U − G_VᵀG_V).
     *
     * <p>Bound: U₁ = U₀ − ηG_U is computed in float64 with each entry off by at most u·(|U₀| + η|G|) plus the error
     * of G (≤ (n + r + 4)·u·Σ|terms|, bounded with absolute values); D is formed here in double from U₁ exactly as
     * stored, with the summation bound (d + 2)·u·Σ|terms|. The η² term is made ≥ 10⁴ times that bound.
     */
    @Test
    void observedStepChangesTheImbalanceByExactlyEtaSquaredTerms() {
        int d1 = 23;
        int d2 = 19;
        int r = 3;
        RandomSparse.Sample s = RandomSparse.sample(RandomSparse.Pattern.UNIFORM, d1, d2, 61);
        double[][] u0 = KnownMatrices.gaussian(d1, r, 1.0, 62);
        double[][] v0 = KnownMatrices.gaussian(d2, r, 1.0, 63);
        double[][] gu = new double[d1][r];
        double[][] gv = new double[d2][r];
        double[][] gua = new double[d1][r];
        double[][] gva = new double[d2][r];
        for (int i = 0; i < d1; i++) {
            for (int j = 0; j < d2; j++) {
                if (s.stored()[i][j]) {
                    double e = -s.values()[i][j];
                    double ea = Math.abs(e);
                    for (int a = 0; a < r; a++) {
                        e += u0[i][a] * v0[j][a];
                        ea += Math.abs(u0[i][a] * v0[j][a]);
                    }
                    for (int a = 0; a < r; a++) {
                        gu[i][a] += e * v0[j][a];
                        gv[j][a] += e * u0[i][a];
                        gua[i][a] += ea * Math.abs(v0[j][a]);
                        gva[j][a] += ea * Math.abs(u0[i][a]);
                    }
                }
            }
        }
        double eta = 0.05;
        double[][] u1;
        double[][] v1;
        try (SparseMatrix m = s.matrix(DType.FLOAT64);
                DenseMatrix u = DenseMatrix.of(DType.FLOAT64, u0);
                DenseMatrix v = DenseMatrix.of(DType.FLOAT64, v0);
                Result result = Factorizer.builder(m, r).objective(Objective.observed(0))
                        .schedule(new ConstantSchedule(eta)).initializer(Initializer.given(u, v)).maxIterations(1)
                        .tolerance(0).build().run()) {
            u1 = result.u().toArray();
            v1 = result.v().toArray();
        }
        int n = Math.max(d1, d2) + r + 4;
        double[][] errU = new double[d1][r];
        double[][] errV = new double[d2][r];
        for (int i = 0; i < d1; i++) {
            for (int a = 0; a < r; a++) {
                errU[i][a] = U64 * (Math.abs(u0[i][a]) + eta * gua[i][a]) + eta * n * U64 * gua[i][a];
            }
        }
        for (int j = 0; j < d2; j++) {
            for (int a = 0; a < r; a++) {
                errV[j][a] = U64 * (Math.abs(v0[j][a]) + eta * gva[j][a]) + eta * n * U64 * gva[j][a];
            }
        }
        double minSignal = Double.MAX_VALUE;
        for (int a = 0; a < r; a++) {
            for (int b = 0; b < r; b++) {
                double predicted = eta * eta * (gram(gu, a, b) - gram(gv, a, b));
                double actual = (gram(u1, a, b) - gram(v1, a, b)) - (gram(u0, a, b) - gram(v0, a, b));
                double tol = propagated(u1, errU, a, b) + propagated(v1, errV, a, b)
                        + (Math.max(d1, d2) + 2) * U64 * 2 * (absGram(u1, a, b) + absGram(v1, a, b)
                                + absGram(u0, a, b) + absGram(v0, a, b));
                assertEquals(predicted, actual, tol, "imbalance change [" + a + "," + b + "]");
                minSignal = Math.min(minSignal, Math.abs(predicted) / tol);
            }
        }
        assertTrue(minSignal >= 1e4, "the eta^2 term must dominate the rounding bound (ratio " + minSignal + ")");
    }

    /**
     * At a near-exact fit the identity behind a sparse M's final loss when the exact residual is not formed
     * ({@link ExactLoss#NEVER}), ½(‖M‖² − 2⟨U, MV⟩ + ⟨UᵀU, VᵀV⟩), can come out below 0: its error is a few u·‖M‖²
     * (each of the three terms is ≤ ‖M‖² there, each rounded in a sum of a few hundred terms here, k ≤ 10³ roundings
     * at most), while the true loss is smaller. The summary then reports a relative error of 0, as the records do,
     * not the NaN of √(negative): so it is finite and at most √(2k·u·‖M‖²) / ‖M‖ = √(2k·u) ≈ 5·10⁻⁷ in float64. M is
     * an exactly rank-1 matrix of 0 and ±1 (entries exact), r = 1. With the default setting the same runs report
     * the exact residual: never below 0, and equal to the residual summed here from the returned factors.
     */
    @Test
    void aNearExactFitOfASparseMReportsAFiniteRelativeError() {
        int negative = 0;
        for (int seed = 1; seed <= 12; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            double[] x = new double[20];
            double[] y = new double[15];
            for (int i = 0; i < x.length; i++) {
                x[i] = i == 0 ? 1 : rnd.nextInt(3) - 1;
            }
            for (int j = 0; j < y.length; j++) {
                y[j] = j == 0 ? 1 : rnd.nextInt(3) - 1;
            }
            double[][] m = new double[x.length][y.length];
            for (int i = 0; i < x.length; i++) {
                for (int j = 0; j < y.length; j++) {
                    m[i][j] = x[i] * y[j];
                }
            }
            try (SparseMatrix sm = SparseMatrix.of(DType.FLOAT64, m);
                    Result r = Factorizer.builder(sm, 1).schedule(new ConstantSchedule(0.02)).tolerance(0)
                            .maxIterations(3000).seed(seed).exactFinalLoss(ExactLoss.NEVER).build().run();
                    Result exact = Factorizer.builder(sm, 1).schedule(new ConstantSchedule(0.02)).tolerance(0)
                            .maxIterations(3000).seed(seed).build().run()) {
                double[][] fit = Dense.multiply(r.u().toArray(), Dense.transpose(r.v().toArray()));
                // the premise: the factors fit M to rounding (entries of magnitude ≤ 1)
                assertTrue(Dense.maxAbsDifference(fit, m) < 1e-12, "seed " + seed);
                assertTrue(!r.lossExact() && exact.lossExact());
                negative += r.loss() < 0 ? 1 : 0;
                assertTrue(r.relativeError() >= 0 && r.relativeError() <= 5e-7, "seed " + seed + ": "
                        + r.relativeError() + " at loss " + r.loss());
                // the exact loss of the same factors (the setting does not change the iterates), against the squares
                // summed in double within the derived bound
                assertEquals(0.0, Dense.maxAbsDifference(fit, Dense.multiply(exact.u().toArray(),
                        Dense.transpose(exact.v().toArray()))));
                ResidualOracle oracle = ResidualOracle.of(m, exact.u().toArray(), exact.v().toArray(), U64);
                assertTrue(exact.loss() >= 0, "seed " + seed);
                assertEquals(oracle.sum() / 2, exact.loss(), oracle.tolerance() / 2, "seed " + seed);
            }
        }
        // the premise: the identity did come out below 0 in some of the runs (before the clamp, their NaN failed)
        assertTrue(negative > 0, "no run had a negative identity loss");
    }

    /**
     * A cancel or an interrupt during the exact final loss of a sparse M (O(d1·d2·r): minutes on a large M, and Ctrl-C
     * waited for its end — a new user's finding) ends that pass: the result holds the same factors, with the identity's
     * loss, bit for bit as {@link ExactLoss#NEVER} gives it. The listeners are told before the pass, with the entries
     * it forms; here one of them cancels (or interrupts), as Ctrl-C would while it runs.
     */
    @ParameterizedTest
    @CsvSource({"cancel", "interrupt"})
    void aCancelDuringTheExactFinalLossGivesTheIdentitysLoss(String how) {
        double[][] m = KnownMatrices.withSpectrum(24, 18, new double[] {3, 2, 1, 0.5}, 43);
        CancelToken token = new CancelToken();
        long[] told = {-1};
        IterationListener stopping = new IterationListener() {
            @Override
            public void onIteration(IterationRecord record) {
            }

            @Override
            public void onExactLoss(long entries) {
                told[0] = entries;
                if (how.equals("cancel")) {
                    token.cancel();
                } else {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (SparseMatrix sm = SparseMatrix.of(DType.FLOAT64, m);
                Result identity = Factorizer.builder(sm, 2).maxIterations(20).exactFinalLoss(ExactLoss.NEVER)
                        .threads(2).build().run();
                Result stopped = Factorizer.builder(sm, 2).maxIterations(20).exactFinalLoss(ExactLoss.ALWAYS)
                        .cancelToken(token).listener(stopping).threads(2).build().run()) {
            assertEquals(how.equals("interrupt"), Thread.interrupted(), "the interrupt status is kept");
            assertEquals(24 * 18, told[0]);
            assertEquals(StopReason.MAX_ITERATIONS, stopped.stopReason(), "the iterations ended by their limit");
            assertFalse(stopped.lossExact());
            assertEquals(identity.loss(), stopped.loss());
            assertArrayEquals(identity.u().toArray(), stopped.u().toArray());
        }
        // the premise: without a stop the same setting forms the exact loss
        try (SparseMatrix sm = SparseMatrix.of(DType.FLOAT64, m);
                Result exact = Factorizer.builder(sm, 2).maxIterations(20).exactFinalLoss(ExactLoss.ALWAYS)
                        .listener(new Trajectory()).threads(2).build().run()) {
            assertTrue(exact.lossExact());
        }
    }

    /**
     * A run cancelled in its iterations forms the exact final loss of a small M (milliseconds) and not that of a large
     * one, whose minutes a second Ctrl-C could not end (the token is cancelled already): the identity's loss then, and
     * the listeners are not told of a pass that does not run. The large M: 5000 × 4000 (above {@link ExactLoss#SMALL}
     * entries) with 2000 stored.
     */
    @ParameterizedTest
    @CsvSource({"24, 18, true", "5000, 4000, false"})
    void aCancelledRunFormsTheExactFinalLossOfASmallMOnly(int d1, int d2, boolean exact) {
        assertEquals(exact, (long) d1 * d2 <= ExactLoss.SMALL, "the premise");
        CancelToken token = new CancelToken();
        boolean[] told = {false};
        IterationListener cancelling = new IterationListener() {
            @Override
            public void onIteration(IterationRecord record) {
                if (record.iteration() == 3) {
                    token.cancel();
                }
            }

            @Override
            public void onExactLoss(long entries) {
                told[0] = true;
            }
        };
        SplittableRandom rnd = new SplittableRandom(7);
        try (SparseMatrix.Builder b = SparseMatrix.builder(d1, d2, 2000)) {
            for (int k = 0; k < Math.min(2000, d1 * d2 / 4); k++) {
                b.add(rnd.nextInt(d1), rnd.nextInt(d2), rnd.nextDouble() - 0.5);
            }
            try (SparseMatrix sm = b.build(DType.FLOAT64);
                    Result r = Factorizer.builder(sm, 2).maxIterations(20).exactFinalLoss(ExactLoss.ALWAYS)
                            .cancelToken(token).listener(cancelling).threads(2).build().run()) {
                assertEquals(StopReason.CANCELLED, r.stopReason());
                assertEquals(4, r.iterations());
                assertEquals(exact, r.lossExact());
                assertFalse(told[0], "no exact pass to announce: a small one is milliseconds");
            }
        }
    }

    /**
     * The final metrics of a sparse run against the factors it returns, computed here entry by entry: for the full
     * loss the relative error counts the zeros (the engine forms the exact residual, or with {@link ExactLoss#NEVER}
     * takes it from the identity ‖M‖² − 2⟨M, UVᵀ⟩ + ⟨UᵀU, VᵀV⟩), for the observed loss it is over Ω, and the held-out
     * RMSE over the held-out entries. After 30 steps the factors fit M partly (relative error ≥ 0.1), so the
     * identity's cancellation costs at most ~10³·u·‖M‖² / (0.1‖M‖)²: 10⁻¹⁰ relative bounds it, and the entrywise sums
     * agree to ~10⁻¹³.
     */
    @ParameterizedTest
    @CsvSource({"full, auto", "full, never", "observed, auto", "observed, never"})
    void theFinalMetricsAreThoseOfTheReturnedFactors(String objective, String exactLoss) {
        double[][] m = KnownMatrices.withSpectrum(24, 18, new double[] {3, 2, 1, 0.5}, 41);
        double[][] held = new double[24][18];
        for (int i = 0; i < 24; i++) {
            for (int j = (i % 4); j < 18; j += 4) {
                held[i][j] = m[i][j]; // a quarter held out (not stored in M)
                m[i][j] = 0;
            }
        }
        boolean observed = objective.equals("observed");
        try (SparseMatrix sm = SparseMatrix.of(DType.FLOAT64, m);
                SparseMatrix hm = SparseMatrix.of(DType.FLOAT64, held);
                Result r = Factorizer.builder(sm, 3).objective(Objective.parse(objective)).heldOut(observed ? hm : null)
                        .schedule(new ConstantSchedule(0.05)).tolerance(0).maxIterations(30)
                        .exactFinalLoss(ExactLoss.parse(exactLoss)).build().run()) {
            double[][] x = Dense.multiply(r.u().toArray(), Dense.transpose(r.v().toArray()));
            double fit = 0;
            double norm = 0;
            double heldOut = 0;
            int heldCount = 0;
            for (int i = 0; i < 24; i++) {
                for (int j = 0; j < 18; j++) {
                    if (held[i][j] != 0) {
                        heldOut += (x[i][j] - held[i][j]) * (x[i][j] - held[i][j]);
                        heldCount++;
                    }
                    if (!observed || m[i][j] != 0) {
                        fit += (x[i][j] - m[i][j]) * (x[i][j] - m[i][j]);
                        norm += m[i][j] * m[i][j];
                    }
                }
            }
            double relative = Math.sqrt(fit / norm);
            assertTrue(relative > 0.1, "the premise: a partial fit, " + relative);
            assertEquals(relative, r.relativeError(), 1e-10 * relative);
            assertEquals(fit / 2, r.loss(), 1e-10 * fit);
            // the observed loss's summary comes from its residuals whatever the setting; the full loss's from the
            // identity only when told (auto: this M is small, so exact)
            boolean exact = observed || exactLoss.equals("auto");
            assertEquals(exact, r.lossExact());
            assertEquals(exact, r.summary().get("loss_exact"));
            if (observed) {
                double rmse = Math.sqrt(heldOut / heldCount);
                assertEquals(rmse, r.heldOutRmse(), 1e-12 * rmse);
            } else {
                assertTrue(Double.isNaN(r.heldOutRmse()));
            }
        }
    }

    /**
     * One step on the observed-entries loss with weight decay, ½Σ_Ω (UVᵀ − M)² + (λ/2)(‖U‖² + ‖V‖²), against the
     * step written out here: E = P_Ω(U₀V₀ᵀ − M), U₁ = U₀ − η(E·V₀ + λU₀), V₁ = V₀ − η(Eᵀ·U₀ + λV₀). Both sides sum
     * at most 18 products of numbers below 4 per entry, so they agree to ~10⁻¹⁴; 10⁻¹² bounds it.
     */
    @Test
    void oneObservedStepWithWeightDecayIsTheTextbookStep() {
        double lambda = 0.3;
        double eta = 0.1;
        double[][] m = KnownMatrices.gaussian(15, 12, 1, 51);
        for (int i = 0; i < 15; i++) {
            for (int j = (i % 2); j < 12; j += 2) {
                m[i][j] = 0; // half not observed
            }
        }
        double[][] u0 = KnownMatrices.gaussian(15, 2, 0.5, 52);
        double[][] v0 = KnownMatrices.gaussian(12, 2, 0.5, 53);
        double[][] e = Dense.multiply(u0, Dense.transpose(v0));
        for (int i = 0; i < 15; i++) {
            for (int j = 0; j < 12; j++) {
                e[i][j] = m[i][j] == 0 ? 0 : e[i][j] - m[i][j];
            }
        }
        double[][] u1 = Dense.addScaled(u0, -eta, Dense.addScaled(Dense.multiply(e, v0), lambda, u0));
        double[][] v1 = Dense.addScaled(v0, -eta, Dense.addScaled(Dense.multiply(Dense.transpose(e), u0), lambda, v0));
        try (SparseMatrix sm = SparseMatrix.of(DType.FLOAT64, m); DenseMatrix uu = DenseMatrix.of(DType.FLOAT64, u0);
                DenseMatrix vv = DenseMatrix.of(DType.FLOAT64, v0);
                Result r = Factorizer.builder(sm, 2).objective(Objective.observed(lambda))
                        .initializer(Initializer.given(uu, vv)).schedule(new ConstantSchedule(eta)).tolerance(0)
                        .maxIterations(1).build().run()) {
            assertEquals("observed:0.3", r.objective());
            double[][] gotU = r.u().toArray();
            double[][] gotV = r.v().toArray();
            for (int i = 0; i < 15; i++) {
                for (int a = 0; a < 2; a++) {
                    assertEquals(u1[i][a], gotU[i][a], 1e-12, "U[" + i + "][" + a + "]");
                }
            }
            for (int j = 0; j < 12; j++) {
                for (int a = 0; a < 2; a++) {
                    assertEquals(v1[j][a], gotV[j][a], 1e-12, "V[" + j + "][" + a + "]");
                }
            }
        }
    }

    private static double squared(double[][] x) {
        double f = KnownMatrices.frobenius(x);
        return f * f;
    }

    private static double gram(double[][] x, int a, int b) {
        double s = 0;
        for (double[] row : x) {
            s += row[a] * row[b];
        }
        return s;
    }

    private static double absGram(double[][] x, int a, int b) {
        double s = 0;
        for (double[] row : x) {
            s += Math.abs(row[a] * row[b]);
        }
        return s;
    }

    private static double propagated(double[][] x, double[][] err, int a, int b) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += Math.abs(x[i][a]) * err[i][b] + err[i][a] * Math.abs(x[i][b]) + err[i][a] * err[i][b];
        }
        return s;
    }

    /**
     * Matrix completion: an exactly rank-3 200 × 150 matrix from a random 10 % of its entries, gradient descent on
     * the observed loss from the default small start, recovers every entry to a relative error below 10⁻⁶ (float64),
     * and the held-out RMSE in the records falls with it. 3000 observations against the (d1 + d2 − r)·r = 1041
     * degrees of freedom: enough for uniform sampling of an incoherent (Gaussian-factor) matrix.
     */
    @Test
    void recoversAnExactlyLowRankMatrixFromTenPercentOfItsEntries() {
        int d1 = 200;
        int d2 = 150;
        int r = 3;
        double[][] truth = Dense.multiply(KnownMatrices.gaussian(d1, r, 1.0, 71),
                Dense.transpose(KnownMatrices.gaussian(d2, r, 1.0, 72)));
        SplittableRandom random = new SplittableRandom(73);
        Trajectory trajectory = new Trajectory();
        double[][] u;
        double[][] v;
        try (SparseMatrix.Builder observed = SparseMatrix.builder(d1, d2, d1 * d2 / 10);
                SparseMatrix.Builder unobserved = SparseMatrix.builder(d1, d2, d1 * d2)) {
            for (int i = 0; i < d1; i++) {
                for (int j = 0; j < d2; j++) {
                    (random.nextDouble() < 0.1 ? observed : unobserved).add(i, j, truth[i][j]);
                }
            }
            try (SparseMatrix m = observed.build(DType.FLOAT64);
                    SparseMatrix rest = unobserved.build(DType.FLOAT64);
                    Result result = Factorizer.builder(m, r).objective(Objective.observed(0)).heldOut(rest)
                            // the default 1.05e-8 relative gradient leaves ~2e-6 on the unobserved entries (the
                            // sampling operator amplifies the error off Ω): ask for 1e-11
                            .tolerance(1e-11).maxIterations(20_000).threads(2).listener(trajectory).build().run()) {
                assertEquals(StopReason.CONVERGED, result.stopReason());
                u = result.u().toArray();
                v = result.v().toArray();
                assertTrue(result.heldOutRmse() < trajectory.records().getFirst().heldOutRmse() * 1e-5);
            }
        }
        double[][] diff = Dense.addScaled(Dense.multiply(u, Dense.transpose(v)), -1, truth);
        double relative = Math.sqrt(squared(diff) / squared(truth));
        assertTrue(relative < 1e-6, "relative error on all entries " + relative);
    }

    /** Runs are bit-for-bit reproducible for a fixed thread count, for both objectives (rows split by entries). */
    @ParameterizedTest
    @CsvSource({"full, 1", "full, 2", "full, 3", "observed, 2", "observed:0.1, 3"})
    void reproducibleBitForBitPerThreadCount(String objective, int threads) {
        RandomSparse.Sample s = RandomSparse.sample(RandomSparse.Pattern.POWER_LAW, 150, 120, 81);
        double[][] first = null;
        for (int run = 0; run < 2; run++) {
            try (SparseMatrix m = s.matrix(DType.FLOAT32);
                    Result result = Factorizer.builder(m, 9).objective(Objective.parse(objective)).threads(threads)
                            .maxIterations(30).tolerance(0).build().run()) {
                double[][] uv = Dense.multiply(result.u().toArray(), Dense.transpose(result.v().toArray()));
                if (first == null) {
                    first = uv;
                } else {
                    for (int i = 0; i < uv.length; i++) {
                        for (int j = 0; j < uv[0].length; j++) {
                            assertEquals(Double.doubleToRawLongBits(first[i][j]), Double.doubleToRawLongBits(uv[i][j]),
                                    "run 2 differs at (" + i + ", " + j + ")");
                        }
                    }
                }
            }
        }
    }

    /**
     * Near an exact fit the summary's exact loss is right where the identity is useless. M = U₀V₀ᵀ (70 × 1100, r = 3,
     * across the residual's tiles) is sparse because U₀ and V₀ are block-structured (row i of U₀ and row j of V₀
     * nonzero only in column i mod 3, j mod 3: a third of M is stored); the factors are U₀ + εE, V₀, E dense, so the
     * residual εEV₀ᵀ is nonzero at the zeros of M too. Its entries (~ε) are far above the rounding of each entry
     * (~4u·|uv|), so the exact loss agrees with the oracle summed in double within the derived bound
     * ({@link ResidualOracle}); the identity's absolute error is a few u·‖M‖²_F, orders of magnitude above the loss
     * (~ε²·‖E‖²·‖V₀‖²/r: ε² = 10⁻²⁰ in float64, 10⁻¹⁰ in float32): checked as the premise. In float32 the window is
     * narrow — ε must be well above 4u ≈ 2.4·10⁻⁷ for the entries and well below √(u·‖M‖²/(d1·d2)) ≈ 10⁻⁴ for the
     * identity — so there the bound is a few per cent of the loss and the identity is off by ~10².
     */
    @ParameterizedTest
    @CsvSource({"FLOAT64, 1e-10, 1", "FLOAT32, 1e-5, 2"})
    void nearAnExactFitTheExactLossIsRightWhereTheIdentityIsNot(DType dtype, double epsilon, int threads) {
        int d1 = 70;
        int d2 = 1100;
        int r = 3;
        double[][] u0 = KnownMatrices.gaussian(d1, r, 1, 61);
        double[][] v0 = KnownMatrices.gaussian(d2, r, 1, 62);
        double[][] e = KnownMatrices.gaussian(d1, r, 1, 63);
        double[][] u = new double[d1][r];
        for (int i = 0; i < d1; i++) {
            for (int a = 0; a < r; a++) {
                u0[i][a] = a == i % r ? u0[i][a] : 0;
                u[i][a] = u0[i][a] + epsilon * e[i][a];
            }
        }
        for (int j = 0; j < d2; j++) {
            for (int a = 0; a < r; a++) {
                v0[j][a] = a == j % r ? v0[j][a] : 0;
            }
        }
        double[][] m = Dense.multiply(u0, Dense.transpose(v0));
        try (SparseMatrix sm = SparseMatrix.of(dtype, m); DenseMatrix uu = Dense.matrix(dtype, u);
                DenseMatrix vv = Dense.matrix(dtype, v0);
                Result exact = Factorizer.builder(sm, r).initializer(Initializer.given(uu, vv)).maxIterations(0)
                        .threads(threads).build().run();
                Result identity = Factorizer.builder(sm, r).initializer(Initializer.given(uu, vv)).maxIterations(0)
                        .threads(threads).exactFinalLoss(ExactLoss.NEVER).build().run()) {
            assertTrue(sm.nonZeros() < (long) d1 * d2 / 2, "the premise: M is sparse");
            assertTrue(exact.lossExact() && !identity.lossExact());
            double[][] stored = new double[d1][d2];
            for (int i = 0; i < d1; i++) {
                for (int j = 0; j < d2; j++) {
                    stored[i][j] = sm.get(i, j);
                }
            }
            ResidualOracle oracle = ResidualOracle.of(stored, uu.toArray(), vv.toArray(), dtype.unitRoundoff());
            assertTrue(oracle.tolerance() < 0.05 * oracle.sum(), "the premise: the bound resolves the loss");
            assertEquals(oracle.sum() / 2, exact.loss(), oracle.tolerance() / 2);
            assertEquals(Math.sqrt(oracle.sum() / sm.normSquared()), exact.relativeError(),
                    oracle.tolerance() / oracle.sum() * exact.relativeError());
            assertTrue(Math.abs(identity.loss() - oracle.sum() / 2) > 10 * oracle.sum(),
                    "the premise: the identity is useless here (" + identity.loss() + " against " + exact.loss()
                            + ")");
        }
    }

    /**
     * {@link ExactLoss#AUTO} forms the exact residual when d1·d2 ≤ 2·nnz·t (t iterations run) or d1·d2 ≤ 2²⁴, and
     * the settings say what they say. 5000 × 4000 (above 2²⁴ entries) with 200 000 stored: exact from t = 50.
     */
    @Test
    void theAutomaticRuleFollowsTheIterations() {
        assertTrue(ExactLoss.AUTO.exact(4096, 4096, 0, 0));
        assertTrue(!ExactLoss.AUTO.exact(4097, 4096, 0, 1_000_000));
        assertTrue(ExactLoss.AUTO.exact(5000, 4000, 2000, 5000) && !ExactLoss.AUTO.exact(5000, 4000, 2000, 4999));
        assertTrue(ExactLoss.ALWAYS.exact(100_000, 100_000, 1, 0) && !ExactLoss.NEVER.exact(2, 2, 4, 1000));
        SplittableRandom rnd = new SplittableRandom(71);
        try (SparseMatrix.Builder b = SparseMatrix.builder(5000, 4000, 200_000)) {
            for (int k = 0; k < 200_000; k++) {
                b.add(k % 5000, k / 5000, rnd.nextGaussian()); // distinct positions: exactly 200 000 stored
            }
            try (SparseMatrix m = b.build(DType.FLOAT32)) {
                for (long iterations : new long[] {49, 50}) {
                    try (Result r = Factorizer.builder(m, 2).schedule(new ConstantSchedule(0.01)).tolerance(0)
                            .initializer(Initializer.small(1e-3)).maxIterations(iterations).build().run()) {
                        assertEquals(iterations, r.iterations());
                        assertEquals(iterations == 50, r.lossExact(), "after " + iterations + " iterations");
                    }
                }
            }
        }
    }

    /**
     * {@code exactLossEvery} works on a sparse M: those records carry the exact residual, the others the identity, and
     * the factors are those of a run without it. Both losses of one iterate agree within the identity's error, a few
     * u·‖M‖² (10⁻¹² relative to ‖M‖² bounds it at this size), while the iterate's loss is far above that.
     */
    @Test
    void exactLossRecordsOfASparseM() {
        RandomSparse.Sample s = RandomSparse.sample(RandomSparse.Pattern.POWER_LAW, 60, 45, 81);
        Trajectory exact = new Trajectory();
        Trajectory identity = new Trajectory();
        try (SparseMatrix m = s.matrix(DType.FLOAT64);
                Result a = Factorizer.builder(m, 3).exactLossEvery(3).maxIterations(10).tolerance(0).listener(exact)
                        .build().run();
                Result b = Factorizer.builder(m, 3).maxIterations(10).tolerance(0).listener(identity).build().run()) {
            assertEquals(0.0, Dense.maxAbsDifference(a.u().toArray(), b.u().toArray()));
            double normM = m.normSquared();
            for (int t = 0; t < 10; t++) {
                IterationRecord x = exact.records().get(t);
                IterationRecord y = identity.records().get(t);
                assertEquals(t % 3 == 0, x.lossExact(), "t = " + t);
                assertTrue(!y.lossExact());
                assertEquals(y.loss(), x.loss(), 1e-12 * normM, "t = " + t);
                assertTrue(x.loss() > 1e-6 * normM, "the premise: a loss far above the identity's error");
            }
        }
    }

    @Test
    void invalidCombinationsAreRejected() {
        RandomSparse.Sample s = RandomSparse.sample(RandomSparse.Pattern.UNIFORM, 10, 8, 91);
        try (SparseMatrix m = s.matrix(DType.FLOAT64); SparseMatrix other = s.matrix(DType.FLOAT32);
                DenseMatrix dense = DenseMatrix.of(DType.FLOAT64, s.values())) {
            assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(dense, 2).objective(Objective.observed(0)).build());
            assertThrows(IllegalArgumentException.class, () -> Factorizer.builder(m, 2).heldOut(m).build());
            assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(m, 2).objective(Objective.observed(0)).heldOut(other).build());
            assertThrows(IllegalArgumentException.class, () -> ExactLoss.parse("sometimes"));
            assertThrows(IllegalArgumentException.class, () -> Objective.parse("observed:-1"));
            assertThrows(IllegalArgumentException.class, () -> Objective.parse("partial"));
        }
    }
}

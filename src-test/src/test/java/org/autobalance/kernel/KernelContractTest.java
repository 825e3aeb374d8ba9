package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.RandomMatrices;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract of {@link FactorKernels}, checked for every fast implementation available in this JVM against the
 * scalar reference, in both dtypes, over shapes that hit every loop exit of the SIMD kernels. The reference itself is
 * not among the implementations under test (comparing it with itself proves nothing): its independent check is
 * {@link KernelKnownAnswerTest}. On a JVM without the vector module the whole class is reported as skipped, with the
 * reason, instead of passing with no SIMD case.
 *
 * <p><b>Tolerances.</b> Both the implementation under test and the reference compute a sum of n terms in floating
 * point; the standard worst-case bound for any summation order, with or without FMA, is
 * |ŝ − s| ≤ γ_n·Σ|terms| ≈ n·u·Σ|terms| (Higham, Accuracy and Stability, §3.1), u the unit roundoff of the precision
 * the sum is carried in. Two such results differ by at most twice that, so each element is checked against
 * 2·(n + 2)·u·Σ|terms| (the +2 covers the final rounding to the stored precision and a rounded coefficient such as
 * η or A in float). The bound is worst-case, hence never flaky; the errors it admits are ~n·u relative to the
 * magnitudes, far below what a wrong index or a dropped tail produces (an O(1) relative error). Squared quantities
 * (gradient norm, residual) propagate the bound δ of each entry as 2|e|δ + δ².
 */
@EnabledIf(value = "simdAvailable", disabledReason = "jdk.incubator.vector is not in the boot layer: no SIMD "
        + "kernels to check (the scalar reference is checked by KernelKnownAnswerTest)")
class KernelContractTest {
    private static final FactorKernels REFERENCE = new ScalarKernels();
    private static final double U_DOUBLE = 0x1p-53;

    static boolean simdAvailable() {
        return KernelProvider.vectorModulePresent();
    }

    /** The implementations under test: every one but the reference (empty without the vector module). */
    static List<FactorKernels> implementations() {
        return simdAvailable() ? List.of(KernelProvider.simd()) : List.of();
    }

    /** Float lanes of the SIMD kernels in this JVM (from their name, e.g. simd-256 → 8). */
    static int floatLanes() {
        return Integer.parseInt(KernelProvider.simd().name().substring(5).split("\\+")[0]) / 32;
    }

    /** Float lanes of the large-rank fused classes in this JVM (simd-256+512 → 16; simd-256 → 8). */
    static int largeFloatLanes() {
        String[] widths = KernelProvider.simd().name().substring(5).split("\\+");
        return Integer.parseInt(widths[widths.length - 1]) / 32;
    }

    record Shape(int d1, int d2, int r) {
        @Override
        public String toString() {
            return d1 + "x" + d2 + " r=" + r;
        }
    }

    static List<Shape> shapes() {
        int lf = floatLanes();
        int ld = lf / 2;
        List<Shape> s = new ArrayList<>();
        for (int r = 1; r <= 9; r++) {
            s.add(new Shape(5, 9, r));
            s.add(new Shape(9, 5, r));
        }
        // widths and ranks around the lane counts of both dtypes and around the register tiles (2 vectors)
        int[] around = {1, 2, 3, 4, 5, 6, 7, 8, 9, ld - 1, ld, ld + 1, lf - 1, lf, lf + 1, 2 * lf - 1, 2 * lf,
            2 * lf + 1, 4 * lf + 1};
        for (int n : Arrays.stream(around).filter(n -> n >= 1).distinct().sorted().toArray()) {
            s.add(new Shape(n, n, 3));
            s.add(new Shape(n + 2, n, Math.max(1, n)));
        }
        s.add(new Shape(103, 103, 1));
        s.add(new Shape(103, 103, 4));
        s.add(new Shape(103, 103, 16));
        s.add(new Shape(103, 103, 33));
        s.add(new Shape(1021, 7, 5));
        s.add(new Shape(1021, 7, 24));
        s.add(new Shape(7, 4098, 1));
        s.add(new Shape(7, 4098, 8));
        s.add(new Shape(7, 4098, 70));
        s.add(new Shape(250, 241, 47)); // crosses row panels (96 rows) and column blocks (96 / 48 columns)
        s.add(new Shape(250, 241, 12)); // float64 where 16 vector registers: panels of 48 rows (kernels.md 29)
        s.add(new Shape(49, 481, 17));
        // the wide tiles (kernels.md 33) past one panel: three panels of 96 rows (the last 58), so panel rows >= 64;
        // r = 100 is wide at 512 bits in both dtypes with several column groups and r not a multiple of their width
        s.add(new Shape(250, 241, 64));
        s.add(new Shape(203, 97, 100));
        s.add(new Shape(64, 1021, 64));
        // the row stream (kernels.md 32) across column blocks: 4200 columns make 2-3 blocks of 512 KiB, each later one
        // with whole steps and a short last step, for two 8-row groups (rows8x1 / rows4x2) and three rowTail rows
        s.add(new Shape(19, 4200, 8));
        s.add(new Shape(19, 4200, 16));
        s.add(new Shape(19, 4200, 32));
        s.add(new Shape(30, 37, 70));
        s.add(new Shape(4098, 3, 2));
        // the 3-vector GEMM tiles (kernels.md 35) past one panel at the large-rank width, in both dtypes: ranks of 3
        // vectors and the ranks on either side (2 vectors + 1: the smallest they take; 3 vectors + 1: the 4-vector
        // tiles), for float64 (half the float lanes) and float32
        int ll = largeFloatLanes();
        for (int r : new int[] {ll + 1, 3 * ll / 2, 3 * ll / 2 + 1, 2 * ll + 1, 3 * ll, 3 * ll + 1}) {
            s.add(new Shape(250, 241, r));
        }
        return s;
    }

    /**
     * The fused GEMM path's panels and blocks hold whole tiles in every fused class at this run's widths: the MV tiles
     * step MR rows through panels of RB and RB / 2 rows, the MᵀU tiles NJ columns through blocks of JB, and a block
     * of M is packed in whole vectors. Otherwise the tiles read past a panel or a block (kernels.md 33.1).
     */
    @Test
    void gemmPanelsAndBlocksHoldWholeTiles() throws ReflectiveOperationException {
        for (String name : List.of("FloatFused", "DoubleFused", "FloatFusedLarge", "DoubleFusedLarge")) {
            Class<?> c = Class.forName("org.autobalance.kernel.simd." + name);
            int mr = constant(c, "MR");
            int rb = constant(c, "RB");
            int jb = constant(c, "JB");
            assertEquals(0, rb % (2 * mr), name + ": RB = " + rb + " is no multiple of 2·MR = " + 2 * mr);
            assertEquals(0, jb % constant(c, "NJ"), name + ": JB = " + jb + " is no multiple of NJ");
            assertEquals(0, jb % constant(c, "L"), name + ": JB = " + jb + " is no multiple of the lane count");
        }
    }

    private static int constant(Class<?> c, String field) throws ReflectiveOperationException {
        Field f = c.getDeclaredField(field);
        f.setAccessible(true);
        return f.getInt(null);
    }

    static Stream<Arguments> cases() {
        return everyCase(implementations(), FactorKernels::name, shapes());
    }

    /**
     * The arguments of a contract test: every implementation (named for the report) with every precision and every
     * shape.
     */
    static <K, S> Stream<Arguments> everyCase(List<K> implementations, Function<K, String> name, List<S> shapes) {
        List<Arguments> out = new ArrayList<>();
        for (K k : implementations) {
            for (DType t : DType.values()) {
                for (S s : shapes) {
                    out.add(Arguments.of(Named.of(name.apply(k), k), t, s));
                }
            }
        }
        return out.stream();
    }

    /** Row ranges to test: the whole matrix, an inner sub-range (rows untouched on both sides), an empty range. */
    static int[][] ranges(int d1) {
        if (d1 < 3) {
            return new int[][] {{0, d1}, {d1 / 2, d1 / 2}};
        }
        return new int[][] {{0, d1}, {Math.max(1, d1 / 3), Math.min(d1 - 1, d1 - d1 / 4)}, {1, 1}};
    }

    private static long seed(Shape s, DType t, int salt) {
        return 1_000_003L * s.d1() + 1_009L * s.d2() + 31L * s.r() + 7L * t.ordinal() + salt;
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void fusedPass(FactorKernels k, DType t, Shape s) {
        double u = t.unitRoundoff();
        try (DenseMatrix m = KnownMatrices.gaussian(t, s.d1(), s.d2(), 1.0, seed(s, t, 1));
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 2));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), s.r(), 1.0, seed(s, t, 3));
                DenseMatrix mtu0 = KnownMatrices.gaussian(t, s.d2(), s.r(), 3.0, seed(s, t, 4))) {
            double[][] ma = m.toArray();
            double[][] ua = uf.toArray();
            double[][] va = vf.toArray();
            double[][] mtua = mtu0.toArray();
            for (int[] range : ranges(s.d1())) {
                int rs = range[0];
                int re = range[1];
                try (DenseMatrix mv = RandomMatrices.constant(t, s.d1(), s.r(), 7.0);
                        DenseMatrix mvRef = RandomMatrices.constant(t, s.d1(), s.r(), 7.0);
                        DenseMatrix mtu = mtu0.copy(t);
                        DenseMatrix mtuRef = mtu0.copy(t)) {
                    k.fusedPass(m, uf, vf, rs, re, mv, mtu);
                    REFERENCE.fusedPass(m, uf, vf, rs, re, mvRef, mtuRef);
                    String where = k.name() + " " + t.label() + " " + s + " rows [" + rs + "," + re + ")";
                    for (int i = 0; i < s.d1(); i++) {
                        for (int a = 0; a < s.r(); a++) {
                            if (i < rs || i >= re) {
                                assertEquals(7.0, mv.get(i, a), where + ": MV row " + i + " outside the range "
                                        + "was written");
                                continue;
                            }
                            double mag = 0;
                            for (int j = 0; j < s.d2(); j++) {
                                mag += Math.abs(ma[i][j] * va[j][a]);
                            }
                            check(mv.get(i, a), mvRef.get(i, a), 2.0 * (s.d2() + 2) * u * mag,
                                    where + ": MV[" + i + "," + a + "]");
                        }
                    }
                    for (int j = 0; j < s.d2(); j++) {
                        for (int a = 0; a < s.r(); a++) {
                            double mag = Math.abs(mtua[j][a]);
                            for (int i = rs; i < re; i++) {
                                mag += Math.abs(ma[i][j] * ua[i][a]);
                            }
                            check(mtu.get(j, a), mtuRef.get(j, a), 2.0 * (re - rs + 3) * u * mag,
                                    where + ": MtU[" + j + "," + a + "]");
                            if (rs == re) {
                                assertEquals(Double.doubleToRawLongBits(mtua[j][a]),
                                        Double.doubleToRawLongBits(mtu.get(j, a)), where + ": empty range changed MtU");
                            }
                        }
                    }
                    assertNull(RandomMatrices.firstNonZeroPadding(mv), where + ": MV padding");
                    assertNull(RandomMatrices.firstNonZeroPadding(mtu), where + ": MtU padding");
                }
            }
            assertArrayEquals2(ma, m.toArray(), "M was modified");
            assertArrayEquals2(ua, uf.toArray(), "U was modified");
            assertArrayEquals2(va, vf.toArray(), "V was modified");
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void gram(FactorKernels k, DType t, Shape s) {
        int r = s.r();
        try (DenseMatrix x = KnownMatrices.gaussian(t, s.d1(), r, 1.0, seed(s, t, 5))) {
            double[] g0 = gramStart(r);
            for (int[] range : ranges(s.d1())) {
                double[] g = g0.clone();
                k.gram(x, range[0], range[1], g);
                checkGram(x, range, g0, g, k.name() + " " + t.label() + " " + s);
                assertNull(RandomMatrices.firstNonZeroPadding(x));
            }
        }
    }

    /** A symmetric r × r start for the Gram's sums (they add to it): not zero, so a kernel that overwrites fails. */
    private static double[] gramStart(int r) {
        double[] g0 = new double[r * r];
        for (int a = 0; a < r; a++) {
            for (int b = 0; b <= a; b++) {
                g0[a * r + b] = g0[b * r + a] = 0.25 * (a + 1) - 0.5 * b;
            }
        }
        return g0;
    }

    /** g = g0 + the Gram of x's rows in range, against the reference within the summation bound (class comment). */
    private static void checkGram(DenseMatrix x, int[] range, double[] g0, double[] g, String where) {
        int r = x.cols();
        double[][] xa = x.toArray();
        double[] gRef = g0.clone();
        REFERENCE.gram(x, range[0], range[1], gRef);
        for (int a = 0; a < r; a++) {
            for (int b = 0; b < r; b++) {
                double mag = Math.abs(g0[a * r + b]);
                for (int i = range[0]; i < range[1]; i++) {
                    mag += Math.abs(xa[i][a] * xa[i][b]);
                }
                check(g[a * r + b], gRef[a * r + b], 2.0 * (range[1] - range[0] + 3) * U_DOUBLE * mag,
                        where + " gram[" + a + "," + b + "]");
            }
        }
    }

    /**
     * The step that adds up the new rows' Gram: bit for bit the step and then the Gram (the engine's Grams taken from
     * the step have the bits of its sweep only so), and that Gram against the reference.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void gradientStepAndGram(FactorKernels k, DType t, Shape s) {
        int r = s.r();
        double[] coef = new double[r * r];
        SplittableRandom rnd = new SplittableRandom(seed(s, t, 9));
        for (int i = 0; i < r * r; i++) {
            coef[i] = rnd.nextGaussian();
        }
        double[] g0 = gramStart(r);
        try (DenseMatrix x0 = KnownMatrices.gaussian(t, s.d1(), r, 1.0, seed(s, t, 10));
                DenseMatrix p = KnownMatrices.gaussian(t, s.d1(), r, 2.0, seed(s, t, 11))) {
            for (int[] range : ranges(s.d1())) {
                try (DenseMatrix x = x0.copy(t); DenseMatrix xSplit = x0.copy(t)) {
                    String where = k.name() + " " + t.label() + " " + s + " rows [" + range[0] + "," + range[1] + ")";
                    double[] g = g0.clone();
                    double[] gSplit = g0.clone();
                    double norm = k.gradientStepAndGram(x, p, coef, 0.0123, range[0], range[1], g);
                    double normSplit = k.gradientStep(xSplit, p, coef, 0.0123, range[0], range[1]);
                    k.gram(xSplit, range[0], range[1], gSplit);
                    assertEquals(Double.doubleToRawLongBits(normSplit), Double.doubleToRawLongBits(norm),
                            where + ": squared gradient norm");
                    for (int i = 0; i < s.d1(); i++) {
                        for (int c = 0; c < r; c++) {
                            assertEquals(Double.doubleToRawLongBits(xSplit.get(i, c)),
                                    Double.doubleToRawLongBits(x.get(i, c)), where + ": X[" + i + "," + c + "]");
                        }
                    }
                    for (int e = 0; e < r * r; e++) {
                        assertEquals(Double.doubleToRawLongBits(gSplit[e]), Double.doubleToRawLongBits(g[e]),
                                where + ": gram[" + e / r + "," + e % r + "]");
                    }
                    checkGram(x, range, g0, g, where);
                    assertNull(RandomMatrices.firstNonZeroPadding(x), where + ": X padding");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void gradientStep(FactorKernels k, DType t, Shape s) {
        int r = s.r();
        double u = t.unitRoundoff();
        double eta = 0.0123;
        double[] coef = new double[r * r];
        SplittableRandom rnd = new SplittableRandom(seed(s, t, 6));
        for (int i = 0; i < r * r; i++) {
            coef[i] = rnd.nextGaussian();
        }
        try (DenseMatrix x0 = KnownMatrices.gaussian(t, s.d1(), r, 1.0, seed(s, t, 7));
                DenseMatrix p = KnownMatrices.gaussian(t, s.d1(), r, 2.0, seed(s, t, 8))) {
            double[][] xa = x0.toArray();
            double[][] pa = p.toArray();
            for (int[] range : ranges(s.d1())) {
                try (DenseMatrix x = x0.copy(t); DenseMatrix xRef = x0.copy(t)) {
                    double norm = k.gradientStep(x, p, coef, eta, range[0], range[1]);
                    double normRef = REFERENCE.gradientStep(xRef, p, coef, eta, range[0], range[1]);
                    String where = k.name() + " " + t.label() + " " + s + " rows [" + range[0] + "," + range[1] + ")";
                    double normTol = 0;
                    double normAbs = 0;
                    for (int i = 0; i < s.d1(); i++) {
                        for (int c = 0; c < r; c++) {
                            if (i < range[0] || i >= range[1]) {
                                assertEquals(xa[i][c], x.get(i, c), where + ": row " + i + " outside the range");
                                continue;
                            }
                            double g = -pa[i][c];
                            double mag = Math.abs(pa[i][c]);
                            for (int q = 0; q < r; q++) {
                                g += xa[i][q] * coef[q * r + c];
                                mag += Math.abs(xa[i][q] * coef[q * r + c]);
                            }
                            double delta = 2.0 * (r + 4) * u * mag;
                            normTol += 2 * Math.abs(g) * delta + delta * delta;
                            normAbs += g * g;
                            check(x.get(i, c), xRef.get(i, c),
                                    eta * delta + 4.0 * u * (Math.abs(xa[i][c]) + eta * Math.abs(g)),
                                    where + ": X[" + i + "," + c + "]");
                        }
                    }
                    normTol += 2.0 * ((range[1] - range[0]) * r + 2) * U_DOUBLE * normAbs;
                    check(norm, normRef, normTol, where + ": squared gradient norm");
                    assertNull(RandomMatrices.firstNonZeroPadding(x), where + ": X padding");
                }
            }
        }
    }

    /**
     * {@code wrap}ped memory's padding may be −0.0 (it equals zero, which is all {@code wrap} asks); the step writes
     * X's tail lanes back as it read them (FloatOps.stepBlock stores whole vectors past r), so the padding keeps its
     * bits: a step that wrote +0 there would change memory it does not own.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("implementationsAndDtypes")
    void gradientStepLeavesWrappedPaddingBitsAlone(FactorKernels k, DType t) {
        int rows = 5;
        for (int r = 1; r <= 2 * floatLanes() + 1; r++) {
            int stride = DenseMatrix.strideOf(t, r);
            double[] coef = new double[r * r];
            for (int i = 0; i < r; i++) {
                coef[i * r + i] = 1.5;
            }
            try (Arena arena = Arena.ofShared();
                    DenseMatrix p = KnownMatrices.gaussian(t, rows, r, 1.0, 11L * r)) {
                MemorySegment mem = arena.allocate((long) rows * stride * t.bytes(), DenseMatrix.ALIGNMENT);
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < stride; j++) {
                        double v = j < r ? 0.25 * (i + 1) - 0.125 * j : -0.0;
                        long at = (long) i * stride + j;
                        if (t == DType.FLOAT32) {
                            mem.setAtIndex(ValueLayout.JAVA_FLOAT, at, (float) v);
                        } else {
                            mem.setAtIndex(ValueLayout.JAVA_DOUBLE, at, v);
                        }
                    }
                }
                try (DenseMatrix x = DenseMatrix.wrap(t, rows, r, mem)) {
                    k.gradientStep(x, p, coef, 0.0123, 0, rows);
                }
                for (int i = 0; i < rows; i++) {
                    for (int j = r; j < stride; j++) {
                        long at = (long) i * stride + j;
                        long bits = t == DType.FLOAT32 ? Float.floatToRawIntBits(mem.getAtIndex(ValueLayout.JAVA_FLOAT,
                                at)) : Double.doubleToRawLongBits(mem.getAtIndex(ValueLayout.JAVA_DOUBLE, at));
                        long negativeZero = t == DType.FLOAT32 ? Float.floatToRawIntBits(-0.0f)
                                : Double.doubleToRawLongBits(-0.0);
                        assertEquals(negativeZero, bits, k.name() + " " + t.label() + " r=" + r + ": padding element "
                                + j + " of row " + i);
                    }
                }
            }
        }
    }

    static Stream<Arguments> implementationsAndDtypes() {
        return everyCase(implementations(), FactorKernels::name, List.of(0)).map(a -> Arguments.of(a.get()[0],
                a.get()[1]));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void dot(FactorKernels k, DType t, Shape s) {
        try (DenseMatrix x = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 9));
                DenseMatrix y = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 10))) {
            double[][] xa = x.toArray();
            double[][] ya = y.toArray();
            for (int[] range : ranges(s.d1())) {
                double mag = 0;
                for (int i = range[0]; i < range[1]; i++) {
                    for (int c = 0; c < s.r(); c++) {
                        mag += Math.abs(xa[i][c] * ya[i][c]);
                    }
                }
                check(k.dot(x, y, range[0], range[1]), REFERENCE.dot(x, y, range[0], range[1]),
                        2.0 * ((range[1] - range[0]) * s.r() + 2) * U_DOUBLE * mag,
                        k.name() + " " + t.label() + " " + s + " dot");
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void residualSquared(FactorKernels k, DType t, Shape s) {
        double u = t.unitRoundoff();
        try (DenseMatrix m = KnownMatrices.gaussian(t, s.d1(), s.d2(), 1.0, seed(s, t, 11));
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 12));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), s.r(), 1.0, seed(s, t, 13))) {
            double[][] ma = m.toArray();
            double[][] ua = uf.toArray();
            double[][] va = vf.toArray();
            for (int[] range : ranges(s.d1())) {
                double tol = 0;
                double sum = 0;
                for (int i = range[0]; i < range[1]; i++) {
                    for (int j = 0; j < s.d2(); j++) {
                        double e = -ma[i][j];
                        double mag = Math.abs(ma[i][j]);
                        for (int a = 0; a < s.r(); a++) {
                            e += ua[i][a] * va[j][a];
                            mag += Math.abs(ua[i][a] * va[j][a]);
                        }
                        double delta = 2.0 * (s.r() + 3) * u * mag;
                        tol += 2 * Math.abs(e) * delta + delta * delta;
                        sum += e * e;
                    }
                }
                tol += 2.0 * ((long) (range[1] - range[0]) * s.d2() + 2) * U_DOUBLE * sum;
                check(k.residualSquared(m, uf, vf, range[0], range[1]),
                        REFERENCE.residualSquared(m, uf, vf, range[0], range[1]), tol,
                        k.name() + " " + t.label() + " " + s + " residual");
            }
        }
    }

    static void check(double actual, double expected, double tol, String what) {
        if (!(Math.abs(actual - expected) <= tol + Double.MIN_NORMAL)) {
            fail(what + ": got " + actual + ", reference " + expected + ", |diff| " + Math.abs(actual - expected)
                    + " > tolerance " + tol);
        }
    }

    private static void assertArrayEquals2(double[][] expected, double[][] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (!Arrays.equals(expected[i], actual[i])) {
                fail(what + " (row " + i + ")");
            }
        }
    }
}

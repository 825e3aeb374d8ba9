package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.ScalarGemm;
import org.autobalance.solve.internal.SmallLinearAlgebra;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The escape probe's SVD of a layer A (units × inputs) works on the smaller Gram: a wide layer after few inputs (a
 * tall A) spent minutes in the Jacobi sweeps of its units × units Gram before the first iteration (dense:1000 after
 * 20 inputs: 51 s; dense:4000: over 14 minutes), and asked for units² vectors. Oracle: A = U·diag(σ)·Vᵀ built from
 * known orthonormal U, V and σ; the projection on the singular directions below a level is Σ_{σₖ < level} σₖuₖvₖᵀ.
 */
class EscapeProbeSvdTest {
    private static final GemmKernels GEMM = KernelProvider.gemm();

    /** Columns of a rows × n matrix with orthonormal columns (Gram–Schmidt, twice), row-major. */
    private static double[] orthonormal(int rows, int n, SplittableRandom random) {
        double[] q = new double[rows * n];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < rows; i++) {
                q[i * n + k] = random.nextGaussian();
            }
            for (int pass = 0; pass < 2; pass++) {
                for (int l = 0; l < k; l++) {
                    double dot = 0;
                    for (int i = 0; i < rows; i++) {
                        dot += q[i * n + k] * q[i * n + l];
                    }
                    for (int i = 0; i < rows; i++) {
                        q[i * n + k] -= dot * q[i * n + l];
                    }
                }
            }
            double norm = 0;
            for (int i = 0; i < rows; i++) {
                norm += q[i * n + k] * q[i * n + k];
            }
            for (int i = 0; i < rows; i++) {
                q[i * n + k] /= Math.sqrt(norm);
            }
        }
        return q;
    }

    /** Orthonormal U (rows × n) and V (cols × n), n = min(rows, cols), row-major, seeded by the shape. */
    private record Factors(double[] u, double[] v) {
        static Factors of(int rows, int cols) {
            int n = Math.min(rows, cols);
            SplittableRandom random = new SplittableRandom(rows * 1000L + cols);
            double[] u = orthonormal(rows, n, random);
            return new Factors(u, orthonormal(cols, n, random));
        }
    }

    /** Σ over k in [from, to) of σₖ·uₖvₖᵀ, rows × cols. */
    private static double[] sum(double[] u, double[] v, double[] sigma, int rows, int cols, int from, int to) {
        int n = sigma.length;
        double[] a = new double[rows * cols];
        for (int k = from; k < to; k++) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    a[i * cols + j] += sigma[k] * u[i * n + k] * v[j * n + k];
                }
            }
        }
        return a;
    }

    /**
     * The count and the projection, on both sides, through the vectors of the values below the level (4 × 400: one
     * of four) or of those above it (30 × 30: 3 of 30); with QL capped at 0 iterations (its failure: no matrix is
     * known to reach the real cap), the Jacobi fallback answers to the same tolerances, and with inverse iteration
     * capped at 0 solves, the whole Householder + QL decomposition does.
     */
    @ParameterizedTest
    @CsvSource({"400, 4, 30, 5", "4, 400, 30, 5", "30, 30, 30, 5", "31, 7, 30, 5", "7, 31, 30, 5", "30, 30, 0, 5",
            "31, 7, 0, 5", "30, 30, 30, 0", "4, 400, 30, 0"})
    void theSmallDirectionsOfTallAndWideLayers(int rows, int cols, int qlIterations, int inverseIterations) {
        int n = Math.min(rows, cols);
        Factors f = Factors.of(rows, cols);
        double[] sigma = new double[n];
        for (int k = 0; k < n; k++) {
            // 8, 4√2, 4, 2√2, 2, …: distinct, largest first, and flat enough that every check below can fail
            sigma[k] = Math.pow(2, 3 - k / 2.0);
        }
        double[] a = sum(f.u(), f.v(), sigma, rows, cols, 0, n);
        double level = 3; // below it σ = 2√2, 2, √2, …
        EscapeProbe.Unlearned got = EscapeProbe.unlearned(a, rows, cols, level, GEMM, qlIterations, inverseIterations,
                () -> { });
        assertEquals(n - 3, got.count());
        double[] expected = sum(f.u(), f.v(), sigma, rows, cols, 3, n);
        for (int x = 0; x < expected.length; x++) {
            assertEquals(expected[x], got.part()[x], 1e-12 * sigma[0], "entry " + x);
        }
    }

    /**
     * Against the whole decomposition (the path before the fourteenth session, written out here: the Gram, all its
     * eigenvectors from Householder + QL, Σ_{σₖ < level} uₖuₖᵀA summed directly) on the layers a check meets: a few
     * learned directions over a Gaussian bulk at a small start's scale, square and off by one either way, with fewer
     * learned directions than unlearned ones (the learned vectors computed) and more (the unlearned bulk computed:
     * one tight cluster), and none. The same count, and the same part to the rounding of each side (its Gram is its
     * own sum, the GEMM kernels' or the loop below). Both Grams on every shape, whatever the size the check would
     * give the kernels: 130 and 131 rows span three of the kernels' 64-row blocks, the last one partial.
     */
    @ParameterizedTest
    @CsvSource({"60, 61, 3", "61, 60, 3", "60, 60, 0", "60, 61, 50", "61, 60, 57", "60, 60, 60", "1, 9, 0", "9, 1, 1",
            "130, 131, 3", "131, 130, 100"})
    void theSameCountAndPartAsTheWholeDecomposition(int rows, int cols, int learned) {
        int n = Math.min(rows, cols);
        SplittableRandom random = new SplittableRandom(rows * 31L + cols * 7L + learned);
        Factors f = Factors.of(rows, cols);
        double[] sigma = new double[n];
        for (int k = 0; k < learned; k++) {
            sigma[k] = 2.0 - k / (double) n;
        }
        double[] a = sum(f.u(), f.v(), sigma, rows, cols, 0, n);
        for (int x = 0; x < a.length; x++) {
            a[x] += 1e-3 * random.nextGaussian();
        }
        double level = 0.5;
        // the old path: A's smaller Gram, every eigenvector, the direct sum over the small ones
        boolean wide = rows <= cols;
        double[] gram = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < Math.max(rows, cols); j++) {
                    gram[i * n + k] += wide ? a[i * cols + j] * a[k * cols + j] : a[j * cols + i] * a[j * cols + k];
                }
            }
        }
        double[] q = new double[n * n];
        double[] lambda = SmallLinearAlgebra.symmetricEigenTridiagonal(gram, n, q);
        double[] expected = new double[rows * cols];
        int count = 0;
        for (int k = 0; k < n; k++) {
            if (Math.sqrt(Math.max(lambda[k], 0)) >= level) {
                continue;
            }
            count++;
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    // uₖuₖᵀA (wide: q's columns are left vectors) or Avₖvₖᵀ
                    double sum = 0;
                    for (int l = 0; l < n; l++) {
                        sum += wide ? q[i * n + k] * q[l * n + k] * a[l * cols + j]
                                : a[i * cols + l] * q[l * n + k] * q[j * n + k];
                    }
                    expected[i * cols + j] += sum;
                }
            }
        }
        assertEquals(n - learned, count, "the data's own count");
        // the group's vectors from inverse iteration itself, not its fallback (which would pass the checks below)
        int from = learned < count ? 0 : learned;
        int to = learned < count ? learned : n;
        assertEquals(n * (to - from), SmallLinearAlgebra.symmetricEigenValues(gram, n, 30).vectors(from, to).length);
        // the small layers' Gram by the loop, and by the GEMM kernels the large ones take
        EscapeProbe.Unlearned got = EscapeProbe.unlearned(a, rows, cols, level, null,
                SmallLinearAlgebra.QL_ITERATIONS_PER_VALUE, SmallLinearAlgebra.PartialEigen.INVERSE_ITERATIONS,
                () -> { });
        EscapeProbe.Unlearned byGemm = EscapeProbe.unlearned(a, rows, cols, level, GEMM,
                SmallLinearAlgebra.QL_ITERATIONS_PER_VALUE, SmallLinearAlgebra.PartialEigen.INVERSE_ITERATIONS,
                () -> { });
        assertEquals(count, got.count());
        assertEquals(count, byGemm.count());
        if (count == 0) {
            assertNull(got.part());
            assertNull(byGemm.part());
            return;
        }
        // each side is exact for the exact Gram (G = AᵀA or AAᵀ, ‖G‖ ≤ 4.1) within its own Gram's rounding, which the
        // GEMM kernels' and the loop above's sums (over m = max(rows, cols) terms, in other orders) each bound by
        // m·u·(|B|ᵀ|B|)_ik per entry, so by m·u·‖A‖²_F in norm, plus the decomposition's 2n·u·‖G‖; so its subspace
        // within that over the gap (≥ 1.5² − 0.5² > 1; the bulk's σ ≤ 1e-3·(√rows + √cols) ≈ 0.016), and the parts
        // within it times ‖A‖ ≤ 2.1 of each other, plus the sums' own n·u·‖A‖ per entry
        double u = 0x1p-53;
        double frobeniusSquared = 0;
        for (double x : a) {
            frobeniusSquared += x * x;
        }
        double perturbation = 2 * n * u * 4.1 + Math.max(rows, cols) * u * frobeniusSquared;
        double tolerance = 2 * (2 * perturbation) * 2.1 + 2 * n * u * 2.1;
        for (int x = 0; x < expected.length; x++) {
            assertEquals(expected[x], got.part()[x], tolerance, "entry " + x);
            assertEquals(expected[x], byGemm.part()[x], tolerance, "entry " + x + " (GEMM)");
        }
    }

    /**
     * A layer's Gram goes to the run's kernels from n²·max(rows, cols) = 1500³ on, either side, but never to the
     * scalar ones (no Vector API, or -Dautobalance.kernels=scalar): their textbook triple loop took about 5× the
     * loop's CPU at 1000 × 1001.
     */
    @Test
    void theGramGoesToTheKernelsOnlyWhenTheyAreLargeAndVectorised() {
        // kernels other than the scalar ones, never called: the choice looks only at their type
        GemmKernels vectorised = (GemmKernels) Proxy.newProxyInstance(GemmKernels.class.getClassLoader(),
                new Class<?>[] {GemmKernels.class}, (proxy, method, args) -> {
                    throw new AssertionError(method);
                });
        assertSame(vectorised, EscapeProbe.gramKernels(vectorised, 1500, 1500));
        assertSame(vectorised, EscapeProbe.gramKernels(vectorised, 4000, 1000));
        assertNull(EscapeProbe.gramKernels(vectorised, 1499, 1500));
        assertNull(EscapeProbe.gramKernels(vectorised, 1500, 1499));
        assertNull(EscapeProbe.gramKernels(new ScalarGemm(), 4000, 4001));
    }

    /** What a cancelled check throws from its poll, to be told apart from the check's own exceptions. */
    private static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    /**
     * A check can be abandoned inside a layer's SVD, not only between layers (a 4000-unit layer's took a minute of
     * CPU, through which a cancelled run waited): the poll runs at least once per 64 rows of the Gram and once per
     * Householder step (O(n·max(rows, cols)) and O(n²) work between two calls), a throw from any of its calls leaves
     * the check (no fallback swallows it), and a poll that never throws changes no bit. On the paths a check takes:
     * the learned vectors by inverse iteration, the whole decomposition (inverse iteration capped at 0 solves), Jacobi
     * (QL capped at 0 iterations); the Gram by the GEMM kernels and by the loop of small layers.
     */
    @ParameterizedTest
    @CsvSource({"60, 61, 30, 5, true", "61, 60, 30, 0, true", "60, 61, 0, 5, true", "60, 61, 30, 5, false"})
    void aCheckCanBeAbandonedBetweenBoundedPiecesOfWork(int rows, int cols, int qlIterations, int inverseIterations,
            boolean gemm) {
        GemmKernels kernels = gemm ? GEMM : null;
        int n = Math.min(rows, cols);
        Factors f = Factors.of(rows, cols);
        double[] sigma = new double[n];
        for (int k = 0; k < n; k++) {
            sigma[k] = k < 3 ? 2.0 - k / 10.0 : 1e-3;
        }
        double[] a = sum(f.u(), f.v(), sigma, rows, cols, 0, n);
        EscapeProbe.Unlearned plain = EscapeProbe.unlearned(a, rows, cols, 0.5, kernels, qlIterations,
                inverseIterations, () -> { });
        // the polls by the method that called them
        Map<String, Integer> callers = new TreeMap<>();
        EscapeProbe.Unlearned polled = EscapeProbe.unlearned(a, rows, cols, 0.5, kernels, qlIterations,
                inverseIterations, () -> callers.merge(StackWalker.getInstance()
                        .walk(frames -> frames.skip(1).findFirst()).orElseThrow().getMethodName(), 1, Integer::sum));
        assertEquals(n - 3, polled.count());
        assertEquals(plain.count(), polled.count());
        for (int x = 0; x < a.length; x++) {
            assertEquals(Double.doubleToRawLongBits(plain.part()[x]), Double.doubleToRawLongBits(polled.part()[x]),
                    "entry " + x);
        }
        int gramPolls = callers.getOrDefault(gemm ? "smallerGram" : "smallerGramByRows", 0);
        assertTrue(gramPolls >= (n + 63) / 64, callers.toString());
        // the values' reduction, and the whole decomposition's again where inverse iteration fails
        assertEquals((n - 1) * (inverseIterations == 0 ? 2 : 1), callers.get("tridiagonalise"), callers.toString());
        if (qlIterations == 0) {
            assertTrue(callers.get("symmetricEigen") >= n, callers.toString());
        } else {
            // the learned group's 3 vectors: from inverse iteration, or from the whole decomposition's accumulation
            String vectors = inverseIterations == 0 ? "accumulate" : "vectors";
            assertTrue(callers.getOrDefault(vectors, 0) >= (inverseIterations == 0 ? n - 1 : 3), callers.toString());
        }
        assertEquals(3, callers.get("project"), callers.toString());
        int polls = callers.values().stream().mapToInt(Integer::intValue).sum();
        for (int stopAt = 1; stopAt <= polls; stopAt++) {
            int last = stopAt;
            int[] calls = {0};
            Runnable poll = () -> {
                if (++calls[0] == last) {
                    throw new Stop();
                }
            };
            assertThrows(Stop.class, () -> EscapeProbe.unlearned(a, rows, cols, 0.5, kernels, qlIterations,
                    inverseIterations, poll), "stopped at poll " + stopAt);
        }
    }

    /**
     * The start's σ₁ comes from Lanczos on the Gram applied as a product, never formed (a square wide layer paid its
     * whole eigen-decomposition for it), on both sides, with a top the next value nearly ties (σ₂ = σ₁(1 − 10⁻⁶)) or
     * repeats exactly, and a one-by-one and zero layer.
     */
    @ParameterizedTest
    @CsvSource({"400, 4, 0", "4, 400, 0", "60, 50, 1e-6", "50, 60, 0", "1, 9, 0", "9, 1, 0", "30, 40, -1"})
    void theLargestSingularValueWithoutTheGram(int rows, int cols, double tie) {
        int n = Math.min(rows, cols);
        Factors f = Factors.of(rows, cols);
        double[] sigma = new double[n];
        for (int k = 0; k < n; k++) {
            sigma[k] = tie < 0 ? 0.0 : 1e-3 * Math.pow(0.9, k);
        }
        if (n > 1 && tie >= 0) {
            sigma[1] = sigma[0] * (1 - tie);
        }
        double[] a = sum(f.u(), f.v(), sigma, rows, cols, 0, n);
        double got = EscapeProbe.largestSingularValue(a, rows, cols);
        // a Rayleigh quotient of AᵀA: never above σ₁² but for the products' rounding (a few u·max(rows, cols)
        // relative), and below it by the square of the vector's error, which Lanczos stops at 10⁻¹⁴ of the value
        assertEquals(sigma[0], got, 1e-13 * sigma[0], "σ₁");
    }
}

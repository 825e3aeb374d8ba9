package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The escape probe's SVD of a layer A (units × inputs) works on the smaller Gram: a wide layer after few inputs (a
 * tall A) spent minutes in the Jacobi sweeps of its units × units Gram before the first iteration (dense:1000 after
 * 20 inputs: 51 s; dense:4000: over 14 minutes), and asked for units² vectors. Oracle: A = U·diag(σ)·Vᵀ built from
 * known orthonormal U, V and σ; the projection on the singular directions below a level is Σ_{σₖ < level} σₖuₖvₖᵀ.
 */
class EscapeProbeSvdTest {

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
     * The values and the projection, on both sides; with QL capped at 0 iterations (its failure: no matrix is known
     * to reach the real cap), the Jacobi fallback answers to the same tolerances.
     */
    @ParameterizedTest
    @CsvSource({"400, 4, 30", "4, 400, 30", "30, 30, 30", "31, 7, 30", "7, 31, 30", "30, 30, 0", "31, 7, 0"})
    void singularValuesAndTheSmallDirectionsOfTallAndWideLayers(int rows, int cols, int qlIterations) {
        int n = Math.min(rows, cols);
        Factors f = Factors.of(rows, cols);
        double[] sigma = new double[n];
        for (int k = 0; k < n; k++) {
            // 8, 4√2, 4, 2√2, 2, …: distinct, largest first, and flat enough that every check below can fail (σ₁²/σₖ²
            // reaches 2²⁹ at k = 30, so the tolerance stays under 6e-4·σₖ; halving per step, it passed σₖ at k = 21)
            sigma[k] = Math.pow(2, 3 - k / 2.0);
        }
        double[] a = sum(f.u(), f.v(), sigma, rows, cols, 0, n);
        double[] vectors = new double[n * n];
        double[] sv = EscapeProbe.singularValues(a, rows, cols, vectors, qlIterations);
        assertEquals(n, sv.length);
        for (int k = 0; k < n; k++) {
            // the Gram squares the values: its rounding, relative to σ₁², is a few u per entry summed over max(rows,
            // cols) products, which the square root halves relative to σₖ
            assertEquals(sigma[k], sv[k], 1e-12 * sigma[0] * sigma[0] / sigma[k], "σ" + (k + 1));
        }
        double level = 3; // below it σ = 2√2, 2, √2, …
        double[] expected = sum(f.u(), f.v(), sigma, rows, cols, 3, n);
        double[] projected = EscapeProbe.project(a, rows, cols, vectors, sv, level);
        for (int x = 0; x < expected.length; x++) {
            assertEquals(expected[x], projected[x], 1e-12 * sigma[0], "entry " + x);
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

package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The σ of {@code auto}: against data where it is known, against the top eigenvalue of a finite-difference Hessian
 * (what σ claims to be half of), and with biases (the floor 1/2 that ∂²L/∂b_N² = I forces).
 */
class NetworkScaleTest {

    /**
     * X = I (white: XᵀX/n = I/n, λ = 1/n) and Y = Mᵀ with M of known singular values, so YᵀX/n = M/n, s = σ₁(M), and
     * σ = (N/2)·λ·s^{2(N−1)/N}: σ₁(M)/n for N = 2 (the factorisation's auto step scaled by n) and
     * (3/2)·σ₁(M)^{4/3}/n for N = 3. The power iterations converge like (σ₂/σ₁)^{2t} = 3^{−100}: 1e-12 relative is
     * far above what remains.
     */
    @Test
    void sigmaOnWhiteInputsIsTheBalancedLinearSharpnessOverTwo() {
        double[][] m = KnownMatrices.withSpectrum(9, 7, new double[] {3, 1, 0.5}, 4);
        int n = 7;
        double[][] x = new double[n][n];
        double[][] y = new double[n][9];
        for (int j = 0; j < n; j++) {
            x[j][j] = 1;
            for (int i = 0; i < 9; i++) {
                y[j][i] = m[i][j];
            }
        }
        try (DenseMatrix xm = Cases.matrix(x); DenseMatrix ym = Cases.matrix(y)) {
            assertEquals(3.0 / n, NetworkScale.sigma(xm, ym, 2, false, 1), 1e-12 * 3.0 / n);
            double deep = 1.5 * Math.pow(3.0, 4.0 / 3) / n;
            assertEquals(deep, NetworkScale.sigma(xm, ym, 3, false, 1), 1e-12 * deep);
        }
    }

    /**
     * What σ claims, checked without its formula: a depth-N linear network at a balanced minimiser of white data
     * (XᵀX/n = λI, Y = XAᵀ with A = U diag(3, 1, 0.5) Vᵀ; W_1 = S^{1/N}Vᵀ, W_h = S^{1/N}, W_N = U S^{1/N}), the
     * largest eigenvalue of ∇²L found by power iteration on Hessian-vector products taken as central differences of
     * the reference network's gradient (ReferenceNetwork: no engine code). It must be 2σ.
     *
     * <p>Tolerance: the second eigenvalue is at most 2/3 of the first here (numpy, full Hessian: 10/15, 18.5/32.5,
     * 27.3/52.0 for N = 2, 3, 4), so 200 power iterations leave (2/3)^{400} ≈ 1e-70 in the Rayleigh quotient; the
     * difference quotient with h = 1e-5 errs by h²·(third derivative of L, polynomial of degree 2N with coefficients
     * ≲ λ·3^2 = 25) ≈ 1e-8 at most and by ε·|∇L(θ ± hv)|/h ≈ 1e-16·60/1e-5 ≈ 1e-9 in rounding: 1e-6 relative covers
     * both a hundredfold.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void sigmaIsHalfTheTopEigenvalueOfAFiniteDifferenceHessianAtABalancedMinimum(int depth) {
        int n = 8;
        int d = 4;
        int p = 3;
        double lambda = 2.5;
        double[] singular = {3, 1, 0.5};
        SplittableRandom r = new SplittableRandom(depth);
        double[][] q = KnownMatrices.orthonormalColumns(Cases.gaussian(n, d, 1, r));
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                x[i][k] = Math.sqrt(lambda * n) * q[i][k]; // XᵀX/n = λI
            }
        }
        double[][] u = KnownMatrices.orthonormalColumns(Cases.gaussian(p, 3, 1, r));
        double[][] v = KnownMatrices.orthonormalColumns(Cases.gaussian(d, 3, 1, r));
        double[][] y = new double[n][p];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                for (int c = 0; c < 3; c++) {
                    double vx = 0;
                    for (int k = 0; k < d; k++) {
                        vx += v[k][c] * x[i][k];
                    }
                    y[i][j] += u[j][c] * singular[c] * vx;
                }
            }
        }
        StringBuilder spec = new StringBuilder();
        for (int h = 1; h < depth; h++) {
            spec.append("dense:3,");
        }
        Architecture arch = Architecture.parse(spec.append("dense:").append(p).toString(), d, null);
        double[][][] w = new double[depth][][];
        for (int h = 0; h < depth; h++) {
            int rows = h == depth - 1 ? p : 3;
            int cols = h == 0 ? d : 3;
            w[h] = new double[rows][cols];
            for (int a = 0; a < rows; a++) {
                for (int b = 0; b < cols; b++) {
                    // layer h maps the singular directions one to one, each scaled by σ_c^{1/N}
                    for (int c = 0; c < 3; c++) {
                        double left = h == depth - 1 ? u[a][c] : a == c ? 1 : 0;
                        double right = h == 0 ? v[b][c] : b == c ? 1 : 0;
                        w[h][a][b] += left * Math.pow(singular[c], 1.0 / depth) * right;
                    }
                }
            }
        }
        ReferenceNetwork optimum = new ReferenceNetwork(arch, w, null);
        assertTrue(optimum.loss(x, y) < 1e-28, "the premise: a minimiser, loss " + optimum.loss(x, y));
        double top = topHessianEigenvalue(optimum, x, y, 200);
        try (DenseMatrix xm = Cases.matrix(x); DenseMatrix ym = Cases.matrix(y)) {
            double sigma = NetworkScale.sigma(xm, ym, depth, false, 1);
            assertEquals(top, 2 * sigma, 1e-6 * top, "top Hessian eigenvalue against 2 sigma");
        }
    }

    /**
     * Targets orthogonal to the inputs (YᵀX = 0 up to rounding, Y and X built from one orthonormal basis): without
     * biases auto has no scale and says so; with biases σ is the floor 1/2 exactly, which the last layer's bias
     * alone forces: ∂²L/∂b_N² = I at any parameters (checked here by central differences of the reference gradient
     * at a random ReLU network, where L is quadratic in b_N, so only rounding remains: ε·|∇L|/h ≈ 1e-16·10/1e-4).
     */
    @Test
    void theLastBiasAloneBoundsTheSharpnessFromBelow() {
        int n = 12;
        SplittableRandom r = new SplittableRandom(5);
        double[][] a = Cases.gaussian(n, 6, 1, r);
        for (double[] row : a) {
            row[0] = 1; // the first basis vector is the constant
        }
        double[][] q = KnownMatrices.orthonormalColumns(a);
        double[][] x = new double[n][3];
        double[][] y = new double[n][2];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) {
                x[i][k] = q[i][1 + k];
            }
            y[i][0] = q[i][4];
            y[i][1] = q[i][5];
        }
        try (DenseMatrix xm = Cases.matrix(x); DenseMatrix ym = Cases.matrix(y)) {
            assertEquals(NetworkScale.BIAS_FLOOR, NetworkScale.sigma(xm, ym, 3, true, 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NetworkScale.sigma(xm, ym, 3, false, 1));
            assertTrue(e.getMessage().contains("uncorrelated with the inputs"), e.getMessage());
        }
        Cases.Case c = new Cases.Case("dense:5,relu,dense:4,relu,dense:2", null, 3, 2, true);
        ReferenceNetwork net = Cases.randomNetwork(c, 0.7, 9);
        int last = c.architecture().depth() - 1;
        double h = 1e-4;
        for (int j = 0; j < 2; j++) {
            double keep = net.b[last][j];
            net.b[last][j] = keep + h;
            ReferenceNetwork plus = net.gradient(x, y);
            net.b[last][j] = keep - h;
            ReferenceNetwork minus = net.gradient(x, y);
            net.b[last][j] = keep;
            for (int k = 0; k < 2; k++) {
                double hessian = (plus.b[last][k] - minus.b[last][k]) / (2 * h);
                assertEquals(j == k ? 1.0 : 0.0, hessian, 1e-9, "d2L/db" + j + "db" + k);
            }
        }
    }

    /** λ_max(∇²L) at {@code net} by power iteration on central-difference Hessian-vector products. */
    private static double topHessianEigenvalue(ReferenceNetwork net, double[][] x, double[][] y, int iterations) {
        double[] theta = flatten(net);
        double[] v = new double[theta.length];
        SplittableRandom r = new SplittableRandom(17);
        for (int k = 0; k < v.length; k++) {
            v[k] = r.nextGaussian();
        }
        normalise(v);
        double rayleigh = 0;
        double h = 1e-5;
        for (int it = 0; it < iterations; it++) {
            double[] plus = flatten(unflatten(net, theta, v, h).gradient(x, y));
            double[] minus = flatten(unflatten(net, theta, v, -h).gradient(x, y));
            double[] hv = new double[v.length];
            rayleigh = 0;
            for (int k = 0; k < v.length; k++) {
                hv[k] = (plus[k] - minus[k]) / (2 * h);
                rayleigh += v[k] * hv[k];
            }
            v = hv;
            normalise(v);
        }
        return rayleigh;
    }

    private static void normalise(double[] v) {
        double s = 0;
        for (double e : v) {
            s += e * e;
        }
        double norm = Math.sqrt(s);
        for (int k = 0; k < v.length; k++) {
            v[k] /= norm;
        }
    }

    private static double[] flatten(ReferenceNetwork net) {
        return java.util.Arrays.stream(net.w).flatMap(java.util.Arrays::stream)
                .flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    /** A network of {@code net}'s shape (no biases) with the parameters θ + step·v. */
    private static ReferenceNetwork unflatten(ReferenceNetwork net, double[] theta, double[] v, double step) {
        double[][][] w = new double[net.w.length][][];
        int k = 0;
        for (int h = 0; h < w.length; h++) {
            w[h] = new double[net.w[h].length][net.w[h][0].length];
            for (double[] row : w[h]) {
                for (int j = 0; j < row.length; j++, k++) {
                    row[j] = theta[k] + step * v[k];
                }
            }
        }
        return new ReferenceNetwork(net.arch, w, null);
    }

    /**
     * The data's scale at the edges of float64. σ scales by c^{2/N} when X does by c (λ by c², s by 1/c), exactly for c
     * a power of two up to the pow's rounding: at c = 2⁵⁰⁰ (X of order 1e150, XᵀX of order 1e300, whose squares leave
     * float64) σ was not computed at all — the power iteration's norm overflowed and X was called "all zeros". Data
     * whose own squares leave float64 is refused by name (it was "all zeros" for 1e-200, and "constant step must be
     * finite and positive, got NaN" for 1e200).
     */
    @Test
    void dataAtTheEdgesOfFloat64IsScaledOrRefusedByName() {
        SplittableRandom random = new SplittableRandom(8);
        double[][] x = new double[30][6];
        double[][] y = new double[30][2];
        for (int i = 0; i < 30; i++) {
            for (int k = 0; k < 6; k++) {
                x[i][k] = random.nextGaussian();
            }
            y[i][0] = x[i][0] - x[i][3];
            y[i][1] = 2 * x[i][2];
        }
        double c = Math.scalb(1.0, 500);
        double[][] big = new double[30][6];
        for (int i = 0; i < 30; i++) {
            for (int k = 0; k < 6; k++) {
                big[i][k] = c * x[i][k];
            }
        }
        try (DenseMatrix xm = Cases.matrix(x); DenseMatrix bigX = Cases.matrix(big); DenseMatrix ym = Cases.matrix(y)) {
            for (int depth = 2; depth <= 3; depth++) {
                double expected = NetworkScale.sigma(xm, ym, depth, false, 1) * Math.pow(c, 2.0 / depth);
                assertEquals(expected, NetworkScale.sigma(bigX, ym, depth, false, 1), 1e-12 * expected);
            }
            Architecture arch = Architecture.parse("dense:4,relu,dense:2", 6, null);
            double[][] tiny = new double[30][6];
            double[][] huge = new double[30][2];
            for (int i = 0; i < 30; i++) {
                for (int k = 0; k < 6; k++) {
                    tiny[i][k] = 1e-200 * x[i][k];
                }
                huge[i][0] = 1e200 * y[i][0];
            }
            try (DenseMatrix tinyX = Cases.matrix(tiny); DenseMatrix hugeY = Cases.matrix(huge)) {
                IllegalArgumentException under = assertThrows(IllegalArgumentException.class,
                        () -> NetworkTrainer.builder(tinyX, ym, arch).build());
                assertEquals("the inputs X are not zero, but the squares of their entries underflow float64 (their "
                        + "sum rounds to 0): scale X up by a constant", under.getMessage());
                IllegalArgumentException over = assertThrows(IllegalArgumentException.class,
                        () -> NetworkTrainer.builder(xm, hugeY, arch).build());
                assertEquals("the squares of the targets Y overflow float64 (their sum is Infinity): scale Y down by a "
                        + "constant", over.getMessage());
            }
        }
    }
}

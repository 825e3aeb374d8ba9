package org.autobalance.network;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The σ of {@code --schedule auto:C} for a network: η = C/σ with
 * σ = (N/2)·λ·s^{2(N−1)/N}, λ = λ_max(XᵀX/n), s = σ₁(YᵀX/n)/λ.
 *
 * <p>Meaning: for a depth-N <em>linear</em> network on whitened inputs (XᵀX/n = λI), s is the top singular value of
 * the least-squares map from x to y, and at a balanced minimiser every layer has top singular value s^{1/N}; the
 * largest Hessian eigenvalue of L there is N·λ·s^{2(N−1)/N} = 2σ. So η = C/σ gives η·λ_max(∇²L) = 2C there
 * (stable for C &lt; 1), exactly as {@code auto:C} does for the factorisation (η = C/σ₁(M), balanced-optimum
 * sharpness 2σ₁): for N = 2 with X = I and Y = Mᵀ, σ = σ₁(M)/n, which is the factorisation's
 * step scaled by n as L = f/n requires. For ReLU networks, or inputs that are far from white, it is a scale, not a
 * stability guarantee.
 */
public final class NetworkScale {
    /** Power iterations for λ and σ₁: enough for two significant digits on a gap-free spectrum, which a scale needs. */
    static final int POWER_ITERATIONS = 50;

    private NetworkScale() {
    }

    /** σ of the class comment for a depth-{@code depth} network fitting {@code y} from {@code x}. */
    public static double sigma(DenseMatrix x, DenseMatrix y, int depth, long seed) {
        int n = x.rows();
        int d = x.cols();
        int p = y.cols();
        double[][] c = new double[p][d];
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        DType tx = x.dtype();
        DType ty = y.dtype();
        double[] xrow = new double[d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                xrow[k] = Elements.get(xs, tx, (long) i * x.stride() + k);
            }
            for (int j = 0; j < p; j++) {
                double yv = Elements.get(ys, ty, (long) i * y.stride() + j) / n;
                for (int k = 0; k < d; k++) {
                    c[j][k] += yv * xrow[k];
                }
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = randomUnit(d, random);
        double lambda = 0.0;
        double[] xv = new double[n];
        for (int it = 0; it < POWER_ITERATIONS; it++) {
            for (int i = 0; i < n; i++) {
                double s = 0.0;
                for (int k = 0; k < d; k++) {
                    s += Elements.get(xs, tx, (long) i * x.stride() + k) * v[k];
                }
                xv[i] = s;
            }
            double[] w = new double[d];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < d; k++) {
                    w[k] += Elements.get(xs, tx, (long) i * x.stride() + k) * xv[i] / n;
                }
            }
            lambda = norm(w);
            if (lambda == 0.0) {
                throw new IllegalArgumentException("the inputs X are all zeros");
            }
            for (int k = 0; k < d; k++) {
                v[k] = w[k] / lambda;
            }
        }
        double[] u = randomUnit(d, random);
        double sigma1 = 0.0;
        for (int it = 0; it < POWER_ITERATIONS; it++) {
            double[] cu = new double[p];
            for (int j = 0; j < p; j++) {
                for (int k = 0; k < d; k++) {
                    cu[j] += c[j][k] * u[k];
                }
            }
            double[] w = new double[d];
            for (int j = 0; j < p; j++) {
                for (int k = 0; k < d; k++) {
                    w[k] += c[j][k] * cu[j];
                }
            }
            double nw = norm(w);
            if (nw == 0.0) {
                throw new IllegalArgumentException("the targets Y are uncorrelated with the inputs X (YᵀX = 0): "
                        + "auto cannot set a step; give --schedule constant:ETA");
            }
            sigma1 = Math.sqrt(nw);
            for (int k = 0; k < d; k++) {
                u[k] = w[k] / nw;
            }
        }
        double s = sigma1 / lambda;
        return depth / 2.0 * lambda * Math.pow(s, 2.0 * (depth - 1) / depth);
    }

    private static double[] randomUnit(int d, SplittableRandom random) {
        double[] v = new double[d];
        for (int k = 0; k < d; k++) {
            v[k] = random.nextGaussian();
        }
        double nv = norm(v);
        for (int k = 0; k < d; k++) {
            v[k] /= nv;
        }
        return v;
    }

    private static double norm(double[] v) {
        double s = 0.0;
        for (double z : v) {
            s += z * z;
        }
        return Math.sqrt(s);
    }
}

package org.autobalance.network;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;

/**
 * The σ of {@code --schedule auto:C} for a network: η = C/σ with
 * σ = (N/2)·λ·s^{2(N−1)/N}, λ = λ_max(XᵀX/n), s = σ₁(YᵀX/n)/λ.
 *
 * <p>Meaning: for a depth-N <em>linear</em> network on whitened inputs (XᵀX/n = λI), s is the top singular value of
 * the least-squares map from x to y, and at a balanced minimiser every layer has top singular value s^{1/N}; the
 * largest Hessian eigenvalue of L there is N·λ·s^{2(N−1)/N} = 2σ (checked against a finite-difference Hessian by
 * {@code NetworkScaleTest}). So η = C/σ gives η·λ_max(∇²L) = 2C there (stable for C &lt; 1), exactly as
 * {@code auto:C} does for the factorisation (η = C/σ₁(M), balanced-optimum sharpness 2σ₁): for N = 2 with X = I
 * and Y = Mᵀ, σ = σ₁(M)/n, which is the factorisation's step scaled by n as L = f/n requires.
 *
 * <p>With biases σ is at least 1/2: ∂²L/∂b_N² = I for the last layer's bias whatever the other parameters are, so
 * λ_max(∇²L) ≥ 1 everywhere. Without that floor, targets nearly uncorrelated with the inputs gave σ ≪ 1/2 and a step
 * η &gt; 2 that diverged along b_N at once. (Treating the first layer's bias as the weight of a constant input, i.e.
 * λ and s of [X 1], would be exact for a bias on the first layer only; with a bias on every layer, b_N carries the
 * targets' mean, and it overestimated the sharpness of a linear network about as much as the plain formula
 * underestimated it, with a step that took 839 iterations instead of 351 to converge: native-notes/network.md.)
 *
 * <p>For ReLU networks, or inputs that are far from white, σ is a scale, not a stability guarantee: a ReLU network
 * that fits what a linear map cannot grows sharper than this during training (ten times on random targets, see
 * native-notes/network.md), which is why the trainer backs off where an {@code auto} run would diverge
 * ({@link StepBackoff}).
 */
final class NetworkScale {
    /** Power iterations for λ and σ₁: enough for two significant digits on a gap-free spectrum, which a scale needs. */
    static final int POWER_ITERATIONS = 50;

    /** σ's lower bound with biases: half of λ_max(∂²L/∂b_N²) = λ_max(I) = 1. */
    static final double BIAS_FLOOR = 0.5;

    private NetworkScale() {
    }

    /**
     * σ of the class comment for a depth-{@code depth} network fitting {@code y} from {@code x}, with a bias on every
     * layer if {@code biases}.
     */
    static double sigma(DenseMatrix x, DenseMatrix y, int depth, boolean biases, long seed) {
        int n = x.rows();
        int d = x.cols();
        int p = y.cols();
        // YᵀX/n in double on the heap: Y and X of 4000 columns each (128 MB) passed a 128 MB heap's limit
        NativeMemory.requireHeap((long) p * d * Double.BYTES, () -> "estimate the step of the schedule auto from the "
                + p + " x " + d + " matrix YᵀX/n (doubles)");
        double[][] c = new double[p][d];
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        DType tx = x.dtype();
        DType ty = y.dtype();
        double[] xrow = new double[d];
        double sumX2 = 0.0;
        double sumY2 = 0.0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                xrow[k] = Elements.get(xs, tx, (long) i * x.stride() + k);
                sumX2 += xrow[k] * xrow[k];
            }
            for (int j = 0; j < p; j++) {
                double yij = Elements.get(ys, ty, (long) i * y.stride() + j);
                sumY2 += yij * yij;
                double yv = yij / n;
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
                if (biases) {
                    return BIAS_FLOOR; // all-zero inputs: the biases alone fit, the last one's curvature 1
                }
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
                sigma1 = 0.0;
                break;
            }
            sigma1 = Math.sqrt(nw);
            for (int k = 0; k < d; k++) {
                u[k] = w[k] / nw;
            }
        }
        // Σ_i y_i x_iᵀ/n in double errs by at most n·u·Σ_i |y_i||x_i|ᵀ/n (u = 2^-53), whose norm is at most
        // u·‖Y‖_F·‖X‖_F: a σ₁ below that is rounding, not correlation
        if (sigma1 <= 0x1p-53 * Math.sqrt(sumX2) * Math.sqrt(sumY2)) {
            if (biases) {
                return BIAS_FLOOR; // s = 0: only the floor is left
            }
            throw new IllegalArgumentException("the targets Y are uncorrelated with the inputs X (YᵀX = 0 up to "
                    + "rounding): auto cannot set a step; give the schedule constant:ETA (Builder.schedule; "
                    + "--schedule on the command line)");
        }
        double s = sigma1 / lambda;
        double linear = depth / 2.0 * lambda * Math.pow(s, 2.0 * (depth - 1) / depth);
        return biases ? Math.max(linear, BIAS_FLOOR) : linear;
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

    /**
     * ‖v‖, also where the squares leave float64 while the norm does not: inputs of order 1e150 have XᵀX of order
     * 1e300, whose squares overflowed, so the power iteration's vector became 0 and X was reported "all zeros".
     */
    private static double norm(double[] v) {
        double s = 0.0;
        for (double z : v) {
            s += z * z;
        }
        if (Double.isFinite(s) && s >= Double.MIN_NORMAL) {
            return Math.sqrt(s);
        }
        double max = 0.0;
        for (double z : v) {
            max = Math.max(max, Math.abs(z));
        }
        if (max == 0.0 || !Double.isFinite(max)) {
            return max;
        }
        double scaled = 0.0;
        for (double z : v) {
            scaled += (z / max) * (z / max);
        }
        return max * Math.sqrt(scaled);
    }
}

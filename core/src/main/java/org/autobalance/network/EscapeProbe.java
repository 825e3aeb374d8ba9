package org.autobalance.network;

import static org.autobalance.solve.internal.SmallLinearAlgebra.axpy;
import static org.autobalance.solve.internal.SmallLinearAlgebra.dot;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.kernel.ScalarGemm;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.Float32RangeException;
import org.autobalance.solve.Checkpoint;
import org.autobalance.solve.internal.CheckpointReader;
import org.autobalance.solve.internal.CheckpointWriter;
import org.autobalance.solve.internal.PlateauCheck;
import org.autobalance.solve.internal.SmallLinearAlgebra;

/**
 * A network's escape test for {@link PlateauCheck}: is there a way down from an iterate that passed the first-order
 * test, along what the network has not learned yet? Two curves through the iterate, each evaluated with forward
 * passes and the parameters restored bit for bit afterwards; the iterate is on a plateau if either falls more than Δ
 * below L.
 *
 * <p><b>The unlearned parts, scaled.</b> From a small start every layer's singular values start at the start's
 * scale; those a run has learned grow beyond it. Layer h's parameters A_h = [W_h b_h] (units as rows; the last layer
 * without its bias, which enters the loss linearly and has no plateau) split into a learned part and S_h, their
 * projection on the left singular vectors whose singular values are below ϑ_h = {@link PlateauCheck#GROWTH}^{1/N}
 * times σ₁(A_h at the start). Scaling every S_h by λ (S_N by ±λ: the output is linear in W_N, so −λ flips the
 * path's sign) changes the output through the unlearned directions by μ = ±λ^N times itself to leading order, so
 * along that curve L(μ) = L − μ·a + μ²·b with a = ⟨R, g⟩/n, b = ‖g‖²/(2n), R the residual and g the output through
 * the unlearned parts (exactly for a linear network whose unlearned directions do not mix with the learned ones). At
 * a critical point a = 0 (Euler's identity for the homogeneous map makes a a combination of ⟨∇_h L, S_h⟩, all zero),
 * so L only rises; on a saddle plateau a ≠ 0 and the curve falls by up to a²/(4b) however small g is — the gradient
 * there is small only because S_h is. The grid λ = 2^{j/N}, j = 1, 2, … doubles μ, so its best point gets at least
 * 83 % of a²/(4b) (μ/μ* ∈ [1/√2, √2] keeps 2k − k² ≥ 0.83); each sign stops at the first point at or above L + Δ.
 * For two linear layers this is the factorisation's second-order direction (a wᵀ, b wᵀ) of
 * {@code EckartYoungCheck}, with the directions GD has already grown the unlearned columns into (along R's leading
 * ones, as power iteration does) in place of R's top singular pair.
 *
 * <p><b>The last layer's exact line search.</b> L is quadratic in the last layer, so along −∇_{W_N}L it is
 * L − α‖g‖² + α²c: one trial point gives c, the next is the minimiser α* = ‖g‖²/(2c), D = ‖g‖⁴/(4c) below L (both
 * read in units of the trial step, so that neither over- nor underflows from a tiny start). D does
 * not depend on the scale of the hidden features (g scales with them and c with their square): it sees a residual
 * that features still at the start's scale explain even when their singular directions are not yet aligned with it,
 * which the scaled curve misses. (Measured: on the mean-only saddle of a 2-hidden-layer ReLU student, only this one
 * found the way down.)
 *
 * <p>On both curves b_N is refitted at every point (b_N has Hessian I: one Newton step, b_N − ∇_{b_N}L, is its
 * minimiser). On the mean-only saddle (only b_N fitted) the hidden features are nearly constant — their biases
 * dominate — and without the refit the constant part of the outputs' change, which b_N absorbs anyway, hid the
 * variable part the escape is made of (both curves rose from the first point).
 *
 * <p>Δ = tol·‖Y‖²_F/n is the first-order test's own scale: an escape lowering L by less than the resolution the stop
 * rule asks of the gradient (‖∇L‖·‖θ‖ ≤ tol·‖Y‖²_F/n, the same units) is not worth pursuing, and it lies far above
 * the loss's rounding (≈ u·L). An exactly fitted target (R ≈ 0) therefore converges with its extra directions at the
 * start's scale, as the factorisation's exact-rank matrix does. What neither curve sees: an escape along a direction
 * that no layer carries at all (every hidden unit dead), or the full-width saddles that gradient descent from a random
 * start avoids. The count of singular values below ϑ_h (all layers) rations the checks ({@link PlateauCheck}).
 */
final class EscapeProbe {
    /**
     * Rows of a layer's Gram computed by one GEMM call: the lower triangle in row blocks, each a block × (its end)
     * product, so that the upper triangle costs only the diagonal blocks' halves; the run's cancellation is asked
     * between two blocks (at 4000 units, 64 rows are about 1 Gflop).
     */
    private static final int GRAM_ROWS = 64;
    /**
     * The least n²·max(rows, cols) (about 1500³) for which a layer's Gram is worth the GEMM kernels: their first calls
     * in a process run before C2 has compiled them, 0.4–0.6 s of CPU more than the loop at 1000 units (a check in a
     * fresh JVM at 500: 0.63 s with the loop, 1.2 s with the kernels), which they win back from about 1500 (2000: the
     * Gram 2.3–3.0 s by the loop, 1.4–1.5 s by the kernels' first calls; native-notes/network.md, fifteenth session).
     */
    private static final double GEMM_GRAM_WORK = 1500.0 * 1500.0 * 1500.0;
    /** Rows of a layer's Gram the loop accumulates together: 16 rows of 1500 doubles, 192 KB, stay in L2. */
    private static final int LOOP_GRAM_ROWS = 16;
    /** The side of the tiles a wide layer is transposed in. */
    private static final int TRANSPOSE_TILE = 32;
    /**
     * Grid points per layer at least (λ up to 2^{60}): from a start of ordinary scale the loss rises or overflows long
     * before ({@link #pointsPerLayer} reaches further from a tiny one).
     */
    private static final int MAX_POINTS_PER_LAYER = 60;

    private final int depth;
    private final boolean biases;
    private final double[] levels;
    private final double threshold;
    private final PlateauCheck rationing = new PlateauCheck();
    private boolean cutShort;
    private final GemmKernels kernels;

    /**
     * @param levels ϑ_h per layer ({@link #levels})
     * @param threshold Δ, in units of L
     * @param kernels the run's GEMM kernels, which form each layer's Gram
     */
    EscapeProbe(Architecture arch, boolean biases, double[] levels, double threshold, GemmKernels kernels) {
        this.kernels = kernels;
        this.depth = arch.depth();
        this.biases = biases;
        this.levels = levels.clone();
        this.threshold = threshold;
    }

    /**
     * ϑ_h = GROWTH^{1/N}·σ₁(A_h) for the start's parameters. Only σ₁: Lanczos on the smaller Gram, applied as
     * A(Aᵀx) or Aᵀ(Ax) and never formed, where the whole spectrum cost a square wide layer's Gram and its
     * eigen-decomposition before the first iteration.
     */
    static double[] levels(Parameters start) {
        int n = start.architecture().depth();
        double perLayer = Math.pow(PlateauCheck.GROWTH, 1.0 / n);
        double[] levels = new double[n];
        for (int h = 1; h <= n; h++) {
            double[] a = stacked(start, h);
            int rows = start.weights(h).rows();
            levels[h - 1] = perLayer * largestSingularValue(a, rows, a.length / rows);
        }
        return levels;
    }

    /**
     * σ₁ of the rows × cols matrix a: the square root of the largest eigenvalue of its smaller Gram, AAᵀ or AᵀA, by
     * {@link SmallLinearAlgebra#largestEigenvalue} (4·rows·cols flops a step: two products).
     */
    static double largestSingularValue(double[] a, int rows, int cols) {
        boolean wide = rows <= cols;
        int n = Math.min(rows, cols);
        int inner = Math.max(rows, cols);
        double[] middle = new double[inner];
        SmallLinearAlgebra.Operator gram = (x, from, v) -> {
            // middle = Aᵀx (wide) or Ax (tall), then v = A·middle or Aᵀ·middle, each along a's rows
            Arrays.fill(middle, 0.0);
            Arrays.fill(v, 0.0);
            for (int i = 0; i < rows; i++) {
                int row = i * cols;
                if (wide) {
                    axpy(x[from + i], a, row, middle, 0, cols);
                } else {
                    middle[i] = dot(a, row, x, from, cols);
                }
            }
            for (int i = 0; i < rows; i++) {
                int row = i * cols;
                if (wide) {
                    v[i] = dot(a, row, middle, 0, cols);
                } else {
                    axpy(middle[i], a, row, v, 0, cols);
                }
            }
        };
        return Math.sqrt(Math.max(SmallLinearAlgebra.largestEigenvalue(gram, n), 0.0));
    }

    /**
     * Whether the iterate in {@code params} (which passed the first-order test at iteration t) is a minimiser: neither
     * curve finds a way down (when a check is due, see {@link PlateauCheck}).
     *
     * @param step the training step over {@code params}, whose forward pass evaluates the probe
     * @param scratch parameters of the same shape, to keep the iterate during the probe (overwritten)
     * @param fresh check now, for the verdict at the end of a run
     * @param cancelled whether the run was asked to stop: asked between two points of a curve and inside each
     *     layer's SVD (every 64 rows of its Gram, every Householder step and QL iteration: O(n²) work at most
     *     between two questions; every vector, O(n·c·iterations) in a cluster of c), the check ends there, as if it
     *     had not begun (no verdict remembered, the iterate restored), and answers false, so that the caller's own
     *     test of the cancellation ends the run. A check on a square wide layer takes seconds to a minute (4000
     *     units: ~35 s CPU), and Ctrl-C's wait for the run to write what it reached ends after 60 s: asked only
     *     between layers, a cancel waited for the layer.
     */
    boolean minimiser(long t, Parameters params, TrainingStep step, Parameters scratch, boolean fresh,
            BooleanSupplier cancelled) {
        // the unlearned parts, from the SVDs the count needs (computed only when a check may be due)
        double[][] small = new double[depth][];
        IntSupplier unlearned = () -> {
            int total = 0;
            for (int h = 1; h <= depth; h++) {
                stopIf(cancelled);
                double[] a = stacked(params, h);
                int rows = params.weights(h).rows();
                int cols = a.length / rows;
                Unlearned part = unlearned(a, rows, cols, levels[h - 1], gramKernels(kernels, rows, cols),
                        SmallLinearAlgebra.QL_ITERATIONS_PER_VALUE, SmallLinearAlgebra.PartialEigen.INVERSE_ITERATIONS,
                        () -> stopIf(cancelled));
                total += part.count();
                small[h - 1] = part.part();
            }
            return total;
        };
        cutShort = false;
        try {
            // the rationing remembers nothing of a check that throws
            return rationing.minimiser(t, unlearned, () -> escapes(params, step, scratch, small, cancelled), fresh);
        } catch (Cancelled stopped) {
            cutShort = true;
            return false;
        }
    }

    /**
     * Whether the last {@link #minimiser} call was ended by the cancellation: its check began and was dropped, so a
     * checkpoint of that iterate would be resumed past a check the whole run makes (a call whose check was not due,
     * or that finished, was not cut short).
     */
    boolean cutShort() {
        return cutShort;
    }

    /** Thrown out of a check that was asked to stop, through {@link PlateauCheck#minimiser}. */
    private static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super(null, null, false, false);
        }
    }

    private static void stopIf(BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            throw new Cancelled();
        }
    }

    private boolean escapes(Parameters params, TrainingStep step, Parameters scratch, double[][] small,
            BooleanSupplier cancelled) {
        scratch.copyFrom(params);
        try {
            double base = step.loss();
            return alongTheUnlearnedParts(params, step, scratch, small, base, cancelled)
                    || alongTheLastGradient(params, step, scratch, base);
        } catch (Float32RangeException unreadable) {
            // a curve that leaves float32's range before it rises cannot be read; the flat one of a tiny start (3
            // layers of 1e-20: a trial step of 1e39) is the zero network's, a saddle: not taken for a minimiser
            return true;
        } finally {
            params.copyFrom(scratch);
        }
    }

    /** The scaling curve: whether it falls below L − Δ before it rises above L + Δ. */
    private boolean alongTheUnlearnedParts(Parameters params, TrainingStep step, Parameters start, double[][] small,
            double base, BooleanSupplier cancelled) {
        if (Arrays.stream(small).allMatch(Objects::isNull)) {
            return false;
        }
        int points = pointsPerLayer(params, small);
        for (int sign = 1; sign >= -1; sign -= 2) {
            for (int j = 1; j <= points * depth; j++) {
                stopIf(cancelled);
                double lambda = Math.pow(2, (double) j / depth);
                for (int h = 1; h <= depth; h++) {
                    if (small[h - 1] != null) {
                        // the last layer is linear in its weights: −λ there flips the unlearned path's output
                        addScaled(start, params, h, small[h - 1], (h == depth ? sign * lambda : lambda) - 1);
                    }
                }
                double loss = refitted(params, start, step);
                if (loss < base - threshold) {
                    return true;
                }
                if (!(loss < base + threshold)) {
                    break;
                }
            }
        }
        return false;
    }

    /**
     * The scaling curve's reach, in doublings of λ: {@link #MAX_POINTS_PER_LAYER}, or more where the unlearned parts
     * are so small that 2^60 leaves some layer's far below the entries of a layer of unit gain (1/√fan-in): then up to
     * 2^10 times that scale. A start of 1e-20 in 5 layers with biases sat on the mean-only saddle, its last hidden
     * features a bias of ~1e-17 plus a part of ~1e-80 below float64's resolution of it; its way down shows from λ ≈
     * 2^65, and the curve stopped at 2^60 and took the saddle for a minimiser.
     */
    private int pointsPerLayer(Parameters params, double[][] small) {
        double reach = MAX_POINTS_PER_LAYER;
        for (int h = 1; h <= depth; h++) {
            double[] part = small[h - 1];
            if (part == null) {
                continue;
            }
            double largest = 0.0;
            for (double v : part) {
                largest = Math.max(largest, Math.abs(v));
            }
            if (largest > 0) {
                double unitGain = 1 / Math.sqrt(params.weights(h).cols());
                reach = Math.max(reach, 10 + Math.log(unitGain / largest) / Math.log(2));
            }
        }
        // λ = 2^1000 is the last power of two in float64's range
        return (int) Math.ceil(Math.min(reach, 1000));
    }

    /** The last layer's exact line search: whether its minimum lies below L − Δ. */
    private boolean alongTheLastGradient(Parameters params, TrainingStep step, Parameters start, double base) {
        params.copyFrom(start);
        step.lossAndGradients();
        // copied: the refits recompute the step's gradients
        try (DenseMatrix g = step.gradients().weights(depth).copy(params.dtype())) {
            // along the unit direction d = g/‖g‖, L(β) = L − β‖g‖ + β²c. From a tiny start g is tiny too (the
            // features below layer N scale as the start to the power N − 1): in units of g the trial step's square,
            // 1/‖g‖⁴, overflowed (5 layers of 1e-20: "converged" at the zero network, a saddle), and c, of the
            // features' squared scale, underflows. So the trial step is β₀ = L/‖g‖, which would take all of L if the
            // curve were flat, and the curve is read in units of it: L(sβ₀) = L − sL + s²L(β₀), minimal at
            // s = L/(2L(β₀)). ‖g‖ is taken from g/max|g|, whose squares do not underflow.
            double largest = 0.0;
            for (int i = 0; i < g.rows(); i++) {
                for (int j = 0; j < g.cols(); j++) {
                    largest = Math.max(largest, Math.abs(g.get(i, j)));
                }
            }
            if (!(largest > 0)) {
                return false;
            }
            divide(g, largest);
            double norm = Math.sqrt(Invariants.squaredNorm(g));
            divide(g, norm);
            double trial = base / (norm * largest);
            double atTrial = movedLoss(params, start, g, trial, step);
            if (atTrial < base - threshold) {
                return true;
            }
            // from here s < 1: the minimiser lies inside the trial step
            return atTrial > 0 && movedLoss(params, start, g, trial * (base / (2 * atTrial)), step) < base - threshold;
        }
    }

    private static void divide(DenseMatrix m, double divisor) {
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                m.set(i, j, m.get(i, j) / divisor);
            }
        }
    }

    /** L (b_N refitted) with W_N = W_N(start) − β·d. */
    private double movedLoss(Parameters params, Parameters start, DenseMatrix d, double beta, TrainingStep step) {
        DenseMatrix w0 = start.weights(depth);
        DenseMatrix w = params.weights(depth);
        for (int i = 0; i < w.rows(); i++) {
            for (int j = 0; j < w.cols(); j++) {
                w.set(i, j, w0.get(i, j) - beta * d.get(i, j));
            }
        }
        return refitted(params, start, step);
    }

    /**
     * L at {@code params} with, when the network has biases, b_N refitted exactly (b_N has Hessian I: one Newton
     * step, b_N − ∇_{b_N}L, is its minimiser). The constant part of the outputs' change, which b_N absorbs, does not
     * count: on the mean-only saddle the hidden features are nearly constant (their biases dominate), and without the
     * refit their constant part hides the variable one the escape is made of.
     */
    private double refitted(Parameters params, Parameters start, TrainingStep step) {
        if (!biases) {
            return step.loss();
        }
        DenseMatrix b = params.biases(depth);
        b.copyFrom(start.biases(depth));
        step.lossAndGradients();
        DenseMatrix gb = step.gradients().biases(depth);
        for (int k = 0; k < b.cols(); k++) {
            b.set(0, k, b.get(0, k) - gb.get(0, k));
        }
        return step.loss();
    }

    /** A_h = [W_h b_h] (the last layer without its bias), rows = units, row-major. */
    private static double[] stacked(Parameters p, int h) {
        DenseMatrix w = p.weights(h);
        boolean bias = p.hasBiases() && h < p.architecture().depth();
        int rows = w.rows();
        int cols = w.cols() + (bias ? 1 : 0);
        double[] a = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < w.cols(); j++) {
                a[i * cols + j] = w.get(i, j);
            }
            if (bias) {
                a[i * cols + w.cols()] = p.biases(h).get(0, i);
            }
        }
        return a;
    }

    /** target_h = start_h + grow·small_h, written into {@code target}'s layer h (weights and, if stacked, bias). */
    private void addScaled(Parameters start, Parameters target, int h, double[] small, double grow) {
        DenseMatrix w0 = start.weights(h);
        DenseMatrix w = target.weights(h);
        boolean bias = biases && h < depth;
        int cols = w.cols() + (bias ? 1 : 0);
        for (int i = 0; i < w.rows(); i++) {
            for (int j = 0; j < w.cols(); j++) {
                w.set(i, j, w0.get(i, j) + grow * small[i * cols + j]);
            }
            if (bias) {
                target.biases(h).set(0, i, start.biases(h).get(0, i) + grow * small[i * cols + w.cols()]);
            }
        }
    }

    /**
     * How many singular values of a layer's A lie below its level, and A's projection on their left singular
     * directions ({@code part}, null when there are none).
     */
    record Unlearned(int count, double[] part) {
    }

    /**
     * The rows × cols matrix a's singular values below the level and its projection on their directions, from the
     * eigen-decomposition of the smaller Gram, AAᵀ or AᵀA (its eigenvectors: the left singular vectors when rows ≤
     * cols, else the right ones). The larger Gram cost a wide layer's Jacobi sweeps for nothing: dense:1000 after 20
     * inputs (a 1000 × 20 A) took 51 s before its first iteration on a 1000 × 1000 eigenproblem of rank 20.
     *
     * <p>The values come from Householder + QL without vectors ({@link SmallLinearAlgebra#symmetricEigenValues}),
     * and the vectors only of the smaller group, the values at or above the level or those below it ({@link #project}
     * needs one or the other), by inverse iteration: a square wide layer of few learned directions paid 26 of a
     * check's 33 s at 2000 units for the whole basis (native-notes/network.md, fourteenth session). The values, hence
     * the count, are the bits the whole decomposition gives. Where inverse iteration fails its check, the group's
     * vectors come from the whole decomposition ({@link SmallLinearAlgebra#symmetricEigenTridiagonal}); where QL
     * fails to converge (its iteration cap; no such matrix is known), from Jacobi ({@code symmetricEigen}): slow on a
     * large Gram, but the check goes on with the same values to rounding, where giving up would leave the verdict to
     * chance.
     *
     * <p>{@code kernels} form the Gram (null: a loop, for small layers, {@link #GEMM_GRAM_WORK}). {@code poll} runs
     * between pieces of O(64·n·max(rows, cols)) work at most (the Gram's row blocks; the reduction's steps and QL's
     * iterations are O(n²), each vector O(n·c·iterations) in a cluster of c values: {@link
     * SmallLinearAlgebra.PartialEigen#vectors(int, int, int, Runnable)}); the caller abandons the check by throwing
     * from it.
     */
    static Unlearned unlearned(double[] a, int rows, int cols, double level, GemmKernels kernels, int qlIterations,
            int inverseIterations, Runnable poll) {
        int n = Math.min(rows, cols);
        double[] gram = smallerGram(a, rows, cols, kernels, poll);
        SmallLinearAlgebra.PartialEigen eigen = null;
        double[] all = null;
        double[] lambda;
        try {
            eigen = SmallLinearAlgebra.symmetricEigenValues(gram, n, qlIterations, poll);
            lambda = eigen.values();
        } catch (ArithmeticException notConverged) {
            all = new double[n * n];
            lambda = SmallLinearAlgebra.symmetricEigen(gram, n, all, poll);
        }
        // largest first: the values below the level are the last ones
        int below = 0;
        for (double value : lambda) {
            below += Math.sqrt(Math.max(value, 0.0)) < level ? 1 : 0;
        }
        if (below == 0) {
            return new Unlearned(0, null);
        }
        boolean complement = n - below < below;
        int from = complement ? 0 : n - below;
        int to = complement ? n - below : n;
        double[] vectors = null;
        if (eigen != null) {
            try {
                vectors = eigen.vectors(from, to, inverseIterations, poll);
            } catch (ArithmeticException unchecked) {
                all = new double[n * n];
                SmallLinearAlgebra.symmetricEigenTridiagonal(gram, n, all, qlIterations, poll);
            }
        }
        if (vectors == null) {
            vectors = new double[n * (to - from)];
            for (int i = 0; i < n; i++) {
                System.arraycopy(all, i * n + from, vectors, i * (to - from), to - from);
            }
        }
        return new Unlearned(below, project(a, rows, cols, vectors, to - from, complement, poll));
    }

    /**
     * The kernels for a rows × cols layer's Gram: null (the loop) below {@link #GEMM_GRAM_WORK}, and always with the
     * scalar kernels (no Vector API, or {@code -Dautobalance.kernels=scalar}), whose textbook triple loop (a strided
     * dot product per entry) took 2.1–3.3 s of CPU for a 1000 × 1001 layer's Gram where the loop takes 0.4–0.55 s.
     */
    static GemmKernels gramKernels(GemmKernels kernels, int rows, int cols) {
        double n = Math.min(rows, cols);
        return n * n * Math.max(rows, cols) >= GEMM_GRAM_WORK && !(kernels instanceof ScalarGemm) ? kernels : null;
    }

    /**
     * AAᵀ (rows ≤ cols) or AᵀA, n × n for n = min(rows, cols), symmetric: G = BᵀB for B = Aᵀ or A (inner × n, inner
     * = max(rows, cols)), by the run's GEMM kernels on native copies, {@link #GRAM_ROWS} rows of the lower triangle a
     * call (G[i0 … i1) × [0 … i1)), mirrored. Accumulated a row of B at a time with axpy (16 rows of G per pass over
     * B), the Gram of a 2000 × 2001 layer took 2.8–3.3 s of CPU, about 3 Gflop/s (native-notes/network.md, fifteenth
     * session). The kernels' sums differ from that loop's only in rounding, and are the same bits in every call with
     * the same kernels, as the run's own products are. With {@code kernels} null (a small layer), by that loop.
     */
    private static double[] smallerGram(double[] a, int rows, int cols, GemmKernels kernels, Runnable poll) {
        if (kernels == null) {
            return smallerGramByRows(a, rows, cols, poll);
        }
        boolean wide = rows <= cols;
        int n = Math.min(rows, cols);
        int inner = Math.max(rows, cols);
        double[] gram = new double[n * n];
        // shared, though one thread uses it: B and G go to the GEMM kernels (SparseMatrix.Builder.build's sorting arena
        // says why a confined arena's segments should not reach them)
        try (Arena arena = Arena.ofShared()) {
            MemorySegment b = arena.allocate((long) inner * n * Double.BYTES, Double.BYTES);
            if (wide) {
                // Aᵀ a tile of its rows at a time, through the heap (plain array stores: a segment's element access
                // costs more until C2 has compiled it), straight into the native B
                double[] tile = new double[Math.min(TRANSPOSE_TILE, cols) * rows];
                for (int j0 = 0; j0 < cols; j0 += TRANSPOSE_TILE) {
                    poll.run();
                    int j1 = Math.min(cols, j0 + TRANSPOSE_TILE);
                    transposeRows(a, rows, cols, j0, j1, tile, 0);
                    MemorySegment.copy(tile, 0, b, ValueLayout.JAVA_DOUBLE, (long) j0 * rows * Double.BYTES,
                            (j1 - j0) * rows);
                }
            } else {
                MemorySegment.copy(a, 0, b, ValueLayout.JAVA_DOUBLE, 0, a.length);
            }
            // one block's rows at a time: a whole n × n product beside the Gram cost 128 MB more at 4000 units
            MemorySegment g = arena.allocate((long) GRAM_ROWS * n * Double.BYTES, Double.BYTES);
            for (int i0 = 0; i0 < n; i0 += GRAM_ROWS) {
                poll.run();
                int i1 = Math.min(n, i0 + GRAM_ROWS);
                // G[i, k] = Σ_j B[j, i]·B[j, k] for i in [i0, i1), k < i1
                kernels.gemm(DType.FLOAT64, true, i1 - i0, i1, inner, b, i0, n, b, 0, n, g, 0, n, false);
                for (int i = i0; i < i1; i++) {
                    MemorySegment.copy(g, ValueLayout.JAVA_DOUBLE, (long) (i - i0) * n * Double.BYTES, gram, i * n,
                            i + 1);
                }
            }
        }
        mirrorLowerTriangle(gram, n);
        return gram;
    }

    /**
     * {@link #smallerGram}'s G = BᵀB accumulated a row of B at a time, {@link #LOOP_GRAM_ROWS} rows of G per pass over
     * B: each G_ik = Σ_j B_ji·B_jk summed over j in order.
     */
    private static double[] smallerGramByRows(double[] a, int rows, int cols, Runnable poll) {
        boolean wide = rows <= cols;
        int n = Math.min(rows, cols);
        int inner = Math.max(rows, cols);
        double[] b = a;
        if (wide) {
            b = new double[rows * cols];
            for (int j0 = 0; j0 < cols; j0 += TRANSPOSE_TILE) {
                poll.run();
                transposeRows(a, rows, cols, j0, Math.min(cols, j0 + TRANSPOSE_TILE), b, j0 * rows);
            }
        }
        double[] gram = new double[n * n];
        for (int i0 = 0; i0 < n; i0 += LOOP_GRAM_ROWS) {
            poll.run();
            int i1 = Math.min(n, i0 + LOOP_GRAM_ROWS);
            for (int j = 0; j < inner; j++) {
                for (int i = i0; i < i1; i++) {
                    // G_ik += B_ji·B_jk for k ≤ i
                    axpy(b[j * n + i], b, j * n, gram, i * n, i + 1);
                }
            }
        }
        mirrorLowerTriangle(gram, n);
        return gram;
    }

    /**
     * Rows [j0, j1) of Aᵀ for the rows × cols row-major a, written row-major from out[from] on, in tiles of
     * {@link #TRANSPOSE_TILE} rows of a so that both sides stay in cache.
     */
    private static void transposeRows(double[] a, int rows, int cols, int j0, int j1, double[] out, int from) {
        for (int i0 = 0; i0 < rows; i0 += TRANSPOSE_TILE) {
            for (int j = j0; j < j1; j++) {
                int to = from + (j - j0) * rows;
                for (int i = i0; i < Math.min(i0 + TRANSPOSE_TILE, rows); i++) {
                    out[to + i] = a[i * cols + j];
                }
            }
        }
    }

    /** Copies the lower triangle of the n × n row-major matrix g onto its upper one. */
    private static void mirrorLowerTriangle(double[] g, int n) {
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < i; k++) {
                g[k * n + i] = g[i * n + k];
            }
        }
    }

    /**
     * P·A with P the projector on the left singular vectors uₖ of a whose singular values are below the level:
     * Σₖ uₖ(uₖᵀA), or, from the right singular vectors vₖ, Σₖ (Avₖ)vₖᵀ — the same matrix, as Avₖ = σₖuₖ and uₖᵀA =
     * σₖvₖᵀ. With {@code complement}, the {@code vectors} are those of the values at or above the level instead, and
     * P·A is A less the same sums over them: the vectors of both groups make a whole orthonormal basis, so where
     * fewer values lie at or above the level this is the same matrix for a fraction of the cost (a grown layer of a
     * few learned directions summed thousands). Both are off by about u·σ₁ per entry: the direct sum's products uₖᵀA
     * (Avₖ) run along A's rows (columns), learned part included, as the complement's subtraction of that part does.
     *
     * @param vectors the group's singular vectors on the smaller side, as the columns of a min(rows, cols) × g
     *     row-major matrix
     */
    static double[] project(double[] a, int rows, int cols, double[] vectors, int g, boolean complement,
            Runnable poll) {
        boolean wide = rows <= cols;
        double[] s = complement ? a.clone() : new double[rows * cols];
        double sign = complement ? -1.0 : 1.0;
        // uₖᵀA (cols values) or Avₖ (rows values)
        double[] product = new double[wide ? cols : rows];
        for (int k = 0; k < g; k++) {
            poll.run();
            Arrays.fill(product, 0.0);
            for (int i = 0; i < rows; i++) {
                if (wide) {
                    axpy(vectors[i * g + k], a, i * cols, product, 0, cols);
                } else {
                    product[i] = dotWithColumn(a, i * cols, vectors, k, g, cols);
                }
            }
            for (int i = 0; i < rows; i++) {
                if (wide) {
                    axpy(sign * vectors[i * g + k], product, 0, s, i * cols, cols);
                } else {
                    for (int j = 0; j < cols; j++) {
                        s[i * cols + j] += sign * product[i] * vectors[j * g + k];
                    }
                }
            }
        }
        return s;
    }

    /** Σ_j x[from + j]·v[j·n + k], j &lt; len: a row of A times the k-th column of the len × n vectors. */
    private static double dotWithColumn(double[] x, int from, double[] v, int k, int n, int len) {
        double sum = 0.0;
        for (int j = 0; j < len; j++) {
            sum += x[from + j] * v[j * n + k];
        }
        return sum;
    }

    /** Adds the probe's state to a network checkpoint: the levels and the rationing. */
    void save(CheckpointWriter w) {
        w.doubles(NetworkTrainer.PLATEAU_LEVELS, levels).doubles("plateau_state", rationing.state().encode());
    }

    /** Restores the rationing saved by {@link #save} (the levels are read by the caller, before construction). */
    void restore(Checkpoint c) {
        rationing.restore(PlateauCheck.State.decode(CheckpointReader.doubles(c, "plateau_state")));
    }
}

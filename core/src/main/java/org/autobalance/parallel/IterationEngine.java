package org.autobalance.parallel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * Internal (not exported by the module): the solver's engine. The parallel building blocks of one iteration over fixed M, U, V: the fused pass (MV, MᵀU, UᵀU, ⟨U, MV⟩), the
 * reduction of the per-chunk partials with VᵀV, the gradient step on both factors, and the exact residual. Owns its
 * scratch matrices; allocates nothing per iteration.
 *
 * <p>Determinism: chunk boundaries depend only on the sizes and the thread count, and partials are added in chunk
 * order, so with a deterministic kernel a run is bit-for-bit reproducible for a fixed thread count.
 */
public final class IterationEngine implements AutoCloseable {
    private final FactorKernels kernels;
    private final ParallelPass pass;
    private final DenseMatrix m;
    private final DenseMatrix u;
    private final DenseMatrix v;
    private final int r;
    private final DenseMatrix mv;
    private final DenseMatrix mtu;
    private final DenseMatrix[] mtuPartials;
    private final double[][] gramUPartials;
    private final double[][] gramVPartials;
    /** UᵀU after {@link #fusedPass()} or {@link #grams()}, r × r row-major (read-only for callers). */
    public final double[] gramU;
    /** VᵀV, as {@link #gramU}. */
    public final double[] gramV;

    private final ParallelPass.RangeTask fusedTask;
    private final ParallelPass.RangeTask reduceTask;
    private final ParallelPass.RangeTask stepTask;
    private final ParallelPass.RangeTask residualTask;
    private final ParallelPass.RangeTask gramTask;
    private double[] stepCoefficientsU;
    private double[] stepCoefficientsV;
    private double stepEta;

    public IterationEngine(FactorKernels kernels, ParallelPass pass, DenseMatrix m, DenseMatrix u, DenseMatrix v) {
        this.kernels = kernels;
        this.pass = pass;
        this.m = m;
        this.u = u;
        this.v = v;
        this.r = u.cols();
        int threads = pass.threads();
        DType dtype = m.dtype();
        this.mv = DenseMatrix.allocate(dtype, m.rows(), r);
        this.mtu = DenseMatrix.allocate(dtype, m.cols(), r);
        this.mtuPartials = new DenseMatrix[threads];
        mtuPartials[0] = mtu; // with one chunk the partial is the result
        for (int c = 1; c < threads; c++) {
            mtuPartials[c] = DenseMatrix.allocate(dtype, m.cols(), r);
        }
        this.gramUPartials = new double[threads][r * r];
        this.gramVPartials = new double[threads][r * r];
        this.gramU = new double[r * r];
        this.gramV = new double[r * r];

        this.fusedTask = (c, start, end) -> {
            DenseMatrix partial = mtuPartials[c];
            partial.segment().fill((byte) 0);
            kernels.fusedPass(m, u, v, start, end, mv, partial);
            Arrays.fill(gramUPartials[c], 0.0);
            kernels.gram(u, start, end, gramUPartials[c]);
            return kernels.dot(u, mv, start, end);
        };
        this.reduceTask = (c, start, end) -> {
            if (mtuPartials.length > 1) {
                addPartials(start, end);
            }
            Arrays.fill(gramVPartials[c], 0.0);
            kernels.gram(v, start, end, gramVPartials[c]);
            return 0.0;
        };
        this.stepTask = (c, start, end) -> (stepCoefficientsU == null ? 0.0
                : kernels.gradientStep(u, mv, stepCoefficientsU, stepEta, start, end))
                + (stepCoefficientsV == null ? 0.0 : kernels.gradientStep(v, mtu, stepCoefficientsV, stepEta,
                        pass.chunkStart(c, v.rows()), pass.chunkStart(c + 1, v.rows())));
        this.residualTask = (c, start, end) -> kernels.residualSquared(m, u, v, start, end);
        this.gramTask = (c, start, end) -> {
            Arrays.fill(gramUPartials[c], 0.0);
            Arrays.fill(gramVPartials[c], 0.0);
            kernels.gram(u, start, end, gramUPartials[c]);
            kernels.gram(v, pass.chunkStart(c, v.rows()), pass.chunkStart(c + 1, v.rows()), gramVPartials[c]);
            return 0.0;
        };
    }

    /**
     * The fused pass and its reduction: afterwards MV, MᵀU, {@link #gramU} and {@link #gramV} hold the values at the
     * current U, V.
     *
     * @return ⟨U, MV⟩
     */
    public double fusedPass() {
        double dotUMV = pass.run(fusedTask, m.rows());
        pass.run(reduceTask, m.cols());
        sumInOrder(gramUPartials, gramU);
        sumInOrder(gramVPartials, gramV);
        return dotUMV;
    }

    /** MV of the last fused pass. */
    public DenseMatrix mv() {
        return mv;
    }

    /** MᵀU of the last fused pass. */
    public DenseMatrix mtu() {
        return mtu;
    }

    /** Recomputes {@link #gramU} and {@link #gramV} from the current factors (no pass over M). */
    public void grams() {
        pass.run(gramTask, m.rows());
        sumInOrder(gramUPartials, gramU);
        sumInOrder(gramVPartials, gramV);
    }

    /**
     * U −= η(U·aU − MV) and V −= η(V·aV − MᵀU), both from the old factors (simultaneous GD), using MV and MᵀU of the
     * last {@link #fusedPass()}. A null coefficient matrix leaves that factor alone (alternating GD steps U, makes a
     * second fused pass for MᵀU at the new U, then steps V).
     *
     * @return the squared gradient norm Σ‖U·aU − MV‖² + Σ‖V·aV − MᵀU‖² of the factors stepped
     */
    public double step(double[] aU, double[] aV, double eta) {
        this.stepCoefficientsU = aU;
        this.stepCoefficientsV = aV;
        this.stepEta = eta;
        return pass.run(stepTask, m.rows());
    }

    /** ‖UVᵀ − M‖²_F, exactly (residual rows formed on the fly). */
    public double residualSquared() {
        return pass.run(residualTask, m.rows());
    }

    private void addPartials(int startRow, int endRow) {
        boolean f32 = m.dtype() == DType.FLOAT32;
        long from = (long) startRow * mtu.stride();
        long to = (long) endRow * mtu.stride();
        MemorySegment out = mtu.segment();
        for (int c = 1; c < mtuPartials.length; c++) {
            MemorySegment p = mtuPartials[c].segment();
            for (long k = from; k < to; k++) {
                if (f32) {
                    out.setAtIndex(ValueLayout.JAVA_FLOAT, k, out.getAtIndex(ValueLayout.JAVA_FLOAT, k)
                            + p.getAtIndex(ValueLayout.JAVA_FLOAT, k));
                } else {
                    out.setAtIndex(ValueLayout.JAVA_DOUBLE, k, out.getAtIndex(ValueLayout.JAVA_DOUBLE, k)
                            + p.getAtIndex(ValueLayout.JAVA_DOUBLE, k));
                }
            }
        }
    }

    private static void sumInOrder(double[][] partials, double[] out) {
        System.arraycopy(partials[0], 0, out, 0, out.length);
        for (int c = 1; c < partials.length; c++) {
            for (int k = 0; k < out.length; k++) {
                out[k] += partials[c][k];
            }
        }
    }

    @Override
    public void close() {
        mv.close();
        for (DenseMatrix p : mtuPartials) {
            p.close();
        }
    }
}

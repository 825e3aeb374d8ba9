package org.autobalance.network;

import java.lang.foreign.MemorySegment;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.ParallelPass;

/**
 * One full-batch gradient-descent step on given parameters, without the observation of {@link NetworkTrainer}: the
 * loss and every gradient from the current parameters, then W ← W − η∇L for all layers at once. What the trainer's
 * loop is made of, and what the benchmarks time.
 */
public final class TrainingStep implements AutoCloseable {
    private final Parameters params;
    private final Parameters grads;
    private final ParallelPass pass;
    private final Backprop backprop;

    /**
     * A training step with the GEMM kernels chosen by {@link KernelProvider}.
     *
     * @param x inputs, n × inputFeatures (not modified, not owned)
     * @param y targets, n × outputFeatures (not modified, not owned)
     * @param params the parameters (modified by {@link #update}, not owned)
     * @param threads worker threads of the step's parallel pass
     * @throws IllegalArgumentException if the data do not fit the parameters' network, or are not of their dtype
     */
    public TrainingStep(DenseMatrix x, DenseMatrix y, Parameters params, int threads) {
        this(x, y, params, KernelProvider.gemm(), threads);
    }

    /** As the public constructor, with the given kernels (the kernel package is internal). */
    TrainingStep(DenseMatrix x, DenseMatrix y, Parameters params, GemmKernels gemm, int threads) {
        NetworkTrainer.requireData(x, y, params.architecture());
        if (params.dtype() != x.dtype()) {
            // the kernels read every matrix in one dtype: a mixed step computed from reinterpreted bits (a float32
            // network on float64 data computed a loss of 3.2e56 where about 1 was right: library.md, 1 Dec)
            throw new IllegalArgumentException("the parameters are " + params.dtype().label() + " but the data are "
                    + x.dtype().label() + ": convert one of them (DenseMatrix.copy, Parameters.copyFrom)");
        }
        this.params = params;
        Parameters g = new Parameters(params.architecture(), params.dtype(), params.hasBiases());
        ParallelPass p = null;
        try {
            p = new ParallelPass(threads);
            this.backprop = new Backprop(params.architecture(), x, y, params, gemm, p);
        } catch (RuntimeException e) {
            g.close();
            if (p != null) {
                p.close();
            }
            throw e;
        }
        this.grads = g;
        this.pass = p;
    }

    /** L at the current parameters; the gradients (see {@link #gradients()}) are computed with it. */
    public double lossAndGradients() {
        return backprop.lossAndGradients(grads);
    }

    /** The gradients of the last {@link #lossAndGradients()} (owned by this step). */
    public Parameters gradients() {
        return grads;
    }

    /** L at the current parameters, forward pass only. */
    public double loss() {
        return backprop.loss();
    }

    /**
     * W_h ← W_h − η∇_{W_h}L and b_h ← b_h − η∇_{b_h}L for every layer, the gradients all from the old W.
     *
     * @throws IllegalArgumentException if {@code eta} is NaN or infinite (nothing is changed)
     */
    public void update(double eta) {
        if (!Double.isFinite(eta)) {
            // a NaN step turned every parameter into NaN without a word
            throw new IllegalArgumentException("step eta must be finite, got " + eta);
        }
        for (int h = 1; h <= params.architecture().depth(); h++) {
            update(params.weights(h), grads.weights(h), eta);
            if (params.hasBiases()) {
                update(params.biases(h), grads.biases(h), eta);
            }
        }
    }

    private static void update(DenseMatrix w, DenseMatrix g, double eta) {
        MemorySegment ws = w.segment();
        MemorySegment gs = g.segment();
        DType t = w.dtype();
        long count = (long) w.rows() * w.stride();
        for (long k = 0; k < count; k++) {
            Elements.set(ws, t, k, Elements.get(ws, t, k) - eta * Elements.get(gs, t, k));
        }
    }

    @Override
    public void close() {
        backprop.close();
        pass.close();
        grads.close();
    }
}

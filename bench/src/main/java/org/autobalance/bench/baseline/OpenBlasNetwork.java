package org.autobalance.bench.baseline;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.network.Architecture;
import org.autobalance.network.Layer;
import org.autobalance.network.Parameters;

/**
 * The network step as a BLAS user composes it (numpy's {@code Z = A @ W.T; A = maximum(Z, 0)}, …): for dense
 * layers without biases, per layer one gemm forward (Z = A·Wᵀ), one element-wise activation, and backward the
 * element-wise slope, one gemm for the gradient (G = δᵀ·A) and one for δ_prev = δ·W; then W ← W − ηG by axpy. The
 * gemms are OpenBLAS's (its own threads: {@link OpenBlas#setThreads}); the element-wise passes are plain Java loops
 * over the same native memory. Same data layout, same arithmetic as the engine's
 * {@link org.autobalance.network.TrainingStep}, so their results agree to rounding (tested).
 */
final class OpenBlasNetwork implements AutoCloseable {
    private final Architecture arch;
    private final DType dtype;
    private final DenseMatrix x;
    private final DenseMatrix y;
    private final Parameters params;
    private final DenseMatrix[] acts;
    private final DenseMatrix[] deltas;
    private final DenseMatrix[] grads;

    OpenBlasNetwork(DenseMatrix x, DenseMatrix y, Parameters params) {
        this.arch = params.architecture();
        for (Layer l : arch.layers()) {
            if (!l.isDense() || params.hasBiases()) {
                throw new IllegalArgumentException("the OpenBLAS baseline composes dense layers without biases");
            }
        }
        this.dtype = params.dtype();
        this.x = x;
        this.y = y;
        this.params = params;
        int depth = arch.depth();
        int n = x.rows();
        acts = new DenseMatrix[depth + 1];
        deltas = new DenseMatrix[depth + 1];
        grads = new DenseMatrix[depth + 1];
        acts[0] = x;
        for (int h = 1; h <= depth; h++) {
            Layer l = arch.layer(h);
            acts[h] = DenseMatrix.allocate(dtype, n, l.outChannels());
            deltas[h] = DenseMatrix.allocate(dtype, n, l.outChannels());
            grads[h] = DenseMatrix.allocate(dtype, l.outChannels(), l.fanIn());
        }
    }

    /** The gradient of layer h from the last {@link #lossAndGradients()}. */
    DenseMatrix gradient(int h) {
        return grads[h];
    }

    /** L and every gradient at the current weights. */
    double lossAndGradients() {
        for (int h = 1; h <= arch.depth(); h++) {
            forward(h);
        }
        double loss = residual();
        for (int h = arch.depth(); h >= 1; h--) {
            backward(h);
        }
        return loss;
    }

    /** One step: {@link #lossAndGradients()}, then W_h −= ηG_h for every layer. */
    double step(double eta) {
        double loss = lossAndGradients();
        for (int h = 1; h <= arch.depth(); h++) {
            DenseMatrix w = params.weights(h);
            OpenBlas.axpy(dtype, w.rows() * w.stride(), -eta, grads[h].segment(), w.segment());
        }
        return loss;
    }

    /** Z_h = A_{h−1}·W_hᵀ, then φ in place. */
    void forward(int h) {
        Layer l = arch.layer(h);
        DenseMatrix in = acts[h - 1];
        DenseMatrix w = params.weights(h);
        DenseMatrix out = acts[h];
        OpenBlas.gemm(dtype, OpenBlas.NO_TRANS, OpenBlas.TRANS, x.rows(), l.outChannels(), l.fanIn(), 1,
                in.segment(), in.stride(), w.segment(), w.stride(), 0, out.segment(), out.stride());
        double s = l.activation().negativeSlope();
        if (s != 1.0) {
            scaleWhere(out, out, s, false);
        }
    }

    /** δ_h ⊙= φ'(A_h); G_h = δ_hᵀ·A_{h−1}; δ_{h−1} = δ_h·W_h (for h &gt; 1). */
    void backward(int h) {
        Layer l = arch.layer(h);
        DenseMatrix d = deltas[h];
        DenseMatrix in = acts[h - 1];
        DenseMatrix w = params.weights(h);
        double s = l.activation().negativeSlope();
        if (s != 1.0) {
            scaleWhere(acts[h], d, s, true);
        }
        OpenBlas.gemm(dtype, OpenBlas.TRANS, OpenBlas.NO_TRANS, l.outChannels(), l.fanIn(), x.rows(), 1,
                d.segment(), d.stride(), in.segment(), in.stride(), 0, grads[h].segment(), grads[h].stride());
        if (h > 1) {
            DenseMatrix prev = deltas[h - 1];
            OpenBlas.gemm(dtype, OpenBlas.NO_TRANS, OpenBlas.NO_TRANS, x.rows(), l.fanIn(), l.outChannels(), 1,
                    d.segment(), d.stride(), w.segment(), w.stride(), 0, prev.segment(), prev.stride());
        }
    }

    /** δ_N = (f − y)/n; returns L. */
    private double residual() {
        DenseMatrix f = acts[arch.depth()];
        DenseMatrix d = deltas[arch.depth()];
        int n = x.rows();
        double inv = 1.0 / n;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f.cols(); j++) {
                double r = f.get(i, j) - y.get(i, j);
                sum += r * r;
                d.set(i, j, r * inv);
            }
        }
        return sum / (2.0 * n);
    }

    /**
     * Where the reference {@code ref} is not positive, multiplies {@code target} by {@code s}: φ in place
     * ({@code target == ref}, {@code gradient} false) or δ ⊙ φ'(A) ({@code gradient} true). Typed loops over the
     * native memory, as a JIT-compiled element-wise pass would be.
     */
    private void scaleWhere(DenseMatrix ref, DenseMatrix target, double s, boolean gradient) {
        MemorySegment rs = ref.segment();
        MemorySegment ts = target.segment();
        long count = (long) ref.rows() * ref.stride();
        if (dtype == DType.FLOAT32) {
            float sf = (float) s;
            for (long k = 0; k < count; k++) {
                float v = rs.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                if (!(v > 0)) {
                    ts.setAtIndex(ValueLayout.JAVA_FLOAT, k, sf * ts.getAtIndex(ValueLayout.JAVA_FLOAT, k));
                }
            }
        } else {
            for (long k = 0; k < count; k++) {
                double v = rs.getAtIndex(ValueLayout.JAVA_DOUBLE, k);
                if (!(v > 0)) {
                    ts.setAtIndex(ValueLayout.JAVA_DOUBLE, k, s * ts.getAtIndex(ValueLayout.JAVA_DOUBLE, k));
                }
            }
        }
        assert gradient || ref == target;
    }

    @Override
    public void close() {
        for (int h = 1; h <= arch.depth(); h++) {
            acts[h].close();
            deltas[h].close();
            grads[h].close();
        }
    }
}

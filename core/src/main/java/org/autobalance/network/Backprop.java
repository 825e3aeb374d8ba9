package org.autobalance.network;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.ParallelPass;

/**
 * The loss L = (1/(2n)) Σ_i ‖f(x_i) − y_i‖² and its gradient with respect to every weight and bias, by one forward
 * and one backward pass over all n samples.
 *
 * <p>Work split: the samples are split into one contiguous chunk per thread of the {@link ParallelPass}; each chunk
 * runs its samples through the whole network, forward and backward, and accumulates its own partial gradients.
 * The partials are then added in chunk order, so for a fixed thread count every run gives the same bits.
 *
 * <p>Each layer is a GEMM (see {@link GemmKernels}): a dense layer over the chunk's rows at once (Z = A·Wᵀ with a
 * transposed copy of W, G += δᵀ·A, δ_prev = δ·W); a convolution over a block of samples at once, lowered by
 * im2col with the samples side by side (Z = W·[col_1 … col_b], G += [δ_1 … δ_b]·[col_1 … col_b]ᵀ from col itself
 * by {@link GemmKernels#gemmTransB}, [δcol_1 …] = Wᵀ·[δ_1 …], then col2im), the bias and activation fused into
 * the forward GEMM's store. Batching the samples turns a convolution's many tiny per-sample products (C × P by
 * C·KH·KW) into a few wide ones. Only the activations φ(z) are stored: φ'(z) is read off their sign.
 */
final class Backprop implements AutoCloseable {
    private final Architecture arch;
    private final DType dtype;
    private final int n;
    private final DenseMatrix x;
    private final DenseMatrix y;
    private final Parameters params;
    private final GemmKernels gemm;
    private final ParallelPass pass;
    /** activations[h] = φ_h(z_h), n × outFeatures(h), h = 1..N (index 0 unused: the input is x). */
    private final DenseMatrix[] activations;
    /** Two n × max-features buffers for the back-propagated δ, alternating between layers (layer h uses h % 2). */
    private final DenseMatrix[] deltas = new DenseMatrix[2];
    /** Wᵀ (fanIn × outChannels) of each dense layer, refreshed from W before each pass; null for convolutions. */
    private final DenseMatrix[] transposed;
    private final Chunk[] chunks;
    /** Samples per convolution block. */
    private final int block;

    /**
     * Elements of one im2col buffer (fanIn × block·positions): 2^20, 8 MiB in float64, so that a chunk's buffers —
     * one col per convolution, plus dcol and z, each at most this — stay modest while a block still holds enough
     * samples to make the GEMMs wide.
     */
    static final int COLUMN_BUDGET = 1 << 20;

    /**
     * Per-chunk gradient partials (chunk 0 writes the caller's gradients directly) and the convolution buffers of
     * one block of samples: each convolution's own col (fanIn × block·P, so that the backward pass finds the
     * forward pass's last block still there), dcol (fanIn × block·P) and z
     * (channels × block·P, the block's outputs or δ with the samples side by side).
     */
    private static final class Chunk implements AutoCloseable {
        Parameters partial;
        /** col of layer h at index h; null for dense layers. */
        DenseMatrix[] cols;
        DenseMatrix dcol;
        DenseMatrix z;

        @Override
        public void close() {
            List<AutoCloseable> all = new ArrayList<>(Arrays.asList(partial, dcol, z));
            if (cols != null) {
                all.addAll(Arrays.asList(cols));
            }
            for (AutoCloseable c : all) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
    }

    /**
     * @param x inputs, n × inputFeatures (not modified, not owned)
     * @param y targets, n × outputFeatures (not modified, not owned)
     * @param params the parameters the passes read (not modified, not owned)
     */
    Backprop(Architecture arch, DenseMatrix x, DenseMatrix y, Parameters params, GemmKernels gemm, ParallelPass pass) {
        this(arch, x, y, params, gemm, pass, COLUMN_BUDGET);
    }

    /** As the public constructor with another budget for one im2col buffer (tests use small ones: many blocks). */
    Backprop(Architecture arch, DenseMatrix x, DenseMatrix y, Parameters params, GemmKernels gemm, ParallelPass pass,
            int columnBudget) {
        this.arch = arch;
        this.dtype = params.dtype();
        this.n = x.rows();
        this.x = x;
        this.y = y;
        this.params = params;
        this.gemm = gemm;
        this.pass = pass;
        int depth = arch.depth();
        this.activations = new DenseMatrix[depth + 1];
        this.transposed = new DenseMatrix[depth + 1];
        this.chunks = new Chunk[pass.threads()];
        long columns = 1;
        for (Layer l : arch.layers()) {
            columns = Math.max(columns, (long) l.fanIn() * l.positions());
        }
        // a function of n, the thread count and the architecture only, so that the summation order is too (not of
        // the SIMD width: gemmTransB sums the same virtual lanes at every width)
        this.block = (int) Math.max(1, Math.min((n + chunks.length - 1) / chunks.length, columnBudget / columns));
        try {
            int maxFeatures = 1;
            int maxFan = 1;
            int maxPos = 1;
            int maxChannels = 1;
            for (int h = 1; h <= depth; h++) {
                Layer l = arch.layer(h);
                activations[h] = DenseMatrix.allocate(dtype, n, l.outFeatures());
                maxFeatures = Math.max(maxFeatures, l.outFeatures());
                if (l.isDense()) {
                    transposed[h] = DenseMatrix.allocate(dtype, l.fanIn(), l.outChannels());
                } else {
                    maxFan = Math.max(maxFan, l.fanIn());
                    maxPos = Math.max(maxPos, l.positions());
                    maxChannels = Math.max(maxChannels, l.outChannels());
                }
            }
            deltas[0] = DenseMatrix.allocate(dtype, n, maxFeatures);
            deltas[1] = DenseMatrix.allocate(dtype, n, maxFeatures);
            boolean conv = arch.layers().stream().anyMatch(l -> !l.isDense());
            for (int c = 0; c < chunks.length; c++) {
                Chunk ch = new Chunk();
                chunks[c] = ch;
                if (c > 0) {
                    ch.partial = new Parameters(arch, dtype, params.hasBiases());
                }
                if (conv) {
                    int width = block * maxPos;
                    ch.cols = new DenseMatrix[depth + 1];
                    for (int h = 1; h <= depth; h++) {
                        Layer l = arch.layer(h);
                        if (!l.isDense()) {
                            ch.cols[h] = DenseMatrix.allocate(dtype, l.fanIn(), block * l.positions());
                        }
                    }
                    ch.dcol = DenseMatrix.allocate(dtype, maxFan, width);
                    ch.z = DenseMatrix.allocate(dtype, maxChannels, width);
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The activations of layer h (n × outFeatures) from the last pass: φ_h(z_h); h = N gives the outputs f(x_i). */
    DenseMatrix activations(int h) {
        return activations[h];
    }

    /**
     * Computes L at the current parameters and writes ∇L into {@code grads} (same architecture, dtype and bias
     * setting; modified).
     *
     * @return L = (1/(2n)) Σ_i ‖f(x_i) − y_i‖², accumulated in double
     */
    double lossAndGradients(Parameters grads) {
        refreshTransposes();
        double squared = pass.run((chunk, start, end) -> {
            Parameters g = chunk == 0 ? grads : chunks[chunk].partial;
            zero(g);
            if (start >= end) {
                return 0.0;
            }
            forward(chunks[chunk], start, end);
            double s = residual(start, end);
            backward(chunks[chunk], g, start, end);
            return s;
        }, n);
        for (int c = 1; c < chunks.length; c++) {
            add(grads, chunks[c].partial);
        }
        return squared / (2.0 * n);
    }

    /** Only the forward pass: L at the current parameters (the activations are updated, no gradient). */
    double loss() {
        refreshTransposes();
        double squared = pass.run((chunk, start, end) -> {
            if (start >= end) {
                return 0.0;
            }
            forward(chunks[chunk], start, end);
            return residual(start, end);
        }, n);
        return squared / (2.0 * n);
    }

    /** Wᵀ of every dense layer from the current W (the forward GEMM's right operand). */
    private void refreshTransposes() {
        for (int h = 1; h <= arch.depth(); h++) {
            if (transposed[h] != null) {
                params.weights(h).transposeInto(transposed[h]);
            }
        }
    }

    private void forward(Chunk ch, int start, int end) {
        int rows = end - start;
        for (int h = 1; h <= arch.depth(); h++) {
            Layer l = arch.layer(h);
            DenseMatrix in = h == 1 ? x : activations[h - 1];
            DenseMatrix out = activations[h];
            DenseMatrix w = params.weights(h);
            MemorySegment outSeg = out.segment();
            DenseMatrix bias = params.biases(h);
            MemorySegment bs = bias == null ? null : bias.segment();
            double slope = l.activation().negativeSlope();
            if (l.isDense()) {
                DenseMatrix wt = transposed[h];
                gemm.gemmBiasActivation(dtype, rows, l.outChannels(), l.fanIn(), in.segment(),
                        (long) start * in.stride(), in.stride(), wt.segment(), 0, wt.stride(), outSeg,
                        (long) start * out.stride(), out.stride(), bs, false, slope);
            } else {
                int pos = l.positions();
                DenseMatrix col = ch.cols[h];
                for (int s0 = start; s0 < end; s0 += block) {
                    int nb = Math.min(block, end - s0);
                    for (int i = s0; i < s0 + nb; i++) {
                        im2col(l, in.segment(), (long) i * in.stride(), col, (i - s0) * pos);
                    }
                    gemm.gemmBiasActivation(dtype, l.outChannels(), nb * pos, l.fanIn(), w.segment(), 0,
                            w.stride(), col.segment(), 0, col.stride(), ch.z.segment(), 0, ch.z.stride(), bs,
                            true, slope);
                    blocks(l, ch.z, out, s0, nb, true);
                }
            }
        }
    }

    /** δ_N = (f − y)/n into the δ buffer of layer N; returns Σ ‖f − y‖² over the rows. */
    private double residual(int start, int end) {
        int depth = arch.depth();
        DenseMatrix out = activations[depth];
        DenseMatrix d = deltas[depth % 2];
        int p = out.cols();
        double inv = 1.0 / n;
        double sum = 0.0;
        MemorySegment o = out.segment();
        MemorySegment ys = y.segment();
        MemorySegment ds = d.segment();
        for (int i = start; i < end; i++) {
            long oo = (long) i * out.stride();
            long yo = (long) i * y.stride();
            long dd = (long) i * d.stride();
            for (int j = 0; j < p; j++) {
                double r = Elements.get(o, dtype, oo + j) - Elements.get(ys, dtype, yo + j);
                sum += r * r;
                Elements.set(ds, dtype, dd + j, r * inv);
            }
        }
        return sum;
    }

    private void backward(Chunk ch, Parameters g, int start, int end) {
        int rows = end - start;
        for (int h = arch.depth(); h >= 1; h--) {
            Layer l = arch.layer(h);
            DenseMatrix cur = deltas[h % 2];
            DenseMatrix prev = deltas[(h - 1) % 2];
            DenseMatrix in = h == 1 ? x : activations[h - 1];
            DenseMatrix w = params.weights(h);
            DenseMatrix gw = g.weights(h);
            if (!l.activation().isLinear()) {
                DenseMatrix act = activations[h];
                gemm.activationSlope(dtype, rows, l.outFeatures(), act.segment(), (long) start * act.stride(),
                        act.stride(), cur.segment(), (long) start * cur.stride(), cur.stride(),
                        l.activation().negativeSlope());
            }
            if (g.hasBiases()) {
                biasGradient(l, cur, g.biases(h), start, end);
            }
            MemorySegment cs = cur.segment();
            if (l.isDense()) {
                gemm.gemm(dtype, true, l.outChannels(), l.fanIn(), rows, cs, (long) start * cur.stride(),
                        cur.stride(), in.segment(), (long) start * in.stride(), in.stride(), gw.segment(), 0,
                        gw.stride(), true);
                if (h > 1) {
                    gemm.gemm(dtype, false, rows, l.fanIn(), l.outChannels(), cs, (long) start * cur.stride(),
                            cur.stride(), w.segment(), 0, w.stride(), prev.segment(), (long) start * prev.stride(),
                            prev.stride(), false);
                }
            } else {
                int pos = l.positions();
                DenseMatrix col = ch.cols[h];
                // the blocks in reverse: the first is the forward pass's last, whose col is still in the buffer
                int last = start + (end - 1 - start) / block * block;
                for (int s0 = last; s0 >= start; s0 -= block) {
                    int nb = Math.min(block, end - s0);
                    blocks(l, ch.z, cur, s0, nb, false);
                    if (s0 != last) {
                        for (int i = s0; i < s0 + nb; i++) {
                            im2col(l, in.segment(), (long) i * in.stride(), col, (i - s0) * pos);
                        }
                    }
                    gemm.gemmTransB(dtype, l.outChannels(), l.fanIn(), nb * pos, ch.z.segment(), 0, ch.z.stride(),
                            col.segment(), 0, col.stride(), gw.segment(), 0, gw.stride(), true);
                    if (h > 1) {
                        gemm.gemm(dtype, true, l.fanIn(), nb * pos, l.outChannels(), w.segment(), 0, w.stride(),
                                ch.z.segment(), 0, ch.z.stride(), ch.dcol.segment(), 0, ch.dcol.stride(), false);
                        for (int i = s0; i < s0 + nb; i++) {
                            long po = (long) i * prev.stride();
                            Elements.zero(prev.segment(), dtype, po, l.inFeatures());
                            col2im(l, ch.dcol, (i - s0) * pos, prev.segment(), po);
                        }
                    }
                }
            }
        }
    }

    /**
     * Moves a block of samples between the sample-major layout (row i = sample, channel-major features) and the
     * block layout (row c = channel, the samples' P positions side by side): {@code toSamples} copies z into rows
     * [s0, s0 + nb) of {@code samples}, otherwise the other way.
     */
    private void blocks(Layer l, DenseMatrix z, DenseMatrix samples, int s0, int nb, boolean toSamples) {
        int pos = l.positions();
        long bytes = (long) pos * dtype.bytes();
        MemorySegment zs = z.segment();
        MemorySegment ss = samples.segment();
        for (int i = 0; i < nb; i++) {
            for (int c = 0; c < l.outChannels(); c++) {
                long zo = ((long) c * z.stride() + (long) i * pos) * dtype.bytes();
                long so = ((long) (s0 + i) * samples.stride() + (long) c * pos) * dtype.bytes();
                if (toSamples) {
                    MemorySegment.copy(zs, zo, ss, so, bytes);
                } else {
                    MemorySegment.copy(ss, so, zs, zo, bytes);
                }
            }
        }
    }

    /** gb[c] += Σ over rows and positions of δ for channel c (summed in double, in row order). */
    private void biasGradient(Layer l, DenseMatrix d, DenseMatrix gb, int start, int end) {
        MemorySegment ds = d.segment();
        MemorySegment gs = gb.segment();
        int pos = l.positions();
        for (int c = 0; c < l.outChannels(); c++) {
            double s = 0.0;
            for (int i = start; i < end; i++) {
                long base = (long) i * d.stride() + (long) c * pos;
                for (int p = 0; p < pos; p++) {
                    s += Elements.get(ds, dtype, base + p);
                }
            }
            Elements.set(gs, dtype, c, Elements.get(gs, dtype, c) + s);
        }
    }

    /**
     * col[(ci, ky, kx), c0 + (oy, ox)] = in[ci, oy + ky, ox + kx] for the sample map at element {@code off} of
     * {@code in}: each run of outWidth elements is a contiguous piece of an input row.
     */
    private void im2col(Layer l, MemorySegment in, long off, DenseMatrix col, int c0) {
        int ow = l.outWidth();
        int oh = l.outHeight();
        long bytes = (long) ow * dtype.bytes();
        MemorySegment cs = col.segment();
        int r = 0;
        for (int ci = 0; ci < l.inChannels(); ci++) {
            for (int ky = 0; ky < l.kernelHeight(); ky++) {
                for (int kx = 0; kx < l.kernelWidth(); kx++, r++) {
                    long dst = (long) r * col.stride() + c0;
                    for (int oy = 0; oy < oh; oy++) {
                        long src = off + ((long) ci * l.inHeight() + oy + ky) * l.inWidth() + kx;
                        MemorySegment.copy(in, src * dtype.bytes(), cs, (dst + (long) oy * ow) * dtype.bytes(),
                                bytes);
                    }
                }
            }
        }
    }

    /**
     * in[ci, oy + ky, ox + kx] += dcol[(ci, ky, kx), c0 + (oy, ox)]: the adjoint of {@link #im2col}, the kernel
     * offsets added in order, each one {@link GemmKernels#addBlock} of outHeight runs of outWidth elements.
     */
    private void col2im(Layer l, DenseMatrix dcol, int c0, MemorySegment in, long off) {
        int ow = l.outWidth();
        int r = 0;
        for (int ci = 0; ci < l.inChannels(); ci++) {
            for (int ky = 0; ky < l.kernelHeight(); ky++) {
                for (int kx = 0; kx < l.kernelWidth(); kx++, r++) {
                    gemm.addBlock(dtype, l.outHeight(), ow, dcol.segment(), (long) r * dcol.stride() + c0, ow, in,
                            off + ((long) ci * l.inHeight() + ky) * l.inWidth() + kx, l.inWidth());
                }
            }
        }
    }

    private static void zero(Parameters g) {
        for (int h = 1; h <= g.architecture().depth(); h++) {
            g.weights(h).segment().fill((byte) 0);
            if (g.hasBiases()) {
                g.biases(h).segment().fill((byte) 0);
            }
        }
    }

    /** target += source, element by element (same shapes). */
    private void add(Parameters target, Parameters source) {
        for (int h = 1; h <= arch.depth(); h++) {
            addInto(target.weights(h), source.weights(h));
            if (target.hasBiases()) {
                addInto(target.biases(h), source.biases(h));
            }
        }
    }

    private void addInto(DenseMatrix t, DenseMatrix s) {
        MemorySegment ts = t.segment();
        MemorySegment ss = s.segment();
        long count = (long) t.rows() * t.stride();
        for (long k = 0; k < count; k++) {
            Elements.set(ts, dtype, k, Elements.get(ts, dtype, k) + Elements.get(ss, dtype, k));
        }
    }

    @Override
    public void close() {
        for (DenseMatrix m : activations) {
            if (m != null) {
                m.close();
            }
        }
        for (DenseMatrix m : transposed) {
            if (m != null) {
                m.close();
            }
        }
        for (DenseMatrix m : deltas) {
            if (m != null) {
                m.close();
            }
        }
        for (Chunk c : chunks) {
            if (c != null) {
                c.close();
            }
        }
    }
}

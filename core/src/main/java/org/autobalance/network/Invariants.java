package org.autobalance.network;

import java.lang.foreign.MemorySegment;
import java.util.function.IntPredicate;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;

/**
 * The quantities gradient flow conserves (paper-notes §1.3), read from a network's parameters in double precision.
 *
 * <ul>
 *   <li>Per layer: ‖W_h‖² + ‖b_h‖², and the differences (‖W_h‖² + ‖b_h‖²) − ‖W_{h+1}‖² (the next layer's biases are
 *       not in the pair: scaling layer h's weights and biases by c and W_{h+1} by 1/c is the symmetry).
 *   <li>Per unit: for channel c of a hidden layer h (a unit of a dense layer), (‖W_h[c, :]‖² + b_h[c]²) − Σ of the
 *       squares of the weights of layer h + 1 that read channel c (columns [c·B, (c + 1)·B) of W_{h+1}, B =
 *       {@link Architecture#readerBlock}).
 *   <li>Per linear pair (φ_h the identity): the channels × channels matrix
 *       Q_h = W_hW_hᵀ + b_hb_hᵀ − Σ_{o, k} R_o,k R_o,kᵀ with R_o,k[c] = W_{h+1}[o, c·B + k], whose diagonal is the
 *       per-unit values; conserved because any invertible mixing of the channels of layer h (undone by layer h + 1)
 *       leaves a linear pair unchanged.
 * </ul>
 */
final class Invariants {
    private Invariants() {
    }

    /**
     * Refuses, before anything is allocated, a network whose arrays on the Java heap do not fit it: a floor of what it
     * holds at once. Every Q_h of the start that is {@code tracked} (all, but for a run resumed from a checkpoint
     * without Q_h's reference, which never forms it), the drifts' reference, for the whole run; beside them the larger
     * of what a record holds (for the pair being measured its Q_h again, with the rows of W_h and the readers of layer
     * h + 1 it is formed from) and, when {@code probed} (a tolerance above 0: the plateau check of {@link
     * EscapeProbe}), what the probe holds for its largest layer, A_h = [W_h b_h] and its smaller Gram — all in double.
     * A linear layer of 30 000 units (7.2 GB for one Q_h) ended in an {@code OutOfMemoryError} at its first record;
     * one of 50 000, whose channels² wrapped in int, in a NegativeArraySizeException, "error: -1794967296" — with 8.8
     * MB of weights; dense:3000 layers behind relus under a 64 MB heap, in an {@code OutOfMemoryError} from the probe.
     * Q_h twice is all a record holds at once of channels² (the start's and the record's; the record's goes before
     * the next pair's is formed).
     */
    static void requireHeap(Architecture arch, IntPredicate tracked, boolean biases, boolean probed) {
        long all = 0;
        long record = 0;
        for (int h = 1; h < arch.depth(); h++) {
            Layer l = arch.layer(h);
            if (!l.activation().isLinear() || !tracked.test(h)) {
                continue;
            }
            long ch = l.outChannels();
            if (ch > NativeMemory.MAX_SQUARE_SIDE) {
                throw new IllegalArgumentException("layer " + h + " has " + ch + " channels and a linear activation: "
                        + "its conserved " + ch + " x " + ch + " matrix Q_" + h + " is more than a Java array holds, "
                        + NativeMemory.MAX_ARRAY_LENGTH + " elements; at most " + NativeMemory.MAX_SQUARE_SIDE
                        + " channels a linear layer (a relu or leaky one conserves per-unit values only, which are "
                        + "tracked)");
            }
            long q = ch * ch;
            all += q;
            record = Math.max(record, q + ch * l.fanIn()
                    + ch * arch.layer(h + 1).outChannels() * arch.readerBlock(h));
        }
        long probe = 0;
        for (int h = 1; probed && h <= arch.depth(); h++) {
            Layer l = arch.layer(h);
            long rows = l.outChannels();
            long cols = l.fanIn() + (biases && h < arch.depth() ? 1 : 0);
            // A_h is one array, sized rows * cols in int: past the limit it wrapped or was refused by the JVM
            if (rows * cols > NativeMemory.MAX_ARRAY_LENGTH) {
                throw new IllegalArgumentException("layer " + h + " is " + rows + " x " + cols + (cols > l.fanIn()
                        ? " with its bias" : "") + ": the plateau check copies it into a Java array, which holds at "
                        + "most " + NativeMemory.MAX_ARRAY_LENGTH + " elements; give the tolerance 0 "
                        + "(Builder.tolerance; --tol on the command line) to train it without the check, or narrower "
                        + "layers");
            }
            long n = Math.min(rows, cols);
            probe = Math.max(probe, rows * cols + n * n);
        }
        String tracking = all > 0 ? "the conserved channels x channels matrices Q_h of its linear layers" : null;
        String checking = probed ? "the plateau check's copy and Gram of each layer" : null;
        // Q_h, the probe's copy and its Gram are single arrays of up to gigabytes, kept or too large for the young
        // generation: they must fit the old one
        NativeMemory.requireOldGeneration((all + Math.max(record, probe)) * Double.BYTES, () -> "train "
                + arch.describe() + " with " + (tracking == null ? checking : checking == null ? tracking
                : tracking + " and " + checking) + " in doubles");
    }

    /** ‖W_h‖² + ‖b_h‖² for h = 1..N. */
    static double[] layerSquaredNorms(Parameters p) {
        int depth = p.architecture().depth();
        double[] s = new double[depth];
        for (int h = 1; h <= depth; h++) {
            s[h - 1] = squaredNorm(p.weights(h)) + (p.hasBiases() ? squaredNorm(p.biases(h)) : 0.0);
        }
        return s;
    }

    /** (‖W_h‖² + ‖b_h‖²) − ‖W_{h+1}‖² for h = 1..N−1, given {@link #layerSquaredNorms}. */
    static double[] layerDifferences(Parameters p, double[] layerSquaredNorms) {
        int depth = p.architecture().depth();
        double[] d = new double[depth - 1];
        for (int h = 1; h < depth; h++) {
            double next = layerSquaredNorms[h] - (p.hasBiases() ? squaredNorm(p.biases(h + 1)) : 0.0);
            d[h - 1] = layerSquaredNorms[h - 1] - next;
        }
        return d;
    }

    /** The per-unit values of every hidden layer h = 1..N−1, concatenated in layer then channel order. */
    static double[] unitValues(Parameters p) {
        Architecture arch = p.architecture();
        int total = 0;
        for (int h = 1; h < arch.depth(); h++) {
            total += arch.layer(h).outChannels();
        }
        double[] u = new double[total];
        int at = 0;
        for (int h = 1; h < arch.depth(); h++) {
            DenseMatrix w = p.weights(h);
            DenseMatrix next = p.weights(h + 1);
            int block = arch.readerBlock(h);
            for (int c = 0; c < w.rows(); c++) {
                double in = rowSquaredNorm(w, c);
                if (p.hasBiases()) {
                    double b = p.biases(h).get(0, c);
                    in += b * b;
                }
                double out = 0.0;
                for (int o = 0; o < next.rows(); o++) {
                    out += rangeSquaredNorm(next, o, c * block, (c + 1) * block);
                }
                u[at++] = in - out;
            }
        }
        return u;
    }

    /**
     * Q_h of the class comment (channels × channels, row-major), or {@code null} when the activation after layer h
     * is not linear (then only its diagonal, the per-unit values, is conserved).
     */
    static double[] matrixInvariant(Parameters p, int h) {
        Architecture arch = p.architecture();
        if (!arch.layer(h).activation().isLinear()) {
            return null;
        }
        double[][] w = rows(p.weights(h));
        int ch = w.length;
        double[] q = new double[ch * ch];
        double[] b = null;
        if (p.hasBiases()) {
            b = rows(p.biases(h))[0];
        }
        for (int a = 0; a < ch; a++) {
            for (int c = a; c < ch; c++) {
                double s = dot(w[a], w[c]);
                if (b != null) {
                    s += b[a] * b[c];
                }
                q[a * ch + c] = s;
            }
        }
        // R[c] = the weights of layer h + 1 that read channel c, (o, k) in order, so that the second term is a dot
        // product of two arrays per pair: summed per row o and then over o, a dense layer's single reader per row
        // (B = 1) cost a loop set-up per product — 30 % of a training step of fig2's linear student (n = 1000)
        double[][] r = readers(p.weights(h + 1), ch, arch.readerBlock(h));
        for (int a = 0; a < ch; a++) {
            for (int c = a; c < ch; c++) {
                q[a * ch + c] -= dot(r[a], r[c]);
            }
        }
        for (int a = 0; a < ch; a++) {
            for (int c = 0; c < a; c++) {
                q[a * ch + c] = q[c * ch + a];
            }
        }
        return q;
    }

    /** ‖X‖²_F in double. */
    static double squaredNorm(DenseMatrix x) {
        double s = 0.0;
        for (int i = 0; i < x.rows(); i++) {
            s += rowSquaredNorm(x, i);
        }
        return s;
    }

    private static double rowSquaredNorm(DenseMatrix x, int i) {
        return rangeSquaredNorm(x, i, 0, x.cols());
    }

    private static double rangeSquaredNorm(DenseMatrix x, int i, int from, int to) {
        MemorySegment s = x.segment();
        DType t = x.dtype();
        long base = (long) i * x.stride();
        double sum = 0.0;
        for (int j = from; j < to; j++) {
            double v = Elements.get(s, t, base + j);
            sum += v * v;
        }
        return sum;
    }

    /** R[c][o·B + k] = next[o, c·B + k]: the columns of the reading layer that read channel c, row by row. */
    private static double[][] readers(DenseMatrix next, int channels, int block) {
        double[][] r = new double[channels][next.rows() * block];
        MemorySegment s = next.segment();
        DType t = next.dtype();
        for (int o = 0; o < next.rows(); o++) {
            long base = (long) o * next.stride();
            for (int c = 0; c < channels; c++) {
                for (int k = 0; k < block; k++) {
                    r[c][o * block + k] = Elements.get(s, t, base + (long) c * block + k);
                }
            }
        }
        return r;
    }

    private static double[][] rows(DenseMatrix x) {
        return x.toArray();
    }

    /**
     * Σ a[k]·b[k] in four interleaved partial sums: four independent add chains instead of one, whose latency bound
     * the matrix invariant (~2 cycles per term in one chain).
     */
    private static double dot(double[] a, double[] b) {
        double s0 = 0.0;
        double s1 = 0.0;
        double s2 = 0.0;
        double s3 = 0.0;
        int k = 0;
        for (; k + 4 <= a.length; k += 4) {
            s0 += a[k] * b[k];
            s1 += a[k + 1] * b[k + 1];
            s2 += a[k + 2] * b[k + 2];
            s3 += a[k + 3] * b[k + 3];
        }
        for (; k < a.length; k++) {
            s0 += a[k] * b[k];
        }
        return (s0 + s1) + (s2 + s3);
    }
}

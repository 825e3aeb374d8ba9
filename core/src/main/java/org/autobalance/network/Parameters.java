package org.autobalance.network;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The trainable parameters of a network: per layer h (from 1) the weights W_h (outChannels × fanIn, see
 * {@link Layer}) and, when the network has biases, b_h (1 × outChannels). Owns its matrices: {@link #close()} frees
 * them. The same class holds gradients (same shapes).
 */
public final class Parameters implements AutoCloseable {
    private final Architecture architecture;
    private final DenseMatrix[] weights;
    private final DenseMatrix[] biases;

    /** Zero parameters of {@code dtype} for {@code architecture}, with biases when {@code withBiases}. */
    public Parameters(Architecture architecture, DType dtype, boolean withBiases) {
        this.architecture = architecture;
        int n = architecture.depth();
        this.weights = new DenseMatrix[n];
        this.biases = withBiases ? new DenseMatrix[n] : null;
        try {
            for (int h = 1; h <= n; h++) {
                Layer l = architecture.layer(h);
                weights[h - 1] = DenseMatrix.allocate(dtype, l.outChannels(), l.fanIn());
                if (withBiases) {
                    biases[h - 1] = DenseMatrix.allocate(dtype, 1, l.outChannels());
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The network the parameters belong to. */
    public Architecture architecture() {
        return architecture;
    }

    /** The element type of every weight and bias. */
    public DType dtype() {
        return weights[0].dtype();
    }

    /** Whether the layers have biases. */
    public boolean hasBiases() {
        return biases != null;
    }

    /**
     * W_h, outChannels × fanIn.
     *
     * @throws IndexOutOfBoundsException unless 1 ≤ h ≤ depth
     */
    public DenseMatrix weights(int h) {
        return weights[layer(h)];
    }

    /**
     * b_h, 1 × outChannels, or {@code null} without biases.
     *
     * @throws IndexOutOfBoundsException unless 1 ≤ h ≤ depth
     */
    public DenseMatrix biases(int h) {
        int i = layer(h);
        return biases == null ? null : biases[i];
    }

    /** The array index of layer h, numbered from 1 as in the paper (an index from 0 said "Index -1 out of bounds"). */
    private int layer(int h) {
        if (h < 1 || h > weights.length) {
            throw new IndexOutOfBoundsException("layer " + h + " outside 1.." + weights.length
                    + " (layers are numbered from 1)");
        }
        return h - 1;
    }

    /** Copies every weight and bias of {@code other} (same architecture and bias setting; dtypes may differ). */
    public void copyFrom(Parameters other) {
        if (other.hasBiases() != hasBiases() || other.architecture.depth() != architecture.depth()) {
            throw new IllegalArgumentException("parameters of a different network");
        }
        for (int h = 1; h <= architecture.depth(); h++) {
            weights(h).copyFrom(other.weights(h));
            if (hasBiases()) {
                biases(h).copyFrom(other.biases(h));
            }
        }
    }

    @Override
    public void close() {
        for (DenseMatrix m : weights) {
            if (m != null) {
                m.close();
            }
        }
        if (biases != null) {
            for (DenseMatrix m : biases) {
                if (m != null) {
                    m.close();
                }
            }
        }
    }
}

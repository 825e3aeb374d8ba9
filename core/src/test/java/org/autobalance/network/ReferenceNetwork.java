package org.autobalance.network;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * An independent, textbook forward and backward pass in plain double arrays: one sample at a time, every layer
 * written as the explicit sum out[c, oy, ox] = b[c] + Σ_{ci, ky, kx} W[c, ci, ky, kx]·in[ci, oy + ky, ox + kx]
 * (a dense layer is the case H = W = KH = KW = 1), no im2col, no GEMM, no threads. The oracle of the engine's tests.
 */
final class ReferenceNetwork {
    final Architecture arch;
    /** w[h − 1][c][r]: weights of layer h, row c, column r = (ci·KH + ky)·KW + kx. */
    final double[][][] w;
    /** b[h − 1][c], or null without biases. */
    final double[][] b;

    ReferenceNetwork(Architecture arch, double[][][] w, double[][] b) {
        this.arch = arch;
        this.w = w;
        this.b = b;
    }

    /** The parameters of {@code p}, widened to double. */
    static ReferenceNetwork of(Parameters p) {
        int depth = p.architecture().depth();
        double[][][] w = new double[depth][][];
        double[][] b = p.hasBiases() ? new double[depth][] : null;
        for (int h = 1; h <= depth; h++) {
            w[h - 1] = p.weights(h).toArray();
            if (b != null) {
                b[h - 1] = p.biases(h).toArray()[0];
            }
        }
        return new ReferenceNetwork(p.architecture(), w, b);
    }

    /** New engine parameters of {@code dtype} holding these values. */
    Parameters toParameters(DType dtype) {
        Parameters p = new Parameters(arch, dtype, b != null);
        for (int h = 1; h <= arch.depth(); h++) {
            set(p.weights(h), w[h - 1]);
            if (b != null) {
                set(p.biases(h), new double[][] {b[h - 1]});
            }
        }
        return p;
    }

    private static void set(DenseMatrix m, double[][] a) {
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                m.set(i, j, a[i][j]);
            }
        }
    }

    /** The activations of every layer for one sample: out[0] = x, out[h] = φ_h(z_h). */
    double[][] forward(double[] x) {
        double[][] out = new double[arch.depth() + 1][];
        out[0] = x;
        for (int h = 1; h <= arch.depth(); h++) {
            Layer l = arch.layer(h);
            double[] in = out[h - 1];
            double[] z = new double[l.outFeatures()];
            for (int c = 0; c < l.outChannels(); c++) {
                for (int oy = 0; oy < l.outHeight(); oy++) {
                    for (int ox = 0; ox < l.outWidth(); ox++) {
                        double s = b == null ? 0.0 : b[h - 1][c];
                        for (int ci = 0; ci < l.inChannels(); ci++) {
                            for (int ky = 0; ky < l.kernelHeight(); ky++) {
                                for (int kx = 0; kx < l.kernelWidth(); kx++) {
                                    s += w[h - 1][c][(ci * l.kernelHeight() + ky) * l.kernelWidth() + kx]
                                            * in[(ci * l.inHeight() + oy + ky) * l.inWidth() + ox + kx];
                                }
                            }
                        }
                        z[(c * l.outHeight() + oy) * l.outWidth() + ox] = l.activation().apply(s);
                    }
                }
            }
            out[h] = z;
        }
        return out;
    }

    /** L = (1/(2n)) Σ_i ‖f(x_i) − y_i‖². */
    double loss(double[][] x, double[][] y) {
        double s = 0.0;
        for (int i = 0; i < x.length; i++) {
            double[] f = forward(x[i])[arch.depth()];
            for (int j = 0; j < f.length; j++) {
                s += (f[j] - y[i][j]) * (f[j] - y[i][j]);
            }
        }
        return s / (2.0 * x.length);
    }

    /** ∇L as a network of the same shape (weights and biases hold the gradients). */
    ReferenceNetwork gradient(double[][] x, double[][] y) {
        int depth = arch.depth();
        double[][][] gw = new double[depth][][];
        double[][] gb = b == null ? null : new double[depth][];
        for (int h = 0; h < depth; h++) {
            gw[h] = new double[w[h].length][w[h][0].length];
            if (gb != null) {
                gb[h] = new double[w[h].length];
            }
        }
        int n = x.length;
        for (int i = 0; i < n; i++) {
            double[][] a = forward(x[i]);
            double[] delta = new double[a[depth].length];
            for (int j = 0; j < delta.length; j++) {
                delta[j] = (a[depth][j] - y[i][j]) / n;
            }
            for (int h = depth; h >= 1; h--) {
                Layer l = arch.layer(h);
                double[] in = a[h - 1];
                double[] din = new double[in.length];
                for (int c = 0; c < l.outChannels(); c++) {
                    for (int oy = 0; oy < l.outHeight(); oy++) {
                        for (int ox = 0; ox < l.outWidth(); ox++) {
                            int o = (c * l.outHeight() + oy) * l.outWidth() + ox;
                            double dz = delta[o] * l.activation().slopeAtOutput(a[h][o]);
                            if (gb != null) {
                                gb[h - 1][c] += dz;
                            }
                            for (int ci = 0; ci < l.inChannels(); ci++) {
                                for (int ky = 0; ky < l.kernelHeight(); ky++) {
                                    for (int kx = 0; kx < l.kernelWidth(); kx++) {
                                        int r = (ci * l.kernelHeight() + ky) * l.kernelWidth() + kx;
                                        int q = (ci * l.inHeight() + oy + ky) * l.inWidth() + ox + kx;
                                        gw[h - 1][c][r] += dz * in[q];
                                        din[q] += dz * w[h - 1][c][r];
                                    }
                                }
                            }
                        }
                    }
                }
                delta = din;
            }
        }
        return new ReferenceNetwork(arch, gw, gb);
    }
}

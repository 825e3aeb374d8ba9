package org.autobalance.network;

import java.util.List;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/** Small networks of every layer kind and activation, with random parameters and data, for the network tests. */
final class Cases {
    private Cases() {
    }

    /** A network to test: its spec, input shape (or null) and sizes. */
    record Case(String spec, int[] inputShape, int inputs, int outputs, boolean biases) {
        Architecture architecture() {
            return Architecture.parse(spec, inputs, inputShape);
        }

        @Override
        public String toString() {
            return spec + (biases ? " +bias" : "");
        }
    }

    /** dense (relu, leaky, linear), conv1d, conv2d, each with and without biases. */
    static List<Case> all() {
        List<Case> base = List.of(
                new Case("dense:6,relu,dense:5,relu,dense:3", null, 4, 3, false),
                new Case("dense:6,leaky:0.1,dense:4,linear,dense:3", null, 4, 3, false),
                new Case("dense:5,dense:4,dense:3", null, 4, 3, false),
                new Case("conv1d:3,3,relu,conv1d:2,2,leaky:0.2,dense:3", new int[] {2, 9}, 18, 3, false),
                new Case("conv1d:3,3,conv1d:2,2,dense:2", new int[] {2, 7}, 14, 2, false),
                new Case("conv2d:3,2,3,relu,conv2d:2,2,2,dense:4,relu,dense:2", new int[] {2, 5, 6}, 60, 2, false));
        return base.stream().flatMap(c -> java.util.stream.Stream.of(c,
                new Case(c.spec(), c.inputShape(), c.inputs(), c.outputs(), true))).toList();
    }

    /** Gaussian parameters of standard deviation {@code scale}, biases too. */
    static ReferenceNetwork randomNetwork(Case c, double scale, long seed) {
        Architecture arch = c.architecture();
        SplittableRandom r = new SplittableRandom(seed);
        double[][][] w = new double[arch.depth()][][];
        double[][] b = c.biases() ? new double[arch.depth()][] : null;
        for (int h = 1; h <= arch.depth(); h++) {
            Layer l = arch.layer(h);
            w[h - 1] = gaussian(l.outChannels(), l.fanIn(), scale, r);
            if (b != null) {
                b[h - 1] = gaussian(1, l.outChannels(), scale, r)[0];
            }
        }
        return new ReferenceNetwork(arch, w, b);
    }

    static double[][] gaussian(int rows, int cols, double scale, SplittableRandom r) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int j = 0; j < cols; j++) {
                row[j] = scale * r.nextGaussian();
            }
        }
        return a;
    }

    static DenseMatrix matrix(double[][] a) {
        return DenseMatrix.of(DType.FLOAT64, a);
    }
}

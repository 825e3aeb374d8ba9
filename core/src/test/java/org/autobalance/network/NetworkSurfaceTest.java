package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.NetworkRecord;
import org.junit.jupiter.api.Test;

/**
 * The network package's results as the exported API hands them out, held to what issue 9 asked of {@code Result} and
 * {@code IterationRecord}: types that can grow without breaking callers (no public constructor to outgrow: they were
 * records with 14- and 9-argument public constructors), and values no caller can change under another (a record is
 * given to every listener in turn; its arrays were the record's own).
 */
class NetworkSurfaceTest {
    @Test
    void resultsAndRecordsHaveNoPublicConstructor() {
        for (Class<?> type : List.of(NetworkResult.class, NetworkRecord.class)) {
            assertFalse(type.isRecord(), type.getName());
            assertEquals(0, type.getConstructors().length, type.getName());
        }
    }

    /**
     * Layers and architectures built by hand (both are public records) are held to what {@link Architecture#parse}
     * checks: a second layer reading 7 features of the first's 3 trained without a word (on the activations' row
     * padding), and a kernel wider than its input failed later as a matrix of negative size.
     */
    @Test
    void handBuiltLayersAreCheckedAsParsedOnesAre() {
        Activation linear = Activation.LINEAR;
        Layer first = new Layer(Layer.Kind.DENSE, 4, 1, 1, 3, 1, 1, linear);
        IllegalArgumentException chain = assertThrows(IllegalArgumentException.class, () -> new Architecture(List.of(
                first, new Layer(Layer.Kind.DENSE, 7, 1, 1, 2, 1, 1, linear))));
        assertEquals("layer 2 (dense:2) reads 7 x 1 x 1 but layer 1 (dense:3) writes 3 x 1 x 1", chain.getMessage());
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> new Layer(Layer.Kind.CONV1D, 1, 1, 4, 2, 1, 6, linear));
        assertEquals("conv1d layer (1 x 1 x 4 in, 2 out, kernel 1 x 6): the kernel exceeds the input map",
                wide.getMessage());
        int[][] bads = {{0, 1, 1, 3, 1, 1}, {4, 1, 1, -3, 1, 1}, {4, 2, 1, 3, 1, 1}, {4, 1, 1, 3, 1, 2}};
        for (int[] bad : bads) {
            assertThrows(IllegalArgumentException.class, () -> new Layer(Layer.Kind.DENSE, bad[0], bad[1], bad[2],
                    bad[3], bad[4], bad[5], linear), java.util.Arrays.toString(bad));
        }
        assertThrows(IllegalArgumentException.class, () -> new Layer(Layer.Kind.CONV2D, 1 << 16, 1 << 8, 1 << 8, 1,
                1, 1, linear), "2^32 input features");
        // what parse builds passes: a convolution reading the map before it, a dense layer the flattened map
        assertEquals(3, Architecture.parse("conv2d:4,2,2,relu,conv2d:3,2,2,dense:5", 40, new int[] {2, 4, 5})
                .depth());
        IllegalArgumentException flat = assertThrows(IllegalArgumentException.class,
                () -> Architecture.parse("conv1d:70000,1,dense:5", 40000, new int[] {1, 40000}));
        // the map of 70000 x 40000 features is refused where it is made (a dense layer after it read c·h·w, an
        // int product that would have wrapped to a negative size)
        assertEquals("conv1d layer (1 x 1 x 40000 in, 70000 out, kernel 1 x 1): more than 2147483647 features or "
                + "weights per channel", flat.getMessage());
    }

    /**
     * A training step checks its data against the parameters' network and dtype, as the trainer's {@code build()}
     * does, and layers are numbered from 1 (fifteenth session, a new user's trial): a step on data of 4 features
     * for a network reading 5, or of float64 data with float32 parameters, was built and computed from
     * reinterpreted memory (in that trial a loss of 3.2e56 where about 1 was right); {@code weights(0)} said "Index -1
     * out of bounds"; {@code update(NaN)} made every parameter NaN (refused now, and nothing is changed).
     */
    @Test
    void aTrainingStepChecksItsDataAndLayersAreNumberedFromOne() {
        try (DenseMatrix x = DenseMatrix.allocate(DType.FLOAT64, 30, 4);
                DenseMatrix y = DenseMatrix.allocate(DType.FLOAT64, 30, 2);
                Parameters wide = new Parameters(Architecture.parse("dense:2", 5, null), DType.FLOAT64, false);
                Parameters narrow = new Parameters(Architecture.parse("dense:2", 4, null), DType.FLOAT32, false)) {
            assertEquals("X has 4 features per sample but the network dense:2 reads 5", assertThrows(
                    IllegalArgumentException.class, () -> new TrainingStep(x, y, wide, 1)).getMessage());
            assertEquals("the parameters are float32 but the data are float64: convert one of them (DenseMatrix.copy, "
                    + "Parameters.copyFrom)", assertThrows(IllegalArgumentException.class,
                            () -> new TrainingStep(x, y, narrow, 1)).getMessage());
            try (Parameters fits = new Parameters(narrow.architecture(), DType.FLOAT64, false);
                    TrainingStep step = new TrainingStep(x, y, fits, 1)) {
                step.lossAndGradients();
                double[][] before = fits.weights(1).toArray();
                assertEquals("step eta must be finite, got NaN", assertThrows(IllegalArgumentException.class,
                        () -> step.update(Double.NaN)).getMessage());
                assertArrayEquals(before, fits.weights(1).toArray(), "the refused update changed the weights");
            }
            for (int h : new int[] {0, 2}) {
                assertEquals("layer " + h + " outside 1..1 (layers are numbered from 1)", assertThrows(
                        IndexOutOfBoundsException.class, () -> narrow.weights(h)).getMessage());
                assertEquals("layer " + h + " outside 1..1 (layers are numbered from 1)", assertThrows(
                        IndexOutOfBoundsException.class, () -> narrow.biases(h)).getMessage());
            }
        }
    }

    /**
     * The trainer's refusals name the library's setting (the builder's) beside the command line's flag: "give
     * --schedule constant:ETA" told a library caller to pass a flag (the DivergenceException's pattern, issue 9).
     */
    @Test
    void refusalsNameTheBuildersSettingBesideTheFlag() {
        double[][] q = org.autobalance.synthetic.KnownMatrices.orthonormalColumns(
                org.autobalance.synthetic.KnownMatrices.gaussian(10, 5, 1.0, 3));
        double[][] xs = new double[10][3];
        double[][] ys = new double[10][2];
        for (int i = 0; i < 10; i++) {
            System.arraycopy(q[i], 0, xs[i], 0, 3);
            System.arraycopy(q[i], 3, ys[i], 0, 2);
        }
        try (DenseMatrix x = DenseMatrix.of(DType.FLOAT64, xs); DenseMatrix y = DenseMatrix.of(DType.FLOAT64, ys);
                DenseMatrix zero = DenseMatrix.allocate(DType.FLOAT64, 10, 3)) {
            Architecture arch = Architecture.parse("dense:2", 3, null);
            assertEquals("the targets Y are uncorrelated with the inputs X (YᵀX = 0 up to rounding): auto cannot set "
                    + "a step; give the schedule constant:ETA (Builder.schedule; --schedule on the command line)",
                    assertThrows(IllegalArgumentException.class,
                            () -> NetworkTrainer.builder(x, y, arch).build().run().close()).getMessage());
            assertEquals("the inputs X are all zeros: without biases the network's output is 0 whatever its weights "
                    + "(biases fit the targets' mean: Builder.biases(true); --bias on the command line)",
                    assertThrows(IllegalArgumentException.class,
                            () -> NetworkTrainer.builder(zero, y, arch).build().run().close()).getMessage());
        }
    }

    /**
     * A NaN or infinity written into X or Y after {@code build()} (which refuses them) is named by {@code run()} with
     * its position, as {@code build()} names it. Before, the run failed as a divergence at iteration 0, "the loss is
     * NaN ... try a smaller step", which sends the caller after the schedule.
     */
    @Test
    void nonFiniteDataWrittenAfterBuildAreNamedByRun() {
        SplittableRandom random = new SplittableRandom(3);
        try (DenseMatrix x = DenseMatrix.of(DType.FLOAT64, Cases.gaussian(10, 4, 1, random));
                DenseMatrix y = DenseMatrix.of(DType.FLOAT64, Cases.gaussian(10, 2, 1, random))) {
            NetworkTrainer trainer = NetworkTrainer.builder(x, y, Architecture.parse("dense:3,relu,dense:2", 4, null))
                    .schedule(new org.autobalance.schedule.ConstantSchedule(1e-3)).maxIterations(5).build();
            double kept = x.get(1, 2);
            x.set(1, 2, Double.NaN);
            assertEquals("X contains a non-finite value (NaN) at row 1, column 2 (0-based)",
                    assertThrows(IllegalArgumentException.class, trainer::run).getMessage());
            x.set(1, 2, kept);
            y.set(9, 0, Double.NEGATIVE_INFINITY);
            assertEquals("Y contains a non-finite value (-Infinity) at row 9, column 0 (0-based)",
                    assertThrows(IllegalArgumentException.class, trainer::run).getMessage());
        }
    }

    /**
     * An input shape of the wrong length, named in the library's terms (fifteenth session, a new user's trial): it said
     * "input shape must be C,L or C,H,W, got 1 numbers", the command line's spelling of its flag.
     */
    @Test
    void anInputShapeOfTheWrongLengthIsNamedInTheLibrarysTerms() {
        assertEquals("input shape must be {channels, length} or {channels, height, width}, got {4}",
                assertThrows(IllegalArgumentException.class, () -> Architecture.parse("dense:5", 4, new int[] {4}))
                        .getMessage());
        assertEquals("input shape must be {channels, length} or {channels, height, width}, got {1,1,2,2}",
                assertThrows(IllegalArgumentException.class, () -> Architecture.parse("dense:5", 4,
                        new int[] {1, 1, 2, 2})).getMessage());
    }

    @Test
    void aListenerCannotChangeWhatTheNextListenerOrTheCallerSees() {
        SplittableRandom random = new SplittableRandom(5);
        try (DenseMatrix x = DenseMatrix.of(DType.FLOAT64, Cases.gaussian(10, 4, 1, random));
                DenseMatrix y = DenseMatrix.of(DType.FLOAT64, Cases.gaussian(10, 2, 1, random))) {
            List<double[]> seen = new ArrayList<>();
            NetworkTrainer trainer = NetworkTrainer.builder(x, y, Architecture.parse("dense:3,dense:2", 4, null))
                    .maxIterations(3)
                    .listener(record -> {
                        // a careless listener writes into what it was given
                        record.layerSquaredNorms()[0] = -1;
                        record.layerDifferences()[0] = -1;
                    })
                    .listener(record -> seen.add(record.layerSquaredNorms()))
                    .build();
            try (NetworkResult result = trainer.run()) {
                for (double[] norms : seen) {
                    assertFalse(norms[0] < 0, "the second listener saw the first one's write");
                }
                double[] differences = result.layerDifferences();
                differences[0] = Double.NaN;
                assertArrayEquals(result.layerDifferences(), new double[] {
                    result.layerSquaredNorms()[0] - result.layerSquaredNorms()[1]}, 0.0);
                assertThrows(UnsupportedOperationException.class, () -> result.stepHalvedAt().add(1L));
            }
        }
    }
}

package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.schedule.ConstantSchedule;
import org.junit.jupiter.api.Test;

/**
 * Networks whose arrays on the Java heap cannot fit are refused by {@code build()}, in one line, before anything is
 * allocated: they ended in an {@code OutOfMemoryError} (or, past a Java array's length, a NegativeArraySizeException
 * whose message was a number) once the weights were allocated. The widths are chosen from this JVM's heap limit; the
 * data and the weights stay small (a few MB).
 */
class NetworkHeapTest {
    private static final long MAX_HEAP = Runtime.getRuntime().maxMemory();

    /** n x cols of ones and a ramp: any finite data will do, nothing is trained. */
    private static DenseMatrix data(int n, int cols) {
        double[][] a = new double[n][cols];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                a[i][j] = 1 + i + 0.5 * j;
            }
        }
        return DenseMatrix.of(DType.FLOAT64, a);
    }

    /** The refusal of {@link NativeMemory#requireHeap} for {@code what} and {@code bytes}. */
    private static String refusal(String what, long bytes) {
        return "cannot " + what + ": that takes at least " + NativeMemory.size(bytes) + " of Java heap, more than the "
                + NativeMemory.size(MAX_HEAP) + " this JVM's heap may take; give it more with "
                + NativeMemory.heapOption(bytes);
    }

    /** The refusal of {@link NativeMemory#requireOldGeneration} for {@code what} and {@code bytes}. */
    private static String oldGenerationRefusal(String what, long bytes) {
        return "cannot " + what + ": that takes at least " + NativeMemory.size(bytes) + " of Java heap in arrays its "
                + "old generation holds, more than the " + NativeMemory.size(MAX_HEAP / 3 * 2) + " (two thirds of the "
                + NativeMemory.size(MAX_HEAP) + " this JVM's heap may take) that generation is sure to have; give it "
                + "more with " + NativeMemory.heapOption(bytes);
    }

    private static NetworkTrainer build(DenseMatrix x, DenseMatrix y, String layers, boolean biases,
            double tolerance) {
        return NetworkTrainer.builder(x, y, Architecture.parse(layers, x.cols(), null)).biases(biases)
                .tolerance(tolerance).schedule(new ConstantSchedule(1e-3)).build();
    }

    /**
     * A linear hidden layer of ch units conserves a ch x ch matrix Q_1, kept from the start and formed again at every
     * record: 2ch² doubles at least, more than the heap here. Without the plateau check (tolerance 0) too: the
     * matrices are the run's, not the check's. Counted only where they are formed.
     */
    @Test
    void aLinearLayerWhoseConservedMatrixPassesTheHeapIsRefusedWhenBuilt() {
        int ch = (int) Math.sqrt(MAX_HEAP / (2.0 * Double.BYTES)) + 1;
        assumeTrue(ch <= NativeMemory.MAX_SQUARE_SIDE, "a heap this large: " + MAX_HEAP);
        long held = NativeMemory.liveBytes();
        try (DenseMatrix x = data(3, 2); DenseMatrix y = data(3, 1)) {
            // Q_1 twice, with W_1's ch x 2 rows and the ch readers of layer 2
            long need = (2L * ch * ch + 2L * ch + ch) * Double.BYTES;
            String layers = "dense:" + ch + ",dense:1";
            assertEquals(oldGenerationRefusal("train " + layers + " with the conserved channels x channels "
                    + "matrices Q_h of its linear layers in doubles", need), assertThrows(
                            IllegalArgumentException.class, () -> build(x, y, layers, false, 0)).getMessage());
            // a run resumed from a checkpoint without Q_1's reference never forms Q_1: nothing of it to count
            Invariants.requireHeap(Architecture.parse(layers, 2, null), h -> false, false, false);
        }
        assertEquals(held, NativeMemory.liveBytes());
    }

    /**
     * Q_1 twice under the heap's limit but over two thirds of it: the arrays are too large for the young generation
     * and live in the old one, which by default is two thirds of the heap (the serial collector's NewRatio = 2).
     * dense:7000 under -Xmx1g (748 MiB of Q_1 twice, 990 MiB of heap) was let through and ran out of heap at its first
     * record, in Invariants.matrixInvariant.
     */
    @Test
    void aConservedMatrixTwiceThatPassesTheOldGenerationIsRefusedWhenBuilt() {
        // 2ch² doubles at 0.8 of the heap: under it, over the two thirds the old generation is sure to hold
        int ch = (int) Math.sqrt(0.8 * MAX_HEAP / (2.0 * Double.BYTES));
        assumeTrue(ch <= NativeMemory.MAX_SQUARE_SIDE, "a heap this large: " + MAX_HEAP);
        try (DenseMatrix x = data(3, 2); DenseMatrix y = data(3, 1)) {
            long need = (2L * ch * ch + 2L * ch + ch) * Double.BYTES;
            String layers = "dense:" + ch + ",dense:1";
            assertEquals(oldGenerationRefusal("train " + layers + " with the conserved channels x channels matrices "
                    + "Q_h of its linear layers in doubles", need), assertThrows(IllegalArgumentException.class,
                            () -> build(x, y, layers, false, 0)).getMessage());
        }
    }

    /**
     * 50 000 linear units: channels² is no Java array at all (it wrapped in int: a NegativeArraySizeException whose
     * message was a number). The same widths behind a relu have no Q_1, and their layers fit an array: built.
     */
    @Test
    void aLinearLayerWhoseConservedMatrixIsNoJavaArrayIsRefusedWhenBuilt() {
        try (DenseMatrix x = data(3, 2); DenseMatrix y = data(3, 1)) {
            assertEquals("layer 1 has 50000 channels and a linear activation: its conserved 50000 x 50000 matrix Q_1 "
                    + "is more than a Java array holds, 2147483639 elements; at most 46340 channels a linear layer "
                    + "(a relu or leaky one conserves per-unit values only, which are tracked)",
                    assertThrows(IllegalArgumentException.class, () -> build(x, y, "dense:50000,dense:1", false, 0))
                            .getMessage());
            build(x, y, "dense:50000,relu,dense:1", true, 1e-6);
        }
    }

    /**
     * The plateau check (a tolerance above 0) copies each layer's [W_h b_h] onto the heap and forms its smaller Gram,
     * relu layers' too: dense:3000 layers under a 64 MB heap ended in an OutOfMemoryError from that copy. Here the
     * second of two relu layers of w units is w x (w + 1) with its bias, w chosen so that the copy and its w x w Gram
     * pass the heap. Without the check (tolerance 0) the same network is built, as nothing of it is on the heap.
     */
    @Test
    void thePlateauChecksCopiesThatPassTheHeapAreRefusedWhenBuilt() {
        int w = (int) Math.sqrt(MAX_HEAP / (2.0 * Double.BYTES)) + 1;
        assumeTrue(w <= NativeMemory.MAX_SQUARE_SIDE, "a heap this large: " + MAX_HEAP);
        try (DenseMatrix x = data(3, 2); DenseMatrix y = data(3, 1)) {
            String layers = "dense:" + w + ",relu,dense:" + w + ",relu,dense:1";
            long need = ((long) w * (w + 1) + (long) w * w) * Double.BYTES;
            assertEquals(oldGenerationRefusal("train " + layers + " with the plateau check's copy and Gram of each "
                    + "layer in doubles", need), assertThrows(IllegalArgumentException.class,
                            () -> build(x, y, layers, true, 1e-6)).getMessage());
            build(x, y, layers, true, 0);
        }
    }

    /**
     * A layer of 50 000 x 50 001 (with its bias) is no Java array: the check's copy, sized rows * cols in int, wrapped.
     * Refused with the way out, --tol 0, which builds it.
     */
    @Test
    void aLayerThePlateauCheckCannotCopyIntoOneArrayIsRefusedWhenBuilt() {
        try (DenseMatrix x = data(3, 2); DenseMatrix y = data(3, 1)) {
            String layers = "dense:50000,relu,dense:50000,relu,dense:1";
            assertEquals("layer 2 is 50000 x 50001 with its bias: the plateau check copies it into a Java array, "
                    + "which holds at most 2147483639 elements; give the tolerance 0 (Builder.tolerance; --tol on the "
                    + "command line) to train it without the check, or narrower layers",
                    assertThrows(IllegalArgumentException.class, () -> build(x, y, layers, true, 1e-6)).getMessage());
            build(x, y, layers, true, 0);
        }
    }

    /**
     * auto's step estimate holds YᵀX/n, p x d doubles, on the heap: more than the heap here for p = d. Without the
     * plateau check, whose copy of the d x d layer is refused first.
     */
    @Test
    void autosStepEstimateThatPassesTheHeapIsRefusedWhenBuilt() {
        int d = (int) Math.sqrt(MAX_HEAP / (double) Double.BYTES) + 1;
        try (DenseMatrix x = data(1, d); DenseMatrix y = data(1, d)) {
            Architecture arch = Architecture.parse("dense:" + d, d, null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NetworkTrainer.builder(x, y, arch).tolerance(0).build());
            assertEquals(refusal("estimate the step of the schedule auto from the " + d + " x " + d + " matrix YᵀX/n "
                    + "(doubles)", (long) d * d * Double.BYTES), e.getMessage());
        }
    }
}

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

    /**
     * A linear hidden layer of ch units conserves a ch x ch matrix Q_1, kept from the start and formed again at every
     * record: 2ch² doubles at least, more than the heap here; with 50 000 units ch² is no Java array at all.
     */
    @Test
    void aLinearLayerWhoseConservedMatrixPassesTheHeapIsRefusedWhenBuilt() {
        int ch = (int) Math.sqrt(MAX_HEAP / (2.0 * Double.BYTES)) + 1;
        assumeTrue(ch <= 46_340, "a heap this large: " + MAX_HEAP);
        long held = NativeMemory.liveBytes();
        try (DenseMatrix x = data(3, 2); DenseMatrix y = data(3, 1)) {
            Architecture arch = Architecture.parse("dense:" + ch + ",dense:1", 2, null);
            long need = (2L * ch * ch + 2L * ch + ch) * Double.BYTES;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetworkTrainer
                    .builder(x, y, arch).schedule(new ConstantSchedule(1e-3)).build());
            assertEquals("cannot track the conserved matrices Q_h of the linear layers of dense:" + ch + ",dense:1 "
                    + "(channels x channels doubles each) (" + need + " bytes of Java heap at least): more than the "
                    + MAX_HEAP + " bytes this JVM's heap may take (-Xmx)", e.getMessage());

            Architecture wide = Architecture.parse("dense:50000,dense:1", 2, null);
            e = assertThrows(IllegalArgumentException.class, () -> NetworkTrainer.builder(x, y, wide)
                    .schedule(new ConstantSchedule(1e-3)).build());
            assertEquals("layer 1 has 50000 channels and a linear activation: its conserved 50000 x 50000 matrix Q_1 "
                    + "is more than a Java array holds (2147483639 elements); at most 46340 channels a linear layer "
                    + "(a relu or leaky one conserves per-unit values only, which are tracked)", e.getMessage());
            // the same widths behind a relu have no Q_1: refused by neither rule
            NetworkTrainer.builder(x, y, Architecture.parse("dense:50000,relu,dense:1", 2, null))
                    .schedule(new ConstantSchedule(1e-3)).build();
        }
        assertEquals(held, NativeMemory.liveBytes());
    }

    /** auto's step estimate holds YᵀX/n, p x d doubles, on the heap: more than the heap here for p = d. */
    @Test
    void autosStepEstimateThatPassesTheHeapIsRefusedWhenBuilt() {
        int d = (int) Math.sqrt(MAX_HEAP / (double) Double.BYTES) + 1;
        try (DenseMatrix x = data(1, d); DenseMatrix y = data(1, d)) {
            Architecture arch = Architecture.parse("dense:" + d, d, null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NetworkTrainer.builder(x, y, arch).build());
            assertEquals("cannot estimate the step of --schedule auto from the " + d + " x " + d + " matrix YᵀX/n "
                    + "(doubles) (" + (long) d * d * Double.BYTES + " bytes of Java heap at least): more than the "
                    + MAX_HEAP + " bytes this JVM's heap may take (-Xmx)", e.getMessage());
        }
    }
}

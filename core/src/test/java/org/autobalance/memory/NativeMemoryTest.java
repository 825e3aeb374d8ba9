package org.autobalance.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {
    @Test
    void aReservationPastTheLimitIsRefusedAndNotCounted() {
        AtomicLong live = new AtomicLong();
        assertTrue(NativeMemory.tryReserve(live, 1000, 600));
        assertTrue(NativeMemory.tryReserve(live, 1000, 400)); // exactly at the limit: allowed
        assertEquals(1000, live.get());
        assertFalse(NativeMemory.tryReserve(live, 1000, 1));
        assertEquals(1000, live.get());
    }

    /** A matrix dropped without close() still counts until the Cleaner frees it: a refusal waits for that first. */
    @Test
    void droppedMatricesAreCollectedBeforeARefusal() {
        long before = NativeMemory.liveBytes();
        long room = NativeMemory.physicalBytes() - before;
        dropOpen();
        // with the dropped matrix counted this would not fit; once the Cleaner has run, it does
        NativeMemory.requireRoom(room - 63, () -> "the rest of the machine");
        assertEquals(before, NativeMemory.liveBytes());
    }

    private static void dropOpen() {
        DenseMatrix.allocate(DType.FLOAT64, 1, 1).set(0, 0, 1.0);
    }

    /** Every open matrix is counted with the bytes it allocated (rows padded to 64 bytes), until it is closed. */
    @Test
    void openMatricesAreCountedUntilClosed() {
        long before = NativeMemory.liveBytes();
        try (DenseMatrix d = DenseMatrix.allocate(DType.FLOAT64, 3, 5)) {
            assertEquals(before + d.rows() * 64L, NativeMemory.liveBytes()); // 5 doubles padded to 8
            try (SparseMatrix s = SparseMatrix.of(DType.FLOAT32, new double[][] {{1, 0}, {0, 2}})) {
                // row starts (3 longs), 2 column indices, 2 float32 values
                assertEquals(before + 3 * 64 + 3 * 8 + s.nonZeros() * (4 + 4), NativeMemory.liveBytes());
            }
        }
        assertEquals(before, NativeMemory.liveBytes());
    }

    /**
     * A matrix larger than the machine is refused by the count before the allocator is asked (and then refuses
     * nothing else: the count is back where it was).
     */
    @Test
    void aMatrixBeyondPhysicalMemoryIsRefusedInOneLine() {
        long before = NativeMemory.liveBytes();
        // 2³¹ − 1 rows of enough float64 columns (padded to 8) to pass the physical memory, whatever the machine
        int rows = Integer.MAX_VALUE;
        long rowBytes = NativeMemory.physicalBytes() / rows + 1;
        int cols = (int) ((rowBytes + 63) / 64 * 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DenseMatrix.allocate(DType.FLOAT64, rows, cols).close());
        assertTrue(e.getMessage().startsWith("cannot allocate a " + rows + " x " + cols + " float64 matrix ("),
                e.getMessage());
        assertEquals(before, NativeMemory.liveBytes());
    }

    /**
     * One large allocation must also fit in what the machine has available now, not only under its physical memory:
     * a 24 GB matrix on a 25.3 GB machine with 21 GB available was zero-filled until the out-of-memory killer ended
     * the process. (The decision is tested on numbers: an allocation that the check failed to refuse would take the
     * machine's memory down with the test.)
     */
    @Test
    void aLargeAllocationMustFitInTheMemoryAvailableNow() {
        long gib = 1L << 30;
        assertTrue(NativeMemory.fitsAvailable(20 * gib, () -> 21 * gib));
        assertFalse(NativeMemory.fitsAvailable(24 * gib, () -> 21 * gib));
        // small allocations are not held to it, even when the machine is full (they cannot be what exhausts it)
        assertTrue(NativeMemory.fitsAvailable(1L << 20, () -> 0));
        long available = NativeMemory.availableBytes();
        if (System.getProperty("os.name").startsWith("Linux")) {
            // some memory (not compared with physicalBytes: in a container that is the cgroup's limit, while
            // /proc/meminfo may show the host's)
            assertTrue(available > 0, available + " bytes available");
        }
    }
}

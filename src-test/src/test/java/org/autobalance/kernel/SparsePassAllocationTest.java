package org.autobalance.kernel;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * After the histories that boxed vectors on the old kernels, under {@code -Xbatch}, none of the seven sparse passes
 * (the observed pass, the full loss's fused pass, the product, the held-out residual, the panel product, the observed
 * pass over column panels, the fused panel product) allocates per
 * stored entry or per row at 1–4 vectors a row: bytes, counted by the JVM for the calling thread, so a loaded machine
 * cannot make it flaky, and a 1 MiB control array must read as at least its size, so a counter that does not count
 * cannot pass it. Before, the kernels read every vector through a small method of theirs ({@code load}) that C2 inlined
 * or not by its heuristics; where it did not, each load allocated its vector (native-notes/sparse.md, "Boxed vectors in
 * the sparse passes"). On those kernels the probe's failing cells were, in float32 and float64 at 256 bits: the
 * observed pass at 1 vector a row (64 bytes a row), the fused pass at 2 and 3 ({@code fused2}'s odd entry, 1.27–1.91 MB
 * a pass), and the observed pass at 3 vectors right after 4 and again at the end (65 MB a pass, 67 bytes a stored
 * entry); at 128 bits also float64's observed pass at every width and its residual (the 2-lane sum's {@code rearrange},
 * 96 bytes a stored entry). Run by the default execution and by the 128-bit one; not tagged slow (about 10 s): it is
 * the only check that CI would see such a regression in.
 */
class SparsePassAllocationTest {
    /**
     * Bytes a pass may allocate: 1 KiB. What a pass legitimately allocates is the calling thread's scratch (the
     * residuals of a chunk of entries, at most 64 elements; the rows' sums of squares, 16 of them, or one a row of
     * the range over column panels), made on the thread's first pass and kept, so nothing
     * once the histories have run (0 bytes in every cell on this code). A heap vector is at least 48 bytes (a 16-byte
     * object and its payload array, 16 bytes of header and 16 or more of lanes), so boxing one in every 20th of the
     * probe's 20 000 rows would already be 48 000 bytes: 1 KiB separates the two with room for a per-call object.
     */
    private static final long BOUND = 1024;

    @Test
    void sparsePassesAllocateNothingPerEntryAfterTheHistoriesThatBoxed() throws IOException, InterruptedException {
        String out = AllocationCounter.runProbe(SparsePassAllocationProbe.class, List.of());
        AllocationCounter.assertCells(out, 58, BOUND, "bytes a pass: DTYPE PASS VECTORS-A-ROW BYTES");
    }
}

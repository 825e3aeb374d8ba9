package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * The sparse passes allocate nothing per stored entry or per row, whatever ran before them in the JVM: bytes, counted
 * by the JVM for the calling thread, so a loaded machine cannot make it flaky. Before, the kernels read every vector
 * through a small method of theirs ({@code load}) that C2 inlined or not by its heuristics; where it did not, each
 * load allocated its vector. {@code fused2}'s odd entry did so in every JVM (its loads past C2's node cutoff: 1.27 MB
 * a pass at 20 000 rows), and after some histories the observed pass's odd-vector rows did so per entry (65–384 bytes
 * a stored entry, the pass 1.5–3.5× slower; native-notes/sparse.md, "Boxed vectors in the sparse passes"). On those
 * kernels this test failed in float32 and float64 (the fused pass at 2 and 3 vectors a row, the observed pass at 3).
 * Not tagged slow (about 10 s): it is the only check that CI would see such a regression in.
 */
class SparsePassAllocationTest {
    /**
     * Bytes a pass may allocate: 1 KiB. What a pass legitimately allocates is the calling thread's scratch (the
     * residuals of a chunk of entries, at most 64 elements), made on the thread's first pass and kept, so nothing
     * once the histories have run (0 bytes in every cell on this code). A heap vector is at least 48 bytes (a 16-byte
     * object and its payload array, 16 bytes of header and 16 or more of lanes), so boxing one in every 20th of the
     * probe's 20 000 rows would already be 48 000 bytes: 1 KiB separates the two with room for a per-call object.
     */
    private static final long BOUND = 1024;

    @Test
    void sparsePassesAllocateNothingPerEntryAfterTheWorstHistories() throws IOException, InterruptedException {
        assumeTrue(KernelProvider.vectorModulePresent(), "jdk.incubator.vector not in the boot layer");
        // -Xbatch: the thread waits for each compile it starts, so the probe's histories give the same compile
        // order in every run (the interleaved one left code that allocated in some plain JVMs and none under it)
        List<String> options = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xbatch"));
        options.addAll(ChildJvm.simdProperties());
        String out = ChildJvm.run(ChildJvm.command(options, SparsePassAllocationProbe.class), Duration.ofMinutes(3));
        assertTrue(out.contains("done"), out);
        assertEquals(KernelJitTest.simdValues(), KernelJitTest.childsSimdValues(out), "the child's kernel properties");
        long control = Long.parseLong(out.lines().filter(l -> l.startsWith("control ")).findFirst()
                .orElseThrow(() -> new AssertionError("no control reading: " + out)).substring("control ".length()));
        assertTrue(control >= SparsePassAllocationProbe.CONTROL_BYTES,
                "the control's " + SparsePassAllocationProbe.CONTROL_BYTES + "-byte array read as " + control);
        List<String> cells = out.lines().filter(l -> l.startsWith("allocated ")).toList();
        assertEquals(16, cells.size(), out);
        List<String> over = cells.stream().filter(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)) > BOUND)
                .toList();
        assertTrue(over.isEmpty(), "bytes allocated per pass over " + BOUND + " (DTYPE PASS VECTORS-A-ROW BYTES): "
                + over);
    }
}

package org.autobalance.kernel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.autobalance.memory.DType;
import org.autobalance.testing.Repository;
import org.junit.jupiter.api.Test;

/**
 * After a history of shapes and ranks, none of the five dense passes (the fused pass, the Gram matrix, the gradient
 * step, the dot product, the exact residual) allocates per call: bytes counted by the JVM for the calling thread, so a
 * loaded machine cannot make it flaky, and a 1 MiB control array must read as at least its size, so a counter that
 * does not count cannot pass it. Vector API values passed to or returned from a method of ours are heap objects
 * wherever C2 leaves that method out of line (its inlining heuristics, its node cutoff, or a compiler directive); the
 * sparse passes boxed so (native-notes/sparse.md, "Boxed vectors in the sparse passes"). Found here: the residual's
 * driver passed its accumulator vector to {@code GramTiles.sumLanes}, which the launcher's directive keeps out of the
 * drivers it lists, so every call allocated it (64 bytes at 256 bits, every cell of the probe in both dtypes,
 * native-notes/kernels.md 36). Two children: HotSpot's defaults with compiles a tenth as far off (a library user's
 * JVM, reaching C2 within the probe), and the launcher's kernel options (cli/jit); both under {@code -Xbatch}, so that
 * each compile order is the same in every run.
 */
class DensePassAllocationTest {
    /**
     * Bytes a call may allocate: 32. A pass allocates its thread's scratch arrays when a cell first needs them, never
     * afterwards (0 bytes in every cell of the probe on this code, in both children); a heap vector is at least 48
     * bytes (a 16-byte object and its payload array, 16 bytes of header and 16 or more of lanes), so one box a call
     * exceeds the bound.
     */
    private static final long BOUND = 32;

    @Test
    void plainJvm() throws IOException, InterruptedException {
        check(List.of("-XX:CompileThresholdScaling=0.1"));
    }

    @Test
    void underTheLaunchersKernelOptions() throws IOException, InterruptedException {
        Path jit = Repository.root().resolve("cli").resolve("jit");
        check(List.of("@" + jit.resolve("kernels.args"), "-XX:CompilerDirectivesFile=" + jit.resolve("kernels.json")));
    }

    private static void check(List<String> jitOptions) throws IOException, InterruptedException {
        String out = AllocationCounter.runProbe(DensePassAllocationProbe.class, jitOptions);
        AllocationCounter.assertCells(out, DType.values().length * DensePassAllocationProbe.CELLS.length
                * DensePassAllocationProbe.PASSES.length, BOUND, "bytes a call: DTYPE SHAPE RANK PASS BYTES");
    }
}

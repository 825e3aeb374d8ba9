package org.autobalance.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * No native memory is leaked by 10⁴ allocate/free cycles of dense and sparse matrices, solver runs (dense, sparse,
 * observed with a held-out set), failed and stopped solves (divergence, a listener that throws, a time limit, an
 * interrupt during the set-up and mid-run, a cancel, bad input), the readers' error paths (Matrix Market dense and
 * sparse, {@code .npy} truncated or with a header no file could back) and deep-network trainings, one of them
 * diverging ({@link LeakProbe}). Matrices live in {@code Arena} memory, which neither the direct-buffer MXBean nor
 * {@code MaxDirectMemorySize} sees: only Native Memory Tracking does, so the probe runs in a child JVM with
 * {@code -XX:NativeMemoryTracking=summary} and the test fails if NMT is off there.
 *
 * <p><b>Bound.</b> The NMT category "Other" (where {@code Unsafe.allocateMemory}, hence every arena, is counted) may
 * grow by at most 32 KiB between the end of 500 warm-up cycles and the end of 10⁴ more. Each of the
 * {@value LeakProbe#KINDS} kinds of cycle runs at least ⌊10⁴/{@value LeakProbe#KINDS}⌋ = 833 times, and the smallest
 * thing any cycle allocates is the 3 × 3 two-entry sparse matrix of the sparse reader's cycle in float32: 32 B of row
 * starts, 8 of column indices, 8 of values, 48 B (a dense matrix is at least 2 rows padded to 64 bytes, 128 B): a leak
 * in any one kind grows "Other" by ≥ 833 × 48 B = 40 KB, over the bound, whatever the kind. The 32 KiB leave room for
 * one-time allocations the warm-up missed (measured: none). The number of threads must come back exactly (a solver
 * that did not stop its workers would leave them). A matrix dropped without {@code close()} is freed by the
 * matrices' safety net once the collector finds it (the probe collects before each reading), so NMT alone could miss
 * it: its warning must not appear in the child's output.
 */
class NativeMemoryLeakTest {
    private static final long BOUND_BYTES = 32 * 1024;

    @Test
    void tenThousandCyclesLeakNothing() throws Exception {
        String out = ChildJvm.run(ChildJvm.command(List.of("-XX:NativeMemoryTracking=summary", "--add-modules",
                "jdk.incubator.vector"), LeakProbe.class, "500", "10000"), Duration.ofMinutes(10));
        long[] before = numbers(out, "before ");
        long[] after = numbers(out, "after ");
        assertEquals(10_000, numbers(out, "cycles ")[0]);
        assertTrue(after[0] - before[0] <= BOUND_BYTES, "native memory (NMT Other) grew from " + before[0] + " to "
                + after[0] + " bytes over 10^4 cycles");
        assertEquals(before[1], after[1], "threads before and after");
        // the safety net's warning (java.util.logging's console handler writes it to the child's stderr)
        assertFalse(out.contains("without close()"), "a matrix was freed by the safety net, not by close():\n" + out);
    }

    /** The probe refuses to run without NMT, so the test above cannot pass vacuously. */
    @Test
    void theProbeFailsWithoutNativeMemoryTracking() throws Exception {
        AssertionError e = assertThrows(AssertionError.class,
                () -> ChildJvm.run(ChildJvm.command(List.of(), LeakProbe.class, "1", "1"), Duration.ofMinutes(2)));
        assertTrue(e.getMessage().contains("exited with 3") && e.getMessage().contains("nmt-off"), e.getMessage());
    }

    private static long[] numbers(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> Arrays.stream(l.substring(prefix.length()).trim().split(" "))
                        .mapToLong(Long::parseLong).toArray())
                .orElseGet(() -> fail("no '" + prefix + "' line in the probe's output:\n" + out));
    }
}

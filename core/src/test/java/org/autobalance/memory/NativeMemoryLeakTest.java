package org.autobalance.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * No native memory is leaked by 10⁴ allocate/free cycles of matrices, solver runs, failed solves (divergence, a
 * listener that throws, a time limit, bad input) and the reader's error paths ({@link LeakProbe}). Matrices live in
 * {@code Arena} memory, which neither the direct-buffer MXBean nor {@code MaxDirectMemorySize} sees: only Native
 * Memory Tracking does, so the probe runs in a child JVM with {@code -XX:NativeMemoryTracking=summary} and the test
 * fails if NMT is off there.
 *
 * <p><b>Bound.</b> The NMT category "Other" (where {@code Unsafe.allocateMemory}, hence every arena, is counted) may
 * grow by at most 64 KiB between the end of 500 warm-up cycles and the end of 10⁴ more. Each kind of cycle runs 1250
 * times, and the smallest thing any cycle allocates is a matrix of at least 2 rows padded to 64-byte rows, 128 bytes:
 * a leak in any one kind grows "Other" by ≥ 1250 × 128 B = 160 KB, over the bound, whatever the kind. The 64 KiB
 * leave room for one-time allocations the warm-up missed (measured: none; 34 KiB live before and after). The number
 * of threads must come back exactly (a solver that did not stop its workers would leave them).
 */
class NativeMemoryLeakTest {
    private static final long BOUND_BYTES = 64 * 1024;

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

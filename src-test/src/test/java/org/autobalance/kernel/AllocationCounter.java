package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.testing.ChildJvm;

/**
 * The calling thread's allocated bytes as the JVM counts them, for the allocation probes ({@link
 * SparsePassAllocationProbe}, {@link DensePassAllocationProbe}), and the checks their tests make of the probes'
 * output: a control line {@code control BYTES}, then lines {@code allocated … BYTES}.
 */
final class AllocationCounter {
    /** The control's array: what a reading must count if the counter counts at all. */
    static final int CONTROL_BYTES = 1 << 20;
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** Keeps the control's array reachable, so that no compiler may drop its allocation. */
    private static byte[] kept;

    private AllocationCounter() {
    }

    /**
     * Runs {@code probe} in a child JVM with the vector module, {@code jitOptions} and this JVM's kernel properties,
     * and returns its output once it said "done" with those properties. -Xbatch: the thread waits for each compile it
     * starts, so a probe's histories give the same compile order in every run (the interleaved one left code that
     * allocated in some plain JVMs and none in others).
     */
    static String runProbe(Class<?> probe, List<String> jitOptions) throws IOException, InterruptedException {
        assumeTrue(KernelProvider.vectorModulePresent(), "jdk.incubator.vector not in the boot layer");
        List<String> options = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xbatch"));
        options.addAll(jitOptions);
        options.addAll(ChildJvm.simdProperties());
        String out = ChildJvm.run(ChildJvm.command(options, probe), Duration.ofMinutes(3));
        assertTrue(out.contains("done"), out);
        assertEquals(KernelJitTest.simdValues(), KernelJitTest.childsSimdValues(out), "the child's kernel properties");
        return out;
    }

    /** The bytes this thread allocated so far; a JVM that does not count them (-1) fails the probe. */
    static long allocated() {
        long bytes = THREADS.getCurrentThreadAllocatedBytes();
        if (bytes < 0) {
            throw new IllegalStateException("this JVM does not count the thread's allocated bytes (" + bytes + ")");
        }
        return bytes;
    }

    /** Prints {@code control BYTES}: what the counter read across the allocation of a {@link #CONTROL_BYTES} array. */
    static void printControl() {
        long before = allocated();
        kept = new byte[CONTROL_BYTES];
        System.out.println("control " + (allocated() - before));
    }

    /**
     * Checks a probe's output: its control read at least {@link #CONTROL_BYTES}, it printed {@code cells} lines
     * {@code allocated …}, and none ends in more than {@code bound} bytes ({@code columns} names their fields).
     */
    static void assertCells(String out, int cells, long bound, String columns) {
        long control = Long.parseLong(out.lines().filter(l -> l.startsWith("control ")).findFirst()
                .orElseThrow(() -> new AssertionError("no control reading: " + out)).substring("control ".length()));
        assertTrue(control >= CONTROL_BYTES, "the control's " + CONTROL_BYTES + "-byte array read as " + control);
        List<String> lines = out.lines().filter(l -> l.startsWith("allocated ")).toList();
        assertEquals(cells, lines.size(), out);
        List<String> over = lines.stream().filter(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)) > bound)
                .toList();
        assertTrue(over.isEmpty(), "bytes allocated over " + bound + " (" + columns + "): " + over);
    }
}

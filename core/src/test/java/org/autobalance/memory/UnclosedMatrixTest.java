package org.autobalance.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The safety net for matrices never closed: 10⁴ matrices of 64 KiB (625 MiB in all) dropped while open must not grow
 * native memory, and the JVM warns once. Arena memory is invisible to the direct-buffer MXBean, so the child JVM runs
 * with Native Memory Tracking and reads its own summary (category "Other", where {@code Arena.allocate} memory is
 * counted) through the DiagnosticCommand MBean.
 */
class UnclosedMatrixTest {
    static final int MATRICES = 10_000;
    /** 64 × 128 float64 = 64 KiB each (no padding: 128 doubles fill whole cache lines). */
    static final int ROWS = 64;
    static final int COLS = 128;
    static final long MATRIX_KIB = ROWS * COLS * 8 / 1024;
    static final int GC_EVERY = 100;
    private static final String WARNING = "garbage-collected without close()";
    private static final String GROWTH = "growth-kib ";

    /**
     * Allocates {@link #MATRICES} matrices, dense ({@code args[1]} "dense") or a fifth as many sparse ones ("sparse":
     * 64 × 128 with every entry stored, 96 KiB of indices and values; building them is slower), dropping
     * ({@code args[0]} "drop") or closing ("close") each; prints the NMT growth.
     */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            boolean drop = args[0].equals("drop");
            boolean sparse = args[1].equals("sparse");
            double[][] full = new double[ROWS][COLS];
            for (double[] row : full) {
                Arrays.fill(row, 1.0);
            }
            int count = sparse ? MATRICES / 5 : MATRICES;
            int gcEvery = sparse ? GC_EVERY / 5 : GC_EVERY;
            long before = otherCommittedKib();
            for (int k = 0; k < count; k++) {
                AutoCloseable m;
                if (sparse) {
                    m = SparseMatrix.of(DType.FLOAT64, full);
                } else {
                    DenseMatrix d = DenseMatrix.allocate(DType.FLOAT64, ROWS, COLS);
                    d.set(ROWS - 1, COLS - 1, k); // touch the memory so that it is committed
                    m = d;
                }
                if (!drop) {
                    m.close();
                }
                // native memory does not trigger a collection (the heap holds only the small DenseMatrix objects): an
                // application that drops matrices relies on collections it has anyway; here they are explicit
                if (k % gcEvery == gcEvery - 1) {
                    System.gc();
                }
            }
            // the cleaner thread runs after the last collection: give it a moment to free the last batch
            long growth = Long.MAX_VALUE;
            for (int tries = 0; tries < 50 && growth > GC_EVERY * MATRIX_KIB; tries++) {
                System.gc();
                Thread.sleep(20);
                growth = otherCommittedKib() - before;
            }
            System.out.println(GROWTH + growth);
        }

        static long otherCommittedKib() throws Exception {
            String summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            Matcher m = Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)").matcher(summary);
            if (!m.find()) {
                throw new IllegalStateException("no 'Other' category in the NMT summary (is NMT on?): " + summary);
            }
            return Long.parseLong(m.group(2));
        }
    }

    /** The child's output (stdout and stderr together), run with NMT on. */
    private static String probe(String mode, String kind) throws Exception {
        return ChildJvm.run(ChildJvm.command(List.of("-XX:NativeMemoryTracking=summary"), Probe.class, mode, kind),
                Duration.ofMinutes(2));
    }

    private static long growthKib(String out) {
        String line = out.lines().filter(l -> l.startsWith(GROWTH)).findFirst()
                .orElseThrow(() -> new AssertionError("no growth printed:\n" + out));
        return Long.parseLong(line.substring(GROWTH.length()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense", "sparse"})
    void droppedMatricesAreFreedWithOneWarning(String kind) throws Exception {
        String out = probe("drop", kind);
        long growth = growthKib(out);
        // at most about one batch between collections may still be waiting for the cleaner (a sparse batch is 0.3 of
        // a dense one); without the safety net the growth is 10⁴ · 64 KiB = 625 MiB (dense) or 2000 · 96 KiB (sparse)
        assertTrue(growth <= 2 * GC_EVERY * MATRIX_KIB, "native memory grew by " + growth + " KiB");
        long warnings = out.lines().filter(l -> l.contains(WARNING)).count();
        assertEquals(1, warnings, out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense", "sparse"})
    void closedMatricesAreNotWarnedAbout(String kind) throws Exception {
        String out = probe("close", kind);
        long growth = growthKib(out);
        assertTrue(growth <= 2 * GC_EVERY * MATRIX_KIB, "native memory grew by " + growth + " KiB");
        assertTrue(!out.contains(WARNING), out);
    }
}

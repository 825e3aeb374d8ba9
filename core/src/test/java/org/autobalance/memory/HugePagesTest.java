package org.autobalance.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HugePagesTest {
    /** float64, 1100 × 1100 (stride 1104): 9.7 MB, above the threshold and more than four huge pages. */
    private static final int N = 1100;

    @Test
    void theBracketedSettingDecides() {
        assertEquals(HugePages.Mode.ADVISE, HugePages.parse("always [madvise] never\n", true));
        assertEquals(HugePages.Mode.NONE, HugePages.parse("always [madvise] never\n", false));
        assertEquals(HugePages.Mode.ALIGN, HugePages.parse("[always] madvise never\n", false));
        assertEquals(HugePages.Mode.NONE, HugePages.parse("always madvise [never]\n", true));
        assertEquals(HugePages.Mode.NONE, HugePages.parse(null, true));
        assertEquals(HugePages.Mode.NONE, HugePages.parse("madvise", true));
    }

    @Test
    void smallMatricesKeepTheCacheLineAlignment() {
        assertEquals(64, HugePages.alignment(HugePages.THRESHOLD - 1, 64));
    }

    /** Whatever the pages, a large matrix is all zeros when allocated (padding included) and keeps what is written. */
    @Test
    void aLargeMatrixIsZeroAndHoldsItsValues() {
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, N, N)) {
            long bytes = m.segment().byteSize();
            assertTrue(bytes >= HugePages.THRESHOLD);
            for (long o = 0; o < bytes; o += 8) {
                if (m.segment().get(ValueLayout.JAVA_LONG, o) != 0) {
                    throw new AssertionError("non-zero byte at offset " + o + " of a new matrix");
                }
            }
            if (HugePages.MODE != HugePages.Mode.NONE) {
                assertEquals(0, m.segment().address() % (2 << 20), "a large matrix starts on a huge page");
            }
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    m.set(i, j, i * 4096.0 + j);
                }
            }
            for (int i = 0; i < N; i += 37) {
                for (int j = 0; j < N; j += 13) {
                    assertEquals(i * 4096.0 + j, m.get(i, j));
                }
            }
        }
    }

    /**
     * Where huge pages are given on request and this code may call madvise, a large matrix's memory is backed by them
     * once written (its mapping in /proc/self/smaps counts AnonHugePages). The kernel may have no free huge page; the
     * test is skipped when its fallback counter moved.
     */
    @Test
    void aLargeMatrixGetsHugePagesWhereTheSystemOffersThem() throws IOException {
        assumeTrue(HugePages.MODE == HugePages.Mode.ADVISE, "huge pages by madvise not available: " + HugePages.MODE);
        long fallback0 = vmstat("thp_fault_fallback");
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, N, N)) {
            m.segment().fill((byte) 1);
            assumeTrue(vmstat("thp_fault_fallback") == fallback0, "the kernel had no free huge page");
            long kib = anonHugeKib(m.segment().address());
            assertTrue(kib >= 4 * 2048, "AnonHugePages of the matrix's mapping: " + kib + " KiB");
        }
    }

    private static long vmstat(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/vmstat"))) {
            if (line.startsWith(key + " ")) {
                return Long.parseLong(line.substring(key.length() + 1).strip());
            }
        }
        return -1;
    }

    /** AnonHugePages (KiB) of the mapping of /proc/self/smaps that contains {@code address}. */
    private static long anonHugeKib(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        boolean inside = false;
        for (String line : lines) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long lo = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long hi = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = lo <= address && address < hi;
            } else if (inside && line.startsWith("AnonHugePages:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no mapping of /proc/self/smaps contains " + Long.toHexString(address));
    }
}

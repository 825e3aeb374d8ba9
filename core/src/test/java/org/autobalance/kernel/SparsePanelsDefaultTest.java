package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.autobalance.memory.DType;
import org.junit.jupiter.api.Test;

/**
 * The panel layouts' default size by a core's caches (the tests themselves run with the size fixed: pom.xml): the
 * layouts of M and Mᵀ off below {@link SparsePanels#MIN_L2_BYTES}, where they were measured to lose to the CSR
 * products (AMD Zen 3, 512 KiB), and half the L2 from it (Intel, 2 MiB, where they gain); the aligned form's below.
 */
class SparsePanelsDefaultTest {
    @Test
    void theLayoutsAreOffBelowTwoMibOfL2AndHalfOfItFrom() {
        assertEquals(0, SparsePanels.defaultPanelBytes(512 * 1024));
        assertEquals(0, SparsePanels.defaultPanelBytes(1 << 20));
        assertEquals(0, SparsePanels.defaultPanelBytes((2 << 20) - 1));
        assertEquals(1 << 20, SparsePanels.defaultPanelBytes(2 << 20));
        assertEquals(2 << 20, SparsePanels.defaultPanelBytes(4 << 20));
    }

    /**
     * The aligned form's panels: half the L2 but at least 1 MiB from {@link SparsePanels#MIN_L2_BYTES} of L2, a
     * quarter of the L3 below it (measured on the Zen 3 host: L3-sized panels pay there, L2-sized ones do not), and
     * of the assumed 32 MiB where the L3 is unknown (measured on a Zen 5 guest without cache information).
     */
    @Test
    void theAlignedFormsPanelsFollowTheL2FromTwoMibAndTheL3Below() {
        assertEquals(1 << 20, SparsePanels.defaultAlignedPanelBytes(2 << 20, 32 << 20));
        assertEquals(2 << 20, SparsePanels.defaultAlignedPanelBytes(4 << 20, 0));
        assertEquals(8 << 20, SparsePanels.defaultAlignedPanelBytes(512 * 1024, 32 << 20));
        assertEquals(8 << 20, SparsePanels.defaultAlignedPanelBytes(1 << 20, 32 << 20));
        assertEquals(Integer.MAX_VALUE, SparsePanels.defaultAlignedPanelBytes(1 << 20, 64L << 30));
        assertEquals(8 << 20, SparsePanels.defaultAlignedPanelBytes(512 * 1024, 0));
        assertEquals(8 << 20, SparsePanels.defaultAlignedPanelBytes(1 << 20, 0));
    }

    /**
     * At more than one thread the aligned form needs two panels a thread (its wavefront), at one thread one (the tests
     * run with the panel size given, so not the two of an assumed L3).
     */
    @Test
    void theAlignedFormTakesTwoPanelsAThreadAboveOneThread() {
        assertEquals(1, SparsePanels.MIN_ALIGNED_PANELS);
        long rowBytes = 64;
        int perPanel = (int) (SparsePanels.ALIGNED_PANEL_BYTES / (2 * rowBytes));
        int rows = 1_000;
        long entries = 400_000;
        for (int panels = 1; panels <= 6; panels++) {
            int cols = perPanel * panels;
            assertEquals(panels, SparsePanels.alignedPanelCount(cols, rowBytes));
            for (int threads = 1; threads <= 3; threads++) {
                assertEquals(threads == 1 || panels >= 2 * threads,
                        SparsePanels.paysAligned(rows, cols, entries, DType.FLOAT32, rowBytes, threads),
                        panels + " panels, " + threads + " threads");
            }
        }
    }
}

package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The panel layouts' default size by a core's L2 cache (the tests themselves run with the size fixed: pom.xml): off
 * below {@link SparsePanels#MIN_L2_BYTES}, where they were measured to lose to the CSR products (AMD Zen 3, 512 KiB),
 * and half the L2 from it (Intel, 2 MiB, where they gain).
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
}

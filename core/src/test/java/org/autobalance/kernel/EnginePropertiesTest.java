package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The rule of each {@code autobalance.*} property: a value that is not understood is refused naming the property and
 * the value, instead of silently running the default (Integer.getInteger turned {@code halfPanel.float64=abc} into 16
 * and {@code =-3} into "off"; Boolean.parseBoolean {@code wideTiles=yes} into false; an unknown kernel mode meant
 * auto). That the refusal comes before any class is initialised is {@code BadEnginePropertyTest}'s (src-test).
 */
class EnginePropertiesTest {
    private static void assertRefused(EngineProperties.Property<?> p, String text, String rule) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.value(text), text);
        assertEquals("system property " + p.name() + " must be " + rule + ", got '" + text + "'", e.getMessage());
    }

    @Test
    void integersAtOrAboveTheirMinimumAreTaken() {
        assertEquals(0, EngineProperties.HALF_PANEL_FLOAT64.value("0"));
        assertEquals(1000, EngineProperties.SMALL_RANK_FLOAT32.value("1000"));
        assertEquals(1, EngineProperties.ROW_STREAM_BLOCK_BYTES.value("1"));
        for (String bad : new String[] {"abc", "1.5", "99999999999", "-3", "0x10"}) {
            assertRefused(EngineProperties.HALF_PANEL_FLOAT64, bad, "an integer >= 0");
        }
        assertRefused(EngineProperties.ROW_STREAM_BLOCK_BYTES, "0", "an integer >= 1");
    }

    @Test
    void widthsAreOneOfThree() {
        assertEquals(128, EngineProperties.SIMD_BITS.value("128"));
        for (String bad : new String[] {"100", "64", "1024", "256 bits"}) {
            assertRefused(EngineProperties.SIMD_BITS, bad, "128, 256 or 512");
            assertRefused(EngineProperties.LARGE_RANK_BITS, bad, "128, 256 or 512");
        }
    }

    @Test
    void switchesAreTrueOrFalseAndTheKernelsOneOfThreeInAnyCase() {
        assertEquals(true, EngineProperties.WIDE_TILES.value("TRUE"));
        assertEquals(false, EngineProperties.HUGE_PAGES.value("false"));
        for (String bad : new String[] {"yes", "no", "1", "off"}) {
            assertRefused(EngineProperties.WIDE_TILES, bad, "true or false");
            assertRefused(EngineProperties.HUGE_PAGES, bad, "true or false");
        }
        assertEquals("scalar", EngineProperties.KERNELS.value("Scalar"));
        assertRefused(EngineProperties.KERNELS, "fastest", "auto, simd or scalar");
    }
}

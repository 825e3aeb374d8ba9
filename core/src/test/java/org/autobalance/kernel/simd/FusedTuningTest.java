package org.autobalance.kernel.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The integer tuning properties ({@code autobalance.simd.smallRank.*}, {@code rowStream.*}, {@code halfPanel.*}):
 * a bad value stops the JVM with its name and value instead of silently running the default (Integer.getInteger
 * turned {@code halfPanel.float64=abc} into 16 and {@code =-3} into "off").
 */
class FusedTuningTest {
    /** Outside autobalance.simd.*, so that no child JVM started meanwhile inherits it. */
    private static final String NAME = "autobalance.test.fusedTuning";

    @AfterEach
    void clear() {
        System.clearProperty(NAME);
    }

    @Test
    void unsetGivesTheFallbackAndAValueAtOrAboveTheMinimumIsTaken() {
        assertEquals(16, FusedTuning.intProperty(NAME, 16, 0));
        System.setProperty(NAME, "0");
        assertEquals(0, FusedTuning.intProperty(NAME, 16, 0));
        System.setProperty(NAME, "1000");
        assertEquals(1000, FusedTuning.intProperty(NAME, 16, 0));
    }

    @Test
    void aValueThatIsNoIntegerThrowsNamingPropertyAndValue() {
        for (String bad : new String[] {"abc", "", "1.5", "99999999999"}) {
            System.setProperty(NAME, bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FusedTuning.intProperty(NAME, 16, 0), bad);
            assertEquals(NAME + " must be an integer >= 0, got '" + bad + "'", e.getMessage());
        }
    }

    @Test
    void aValueBelowTheMinimumThrowsNamingPropertyAndValue() {
        System.setProperty(NAME, "-3");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FusedTuning.intProperty(NAME, 16, 0));
        assertEquals(NAME + " must be an integer >= 0, got -3", e.getMessage());
        System.setProperty(NAME, "0");
        e = assertThrows(IllegalArgumentException.class, () -> FusedTuning.intProperty(NAME, 512, 1));
        assertEquals(NAME + " must be an integer >= 1, got 0", e.getMessage());
    }
}

package org.autobalance.solve.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rationing shared by the factorisation's and the network's plateau checks: when the escape test runs, and its
 * state's round trip through a checkpoint's doubles.
 */
class PlateauCheckTest {
    /** Runs the rationing over iterations [from, to) with a fixed count of unlearned directions and a verdict. */
    private static List<Long> checks(PlateauCheck check, long from, long to, int unlearned, boolean plateau) {
        List<Long> at = new ArrayList<>();
        for (long t = from; t < to; t++) {
            long now = t;
            check.minimiser(t, () -> unlearned, () -> {
                at.add(now);
                return plateau;
            }, false);
        }
        return at;
    }

    @Test
    void afterAPlateauTheNextCheckWaitsForSpacingAndAChangeOrADoubling() {
        PlateauCheck check = new PlateauCheck();
        // first at 100; then not before 130, and with the count unchanged not before t = 200 (the doubling)
        assertEquals(List.of(100L, 200L, 400L), checks(check, 100, 500, 3, true));
        assertEquals(new PlateauCheck.State(400, 3, true), check.state());
        // a change of the count makes a check due once the spacing has passed: 430, not 800
        assertEquals(List.of(430L), checks(check, 401, 460, 2, true));
    }

    @Test
    void aPlateauVerdictStandsUntilTheNextDueCheckAndTheLastIterationIsCheckedAfresh() {
        PlateauCheck check = new PlateauCheck();
        assertFalse(check.minimiser(10, () -> 1, () -> true, false));
        assertFalse(check.minimiser(11, () -> 1, () -> false, false), "not due: the plateau verdict stands");
        assertTrue(check.minimiser(12, () -> 1, () -> false, true), "fresh: checked again");
        assertTrue(new PlateauCheck().minimiser(5, () -> 1, () -> false, false), "the first check is always due");
    }

    @Test
    void theStateRoundTripsThroughDoubles() {
        PlateauCheck.State s = new PlateauCheck.State(123_456_789_012L, 17, true);
        assertEquals(s, PlateauCheck.State.decode(s.encode()));
        PlateauCheck.State none = new PlateauCheck().state();
        assertEquals(none, PlateauCheck.State.decode(none.encode()));
        assertThrows(IllegalArgumentException.class, () -> PlateauCheck.State.decode(new double[2]));
    }
}

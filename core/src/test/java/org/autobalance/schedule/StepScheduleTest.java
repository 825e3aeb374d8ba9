package org.autobalance.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class StepScheduleTest {

    @Test
    void constantIsConstant() {
        StepSchedule s = StepSchedule.parse("constant:0.25");
        assertEquals(0.25, s.eta(0));
        assertEquals(0.25, s.eta(1_000_000));
    }

    @Test
    void decayFollowsThePowerLaw() {
        // η_t = η₀/(t+1)^(1/2+δ), worked by hand where the power is exact: with δ = 1/4, 16^(3/4) = 8 and
        // 256^(3/4) = 64; with δ = 1/2 the power is t + 1 itself. Math.pow is within 1 ulp, the division adds ½ ulp.
        StepSchedule s = StepSchedule.parse("decay:0.3,0.25");
        assertEquals(0.3, s.eta(0));
        assertEquals(0.0375, s.eta(15), 2 * Math.ulp(0.0375));
        assertEquals(0.0046875, s.eta(255), 2 * Math.ulp(0.0046875));
        assertEquals(0.03, StepSchedule.parse("decay:0.3,0.5").eta(9), 2 * Math.ulp(0.03));
        // Σ η_t² converges for δ > 0: the tail beyond t is about η₀²·t^(−2δ)/(2δ)
        assertTrue(s.eta(10_000) < s.eta(9_999));
    }

    @Test
    void autoResolvesToCOverSigma1() {
        StepSchedule s = StepSchedule.parse("auto");
        assertTrue(s.needsSpectralNorm());
        assertEquals(0.5 / 4.0, s.resolve(4.0).eta(7));
        assertEquals(0.1 / 2.0, StepSchedule.parse("auto:0.1").resolve(2.0).eta(0));
        assertThrows(IllegalStateException.class, () -> s.eta(0));
        assertInstanceOf(ConstantSchedule.class, s.resolve(1.0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "decay:0.1,0|delta must lie in (0, 1/2]",
        "decay:0.1,0.6|delta must lie in (0, 1/2]",
        "decay:0.1,-0.1|delta must lie in (0, 1/2]",
        "decay:0.1,NaN|delta must lie in (0, 1/2]",
        "decay:0.1|expected decay:ETA0,DELTA",
        "decay:-1,0.25|eta0 must be finite and positive",
        "constant:0|constant step must be finite and positive",
        "constant:-0.5|constant step must be finite and positive",
        "constant:Infinity|constant step must be finite and positive",
        "constant:NaN|constant step must be finite and positive",
        "constant:abc|ETA 'abc' is not a number",
        "constant|needs arguments",
        "auto:0|auto step scale C must be finite and positive",
        "sometimes|unknown schedule"})
    void rejectsInvalidSchedules(String spec, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StepSchedule.parse(spec));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e-9, 0.5})
    void deltaAtTheEdgesIsAccepted(double delta) {
        assertEquals(1.0, new PowerDecaySchedule(1.0, delta).eta(0));
    }

    /** A null spec is refused as the builders refuse a null argument: a NullPointerException that names it. */
    @Test
    void aNullSpecIsANamedNullPointerException() {
        assertEquals("schedule spec must not be null",
                assertThrows(NullPointerException.class, () -> StepSchedule.parse(null)).getMessage());
    }
}

package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link DecimalDouble} against {@link Double#parseDouble}, the oracle, bit for bit: wherever it decides (not NaN) it
 * must give parseDouble's double, over random significands and exponents, the shortest and 17/19-digit decimals of
 * random doubles, and the exact halfway points where rounding to even matters.
 */
class DecimalDoubleTest {
    private static final long TEN_TO_19 = -8446744073709551616L; // 10^19 as an unsigned long

    /** Checks w·10^q (w unsigned) and returns whether DecimalDouble decided it. */
    private static boolean check(long w, int q) {
        String text = Long.toUnsignedString(w) + "e" + q;
        double decided = DecimalDouble.toDouble(w, q);
        if (Double.isNaN(decided)) {
            return false;
        }
        assertEquals(Double.doubleToRawLongBits(Double.parseDouble(text)), Double.doubleToRawLongBits(decided),
                text);
        return true;
    }

    @Test
    void randomSignificandsAtEveryExponent() {
        SplittableRandom random = new SplittableRandom(20261201);
        int decided = 0;
        int tried = 0;
        for (int q = DecimalDouble.MIN_EXPONENT - 3; q <= DecimalDouble.MAX_EXPONENT + 3; q++) {
            for (int k = 0; k < 200; k++) {
                // significands of every length: 1 to 19 digits
                int digits = 1 + random.nextInt(19);
                long w = digits == 19 ? Long.remainderUnsigned(random.nextLong(), TEN_TO_19)
                        : random.nextLong(1, pow10(digits));
                tried++;
                decided += check(w, q) ? 1 : 0;
            }
        }
        // everything inside the range is decided: the fallback is for the rare case only (none in practice)
        int outside = 6 * 200;
        assertEquals(tried - outside, decided);
    }

    @Test
    void decimalsOfRandomDoubles() {
        SplittableRandom random = new SplittableRandom(7);
        for (int k = 0; k < 100_000; k++) {
            double x = Double.longBitsToDouble(random.nextLong() & Long.MAX_VALUE);
            if (!Double.isFinite(x) || Math.abs(x) < 1e-290 || Math.abs(x) > 1e280) {
                continue;
            }
            // the shortest decimal (Double.toString, Python's repr) and numpy's %.18e (19 digits) of x
            for (BigDecimal d : new BigDecimal[] {new BigDecimal(Double.toString(x)),
                    new BigDecimal(x).round(new java.math.MathContext(19)),
                    new BigDecimal(x).round(new java.math.MathContext(17))}) {
                BigDecimal stripped = d.stripTrailingZeros();
                check(stripped.unscaledValue().longValue(), -stripped.scale());
            }
        }
    }

    @Test
    void halfwayPointsRoundToEven() {
        // 2^53 + 1 lies halfway between 2^53 and 2^53 + 2: ties to even give 2^53; 2^53 + 3 gives 2^53 + 4
        assertTrue(check((1L << 53) + 1, 0));
        assertTrue(check((1L << 53) + 3, 0));
        SplittableRandom random = new SplittableRandom(11);
        for (int k = 0; k < 100_000; k++) {
            // integers in [2^53, 2^63] halfway between two doubles, and just beside the halfway point
            int e = 53 + random.nextInt(10);
            long base = random.nextLong(1L << 52, 1L << 53) << (e - 52);
            long half = 1L << (e - 53);
            for (long w : new long[] {base + half, base + half - 1, base + half + 1}) {
                assertTrue(check(w, 0));
            }
            // the same scaled by powers of ten inside the exact range: w·10^q with q > 0
            long small = random.nextLong(1L << 53, 1L << 54) | 1;
            check(small, 1 + random.nextInt(4));
        }
    }

    private static long pow10(int n) {
        long p = 1;
        for (int k = 0; k < n; k++) {
            p *= 10;
        }
        return p;
    }
}

package org.autobalance.io;

import java.math.BigInteger;

/**
 * The double nearest to a decimal number w·10<sup>q</sup> (ties to even, as {@link Double#parseDouble} rounds), for
 * a parser that has already read the digits: Clinger's exact fast path where both w and 10<sup>q</sup> are doubles,
 * otherwise the Eisel–Lemire algorithm (D. Lemire, "Number parsing at a gigabyte per second", Software: Practice and
 * Experience 51(8), 2021; the code follows the {@code fast_float} library's {@code compute_float}), a 64 × 128-bit
 * product with a truncated power of five that decides the rounding in all but rare cases, which are reported so that
 * the caller can fall back on {@link Double#parseDouble}. Numpy's {@code savetxt} writes 19 significant digits
 * ({@code %.18e}), beyond Clinger's 2<sup>53</sup>: for those this is about ten times faster than
 * {@code Double.parseDouble} of a String (native-notes/startup.md).
 */
final class DecimalDouble {
    /**
     * The exponents this class decides: any w in [1, 10<sup>19</sup>) times 10<sup>q</sup> is then a normal finite
     * double (10<sup>−307</sup> is above the smallest normal 2.2·10<sup>−308</sup>, and 10<sup>289+19</sup> below
     * the largest 1.8·10<sup>308</sup>), so neither subnormal rounding nor overflow has to be handled here.
     */
    static final int MIN_EXPONENT = -307;
    static final int MAX_EXPONENT = 289;
    /** Significands below this many decimal digits fit in an unsigned long: 10^19 − 1 < 2^64. */
    static final int MAX_DIGITS = 19;

    /** The powers of ten that are exact doubles (5^22 < 2^53). */
    private static final double[] EXACT_POWERS_OF_TEN = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    private static final int MANTISSA_BITS = 52;
    private static final int DOUBLE_BIAS = 1023;
    /** The low bits of the product's high word that must not all be ones for the first product to decide. */
    private static final long PRECISION_MASK = -1L >>> (MANTISSA_BITS + 3);

    private DecimalDouble() {
    }

    /**
     * The double nearest to w·10<sup>q</sup>, w read as unsigned (at most 10<sup>19</sup> − 1), or NaN where this
     * method does not decide (q outside [{@value #MIN_EXPONENT}, {@value #MAX_EXPONENT}], or the rare product too
     * close to a halfway point): the caller then parses the text with {@link Double#parseDouble}. The result is
     * never NaN otherwise; the sign is the caller's.
     */
    static double toDouble(long w, int q) {
        if (w == 0) {
            return 0.0;
        }
        if (q < MIN_EXPONENT || q > MAX_EXPONENT) {
            return Double.NaN;
        }
        if (w > 0 && w <= 1L << 53 && q >= -22 && q <= 22) {
            // Clinger: both operands exact, so the one rounding of the product or quotient is the correct one
            return q < 0 ? w / EXACT_POWERS_OF_TEN[-q] : w * EXACT_POWERS_OF_TEN[q];
        }
        int lz = Long.numberOfLeadingZeros(w);
        long normalized = w << lz;
        int index = q - MIN_EXPONENT;
        long powerHigh = Powers.HIGH[index];
        long high = Math.unsignedMultiplyHigh(normalized, powerHigh);
        long low = normalized * powerHigh;
        if ((high & PRECISION_MASK) == PRECISION_MASK) {
            // the truncation of 5^q may matter: add the product with the next 64 bits of it
            long carryIn = Math.unsignedMultiplyHigh(normalized, Powers.LOW[index]);
            long sum = low + carryIn;
            if (Long.compareUnsigned(sum, low) < 0) {
                high++;
            }
            low = sum;
            if ((high & PRECISION_MASK) == PRECISION_MASK && low == -1L) {
                return Double.NaN;
            }
        }
        int upperBit = (int) (high >>> 63);
        int shift = upperBit + 64 - MANTISSA_BITS - 3;
        long mantissa = high >>> shift;
        // floor(q·log2(10)) + 63 (exact over this range), the binary exponent of the normalized product
        int power2 = (((152170 + 65536) * q) >> 16) + 63 + upperBit - lz + DOUBLE_BIAS;
        // an exact halfway case (only possible for q in [-4, 23]): round to even instead of up
        if (Long.compareUnsigned(low, 1) <= 0 && q >= -4 && q <= 23 && (mantissa & 3) == 1
                && mantissa << shift == high) {
            mantissa &= ~1L;
        }
        mantissa += mantissa & 1;
        mantissa >>>= 1;
        if (mantissa >= 2L << MANTISSA_BITS) {
            mantissa = 1L << MANTISSA_BITS;
            power2++;
        }
        mantissa &= ~(1L << MANTISSA_BITS);
        return Double.longBitsToDouble(mantissa | (long) power2 << MANTISSA_BITS);
    }

    /**
     * Whether the eight bytes of {@code v} (little-endian: the first in the low byte) are all ASCII digits: each high
     * nibble is 3, and adding 6 to the low nibble does not carry into it (fast_float's is_made_of_eight_digits_fast).
     */
    static boolean isEightDigits(long v) {
        return ((v & 0xF0F0F0F0F0F0F0F0L) | (((v + 0x0606060606060606L) & 0xF0F0F0F0F0F0F0F0L) >>> 4))
                == 0x3333333333333333L;
    }

    /**
     * The number the eight ASCII digits of {@code v} (little-endian: the first digit, the most significant, in the
     * low byte) spell, in three multiplications (fast_float's parse_eight_digits_unrolled).
     */
    static long eightDigits(long v) {
        v -= 0x3030303030303030L;
        v = v * 10 + (v >>> 8);
        return (((v & 0x000000FF000000FFL) * 0x000F424000000064L)
                + (((v >>> 16) & 0x000000FF000000FFL) * 0x0000271000000001L)) >>> 32;
    }

    /**
     * 5<sup>q</sup> for q in [{@value #MIN_EXPONENT}, {@value #MAX_EXPONENT}], normalised to 128 bits (the top bit
     * set) and truncated (q ≥ 0) or rounded up (q &lt; 0, from 2<sup>b</sup>/5<sup>−q</sup>), as {@code fast_float}'s
     * table_generation.py makes them; computed on first use (a few milliseconds) rather than written out.
     */
    private static final class Powers {
        static final long[] HIGH = new long[MAX_EXPONENT - MIN_EXPONENT + 1];
        static final long[] LOW = new long[HIGH.length];

        static {
            BigInteger mask = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
            for (int q = MIN_EXPONENT; q <= MAX_EXPONENT; q++) {
                BigInteger c;
                if (q < 0) {
                    BigInteger power5 = BigInteger.valueOf(5).pow(-q);
                    int z = power5.bitLength();
                    int b = q >= -27 ? z + 127 : 2 * z + 128;
                    c = BigInteger.ONE.shiftLeft(b).divide(power5).add(BigInteger.ONE);
                    if (c.bitLength() > 128) {
                        c = c.shiftRight(c.bitLength() - 128);
                    }
                } else {
                    c = BigInteger.valueOf(5).pow(q);
                    c = c.bitLength() < 128 ? c.shiftLeft(128 - c.bitLength()) : c.shiftRight(c.bitLength() - 128);
                }
                HIGH[q - MIN_EXPONENT] = c.shiftRight(64).longValue();
                LOW[q - MIN_EXPONENT] = c.and(mask).longValue();
            }
        }
    }
}

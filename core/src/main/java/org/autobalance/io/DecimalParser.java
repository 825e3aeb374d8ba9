package org.autobalance.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Decimal text to the nearest double, from bytes, with no object made on the common path: bit for bit what
 * {@link Double#parseDouble} gives for every token of the form {@code [+-]digits[.digits][(e|E)[+-]digits]} with at
 * least one mantissa digit (also {@code .5} and {@code 5.}), the form the Matrix Market reader accepts, and
 * {@link Double#NaN} for every other token, which is never a valid result (the reader rejects NaN, so a NaN says
 * "not a number here").
 *
 * <p>The mantissa's first 19 significant digits w (they fit in an unsigned 64-bit integer) and the decimal exponent q
 * give the value w·10^q, converted by, in order:
 * <ol>
 *   <li>Clinger's fast path: w &lt; 2^52 and |q| ≤ 22 (with a few more zeros moved into w), where w and 10^|q| are
 *       exact doubles, so one correctly rounded multiplication or division is the correctly rounded value;</li>
 *   <li>the Eisel–Lemire algorithm (D. Lemire, "Number Parsing at a Gigabyte per Second", Software: Practice and
 *       Experience 51(8), 2021; this follows the formulation of Go's {@code strconv}, whose comments refer to
 *       N. Tao's write-up "The Eisel-Lemire ParseNumberF64 Algorithm"): w normalised to 64 bits times a 128-bit
 *       truncation of 10^q gives the leading bits of the value, enough to round it correctly unless the product is
 *       too close to a rounding boundary for the truncation error to be excluded, or the result would be subnormal or
 *       overflow. Those cases return "don't know" and are rare: near-halfway inputs, subnormals, overflow. A mantissa
 *       of more than 19 digits is bracketed: w and w + 1 must round to the same double;</li>
 *   <li>otherwise {@link Double#parseDouble} of the token (a string is made only here).</li>
 * </ol>
 */
final class DecimalParser {
    /** Exponents of the first and last powers of ten in the table: beyond them the value is 0 or infinite. */
    private static final int MIN_EXP10 = -348;
    private static final int MAX_EXP10 = 347;
    /** High and low 64 bits of 10^q (q = index + MIN_EXP10), normalised to [2^127, 2^128) and rounded down. */
    private static final long[] POW10_HIGH = new long[MAX_EXP10 - MIN_EXP10 + 1];
    private static final long[] POW10_LOW = new long[MAX_EXP10 - MIN_EXP10 + 1];
    /** Powers of ten that are exact doubles (10^22 is the last: 5^22 &lt; 2^53). */
    private static final double[] EXACT_POW10 = new double[23];
    /** Eight bytes at once, the first in the lowest byte whatever the machine's order. */
    private static final ValueLayout.OfLong LITTLE_ENDIAN_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
            ByteOrder.LITTLE_ENDIAN);
    /** Digits of the mantissa kept: 10^19 − 1 &lt; 2^64, so 19 digits fit an unsigned long. */
    private static final int MAX_MANTISSA_DIGITS = 19;
    /** The exponent is accumulated up to here; beyond, the value is 0 or infinite whatever the mantissa's length. */
    private static final long EXPONENT_CAP = 1_000_000_000_000L;

    static {
        BigInteger ten = BigInteger.TEN;
        for (int q = MIN_EXP10; q <= MAX_EXP10; q++) {
            BigInteger normalised;
            if (q >= 0) {
                BigInteger p = ten.pow(q);
                int shift = p.bitLength() - 128;
                normalised = shift > 0 ? p.shiftRight(shift) : p.shiftLeft(-shift);
            } else {
                // floor(2^k / 10^-q) with k such that it has 128 bits: 10^-q is not a power of two, so the quotient
                // lies strictly between 2^127 and 2^128
                BigInteger p = ten.pow(-q);
                normalised = BigInteger.ONE.shiftLeft(127 + p.bitLength()).divide(p);
            }
            POW10_HIGH[q - MIN_EXP10] = normalised.shiftRight(64).longValue();
            POW10_LOW[q - MIN_EXP10] = normalised.longValue();
        }
        double p = 1;
        for (int k = 0; k < EXACT_POW10.length; k++) {
            EXACT_POW10[k] = p;
            p *= 10;
        }
    }

    private DecimalParser() {
    }

    /** The high 64 bits of the table's 10^q (package-private for the tests, which check it against Go's table). */
    static long pow10High(int q) {
        return POW10_HIGH[q - MIN_EXP10];
    }

    /** The low 64 bits of the table's 10^q. */
    static long pow10Low(int q) {
        return POW10_LOW[q - MIN_EXP10];
    }

    /**
     * The double nearest to the decimal in {@code text[start, end)}, or NaN if those bytes are not a decimal number
     * ({@code integerOnly}: not {@code [+-]digits}).
     */
    static double parse(MemorySegment text, long start, long end, boolean integerOnly) {
        long p = start;
        if (p == end) {
            return Double.NaN;
        }
        byte c = text.get(ValueLayout.JAVA_BYTE, p);
        boolean negative = c == '-';
        if (c == '-' || c == '+') {
            p++;
        }
        long mantissa = 0;
        int kept = 0;
        boolean truncated = false;
        // significant digits (leading zeros not counted), and the decimal point's position among them: the value is
        // 0.d1d2d3… · 10^point, so a leading zero after the point moves it one place left
        long significant = 0;
        long point = 0;
        boolean sawDigit = false;
        boolean sawPoint = false;
        for (; p < end; p++) {
            c = text.get(ValueLayout.JAVA_BYTE, p);
            if (c >= '0' && c <= '9') {
                sawDigit = true;
                if (significant == 0 && c == '0') {
                    point--;
                    continue;
                }
                if (significant > 0 && kept <= MAX_MANTISSA_DIGITS - 8 && end - p >= 8) {
                    long eight = text.get(LITTLE_ENDIAN_LONG, p);
                    if (isEightDigits(eight)) {
                        mantissa = mantissa * 100_000_000 + eightDigits(eight);
                        kept += 8;
                        significant += 8;
                        p += 7;
                        continue;
                    }
                }
                significant++;
                if (kept < MAX_MANTISSA_DIGITS) {
                    mantissa = mantissa * 10 + (c - '0');
                    kept++;
                } else if (c != '0') {
                    truncated = true;
                }
            } else if (c == '.' && !sawPoint && !integerOnly) {
                sawPoint = true;
                point = significant;
            } else {
                break;
            }
        }
        if (!sawDigit) {
            return Double.NaN;
        }
        if (!sawPoint) {
            point = significant;
        }
        long exponent = 0;
        if (p < end && (c == 'e' || c == 'E') && !integerOnly) {
            p++;
            boolean negativeExponent = false;
            if (p < end) {
                byte s = text.get(ValueLayout.JAVA_BYTE, p);
                if (s == '+' || s == '-') {
                    negativeExponent = s == '-';
                    p++;
                }
            }
            long digitsStart = p;
            for (; p < end; p++) {
                byte d = text.get(ValueLayout.JAVA_BYTE, p);
                if (d < '0' || d > '9') {
                    break;
                }
                if (exponent < EXPONENT_CAP) {
                    exponent = exponent * 10 + (d - '0');
                }
            }
            if (p == digitsStart) {
                return Double.NaN;
            }
            if (negativeExponent) {
                exponent = -exponent;
            }
        }
        if (p != end) {
            return Double.NaN;
        }
        if (mantissa == 0) {
            return negative ? -0.0 : 0.0;
        }
        long q = point + exponent - kept;
        if (!truncated) {
            // trailing zeros (the engine writes %.17e, padded with zeros) make w · 10^q an inexact product for q < 0
            // that Eisel–Lemire cannot round; without them the value is often a short exact one for Clinger
            while (Long.remainderUnsigned(mantissa, 10) == 0) {
                mantissa = Long.divideUnsigned(mantissa, 10);
                q++;
            }
            double exact = clinger(mantissa, q, negative);
            if (!Double.isNaN(exact)) {
                return exact;
            }
        }
        if (q >= MIN_EXP10 && q <= MAX_EXP10) {
            double f = eiselLemire(mantissa, (int) q, negative);
            if (!Double.isNaN(f) && (!truncated || Double.doubleToRawLongBits(f)
                    == Double.doubleToRawLongBits(eiselLemire(mantissa + 1, (int) q, negative)))) {
                return f;
            }
        }
        return Double.parseDouble(new String(text.asSlice(start, end - start).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.ISO_8859_1));
    }

    /**
     * Whether the 8 bytes of {@code v} (little-endian: the first byte lowest) are all ASCII digits: each high nibble is
     * 3, and adding 6 to the low nibble does not carry into it (fast_float's test).
     */
    private static boolean isEightDigits(long v) {
        return ((v & 0xF0F0_F0F0_F0F0_F0F0L) | (((v + 0x0606_0606_0606_0606L) & 0xF0F0_F0F0_F0F0_F0F0L) >>> 4))
                == 0x3333_3333_3333_3333L;
    }

    /**
     * The number written by 8 ASCII digits (the first the most significant): adjacent digits, then pairs of those,
     * then quadruples combined by multiplications within the 64-bit word (fast_float's parse_eight_digits_unrolled).
     */
    private static long eightDigits(long v) {
        long d = v - 0x3030_3030_3030_3030L;
        d = d * 10 + (d >>> 8);
        return (((d & 0x0000_00FF_0000_00FFL) * (100 + (1_000_000L << 32)))
                + (((d >>> 16) & 0x0000_00FF_0000_00FFL) * (1 + (10_000L << 32)))) >>> 32;
    }

    /** mantissa · 10^q by one exact-operand operation, or NaN when the operands are not both exact doubles. */
    private static double clinger(long mantissa, long q, boolean negative) {
        if (mantissa >>> 52 != 0 || q < -22 || q > 22 + 15) {
            return Double.NaN;
        }
        double f = negative ? -(double) mantissa : (double) mantissa;
        if (q < 0) {
            return f / EXACT_POW10[(int) -q];
        }
        if (q > 22) {
            // 10^(q−22) · w is still an exact integer below 2^53 when it stays below 10^15 &lt; 2^50
            f *= EXACT_POW10[(int) q - 22];
            if (f > 1e15 || f < -1e15) {
                return Double.NaN;
            }
            q = 22;
        }
        return f * EXACT_POW10[(int) q];
    }

    /**
     * The double nearest to {@code mantissa} (unsigned, non-zero) · 10^{@code exp10}, or NaN when the 128-bit
     * product cannot decide the rounding, or the result is subnormal, zero or infinite.
     */
    static double eiselLemire(long mantissa, int exp10, boolean negative) {
        int leadingZeros = Long.numberOfLeadingZeros(mantissa);
        long w = mantissa << leadingZeros;
        // floor(q · log2(10)) + 64 + bias − leading zeros: the exponent if the product's top bit is set
        long exp2 = ((217706L * exp10) >> 16) + 64 + 1023 - leadingZeros;
        int index = exp10 - MIN_EXP10;
        long high = Math.unsignedMultiplyHigh(w, POW10_HIGH[index]);
        long low = w * POW10_HIGH[index];
        // the truncated power is below 10^q by less than one unit of its last bit, so the product by less than w
        // units of low: when the 9 bits below the 55 kept are all ones and low + w carries, the lower half decides
        if ((high & 0x1FF) == 0x1FF && Long.compareUnsigned(low + w, w) < 0) {
            long highOfLower = Math.unsignedMultiplyHigh(w, POW10_LOW[index]);
            long lowOfLower = w * POW10_LOW[index];
            long mergedHigh = high;
            long mergedLow = low + highOfLower;
            if (Long.compareUnsigned(mergedLow, low) < 0) {
                mergedHigh++;
            }
            if ((mergedHigh & 0x1FF) == 0x1FF && mergedLow == -1 && Long.compareUnsigned(lowOfLower + w, w) < 0) {
                return Double.NaN;
            }
            high = mergedHigh;
            low = mergedLow;
        }
        long topBit = high >>> 63;
        long significand = high >>> (int) (topBit + 9);
        exp2 -= 1 ^ topBit;
        // exactly halfway between two doubles (as far as 128 bits tell): ties-to-even needs the exact value
        if (low == 0 && (high & 0x1FF) == 0 && (significand & 3) == 1) {
            return Double.NaN;
        }
        significand += significand & 1;
        significand >>>= 1;
        if (significand >>> 53 != 0) {
            significand >>>= 1;
            exp2++;
        }
        if (exp2 <= 0 || exp2 >= 0x7FF) {
            return Double.NaN;
        }
        long bits = exp2 << 52 | significand & 0x000F_FFFF_FFFF_FFFFL;
        return Double.longBitsToDouble(negative ? bits | Long.MIN_VALUE : bits);
    }
}

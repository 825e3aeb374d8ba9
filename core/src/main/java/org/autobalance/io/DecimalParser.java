package org.autobalance.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * give the value w·10^q, converted by {@link DecimalDouble#toDouble} (Clinger's exact path, then Eisel–Lemire; the
 * delimited-text reader uses it too); a mantissa of more than 19 digits is bracketed: w and w + 1 must convert to
 * the same double. Where that does not decide (rare: near-halfway products, exponents beyond its range, subnormals),
 * {@link Double#parseDouble} of the token decides (a string is made only here). This class reads the token's bytes:
 * sign, digits eight at a time, point, exponent.
 */
final class DecimalParser {
    /** Eight bytes at once, the first in the lowest byte whatever the machine's order. */
    private static final ValueLayout.OfLong LITTLE_ENDIAN_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
            ByteOrder.LITTLE_ENDIAN);
    /** The exponent is accumulated up to here; beyond, the value is 0 or infinite whatever the mantissa's length. */
    private static final long EXPONENT_CAP = 1_000_000_000_000L;

    private DecimalParser() {
    }

    /**
     * The double nearest to the decimal in {@code text[start, end)}, or NaN if those bytes are not a decimal number
     * ({@code integerOnly}: not {@code [+-]digits} within the range of a long).
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
                if (significant > 0 && kept <= DecimalDouble.MAX_DIGITS - 8 && end - p >= 8) {
                    long eight = text.get(LITTLE_ENDIAN_LONG, p);
                    if (DecimalDouble.isEightDigits(eight)) {
                        mantissa = mantissa * 100_000_000 + DecimalDouble.eightDigits(eight);
                        kept += 8;
                        significant += 8;
                        p += 7;
                        continue;
                    }
                }
                significant++;
                if (kept < DecimalDouble.MAX_DIGITS) {
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
        if (integerOnly && (significant > DecimalDouble.MAX_DIGITS || significant == DecimalDouble.MAX_DIGITS
                && Long.compareUnsigned(mantissa, negative ? Long.MIN_VALUE : Long.MAX_VALUE) > 0)) {
            return Double.NaN; // beyond a long: the streaming parser refuses it as scipy does
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
        }
        if (q >= DecimalDouble.MIN_EXPONENT && q <= DecimalDouble.MAX_EXPONENT) {
            double f = DecimalDouble.toDouble(mantissa, (int) q);
            if (!Double.isNaN(f) && (!truncated || Double.doubleToRawLongBits(f)
                    == Double.doubleToRawLongBits(DecimalDouble.toDouble(mantissa + 1, (int) q)))) {
                return negative ? -f : f;
            }
        }
        return Double.parseDouble(new String(text.asSlice(start, end - start).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.ISO_8859_1));
    }
}

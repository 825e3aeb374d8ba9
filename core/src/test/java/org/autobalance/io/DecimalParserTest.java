package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link DecimalParser} against {@link Double#parseDouble} (the streaming reader's conversion, correctly rounded) bit
 * for bit, and against an independent grammar (a regular expression) for which tokens are numbers at all.
 */
class DecimalParserTest {
    /** The streaming reader's grammar, written independently of both parsers. */
    static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");
    static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");

    /** The token as DecimalParser reads it, from bytes. */
    static double parse(String token, boolean integerOnly) {
        byte[] bytes = token.getBytes(StandardCharsets.ISO_8859_1);
        return DecimalParser.parse(MemorySegment.ofArray(bytes), 0, bytes.length, integerOnly);
    }

    /** Fails unless DecimalParser gives Double.parseDouble's bits for a number and NaN for anything else. */
    static void check(String token) {
        for (boolean integerOnly : new boolean[] {false, true}) {
            double actual = parse(token, integerOnly);
            boolean number = integerOnly ? INTEGER.matcher(token).matches()
                    && new java.math.BigInteger(token).bitLength() < Long.SIZE : DECIMAL.matcher(token).matches();
            if (!number) {
                if (!Double.isNaN(actual)) {
                    fail("'" + token + "' is not a " + (integerOnly ? "whole " : "") + "number, but parsed as "
                            + actual);
                }
                continue;
            }
            double expected = Double.parseDouble(token);
            if (Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(actual)) {
                fail("'" + token + "' parsed as " + actual + " (" + Long.toHexString(Double.doubleToRawLongBits(
                        actual)) + "), Double.parseDouble gives " + expected + " (" + Long.toHexString(
                        Double.doubleToRawLongBits(expected)) + ")");
            }
        }
    }

    @Test
    void knownForms() {
        for (String t : List.of("0", "-0", "+0", "0.0", "-0.0", "-0e5", "0e-999999999999", "1", "-1", "+1", "5.", ".5",
                "-.5", "+5.", "5.e3", ".5E-3", "007", "007.5000", "0.0075", "1e22", "1e23", "9007199254740993",
                // a long's range, the limit of an integer matrix's values
                "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
                "+00009999999999999999999", "18446744073709551616",
                "123456789012345678901234567890", "1e308", "1.7976931348623157e308", "1.7976931348623158e308",
                "1.7976931348623159e308", "1e309", "-1e309", "4.9e-324", "2.4703282292062327e-324",
                "2.4703282292062328e-324", "1e-324", "1e-400", "-1e-400", "2.2250738585072011e-308",
                "2.2250738585072012e-308", "2.2250738585072014e-308", "9.1933414707096384e-01",
                "-2.50000000000000000e-07", "1.00000000000000000e+00", "1e99999999999999999999",
                "1e-99999999999999999999", "0." + "0".repeat(400) + "1e401", "1" + "0".repeat(400) + "e-400",
                "0.1", "0.2", "0.3", "3.0000000000000004", "1.0000000000000002", "2.0000000000000004e0",
                // halfway between 1 and its successor (ties to even: 1), and just above it
                "1.00000000000000011102230246251565404236316680908203125",
                "1.000000000000000111022302462515654042363166809082031250000000001",
                "", "+", "-", ".", "+.", "e5", ".e5", "1e", "1e+", "1e-", "1.2.3", "1e5.0", "--1", "+-1", "1-", "1 ",
                " 1", "0x1p3", "1f", "1d", "NaN", "Infinity", "inf", "1_000", "١")) {
            check(t);
        }
    }

    /** Inputs a careless parser gets wrong: exact halfway points, their neighbours, subnormals, long mantissas. */
    @Test
    void adversarialInputs() {
        adversarial(new Random(20261201), 2_000);
    }

    @Test
    void randomInputs() {
        random(new Random(1201), 60_000);
    }

    /**
     * Tens of millions of tokens (20 M random, 500 000 adversarial rounds of 7 tokens each, every token read as a
     * number and as a whole number; about 20 minutes of one core): run with {@code -Dgroups=slow}.
     */
    @Tag("slow")
    @Test
    void manyRandomAndAdversarialInputs() {
        Random random = new Random(12_2026);
        random(random, 20_000_000);
        adversarial(random, 500_000);
    }

    private static void adversarial(Random random, int count) {
        for (int n = 0; n < count; n++) {
            double x = randomDouble(random);
            double next = Math.nextUp(x);
            if (!Double.isFinite(next)) {
                continue;
            }
            // the exact midpoint of x and its successor, in full, and cut or nudged at random digits
            BigDecimal mid = new BigDecimal(x).add(new BigDecimal(next)).divide(BigDecimal.valueOf(2));
            String exact = mid.toString();
            check(exact);
            String plain = mid.toPlainString();
            if (plain.length() < 1200) {
                check(plain);
            }
            // the midpoint's digits cut at a random place (below it), and with a 1 appended there (above it)
            String digits = mid.unscaledValue().abs().toString();
            int keep = 1 + random.nextInt(Math.min(digits.length(), 40));
            String cut = (mid.signum() < 0 ? "-" : "") + digits.substring(0, keep);
            long exponent = (long) digits.length() - keep - mid.scale();
            check(cut + "e" + exponent);
            check(cut + "1e" + (exponent - 1));
            // the shortest representation and the engine's %.17e form
            check(Double.toString(x));
            check(String.format(Locale.ROOT, "%.16e", x));
            check(String.format(Locale.ROOT, "%.20E", x));
        }
    }

    private static void random(Random random, int count) {
        StringBuilder b = new StringBuilder(64);
        for (int n = 0; n < count; n++) {
            b.setLength(0);
            switch (random.nextInt(16)) {
                case 0 -> b.append(String.format(Locale.ROOT, "%." + random.nextInt(20) + "e", randomDouble(random)));
                case 1 -> b.append(String.format(Locale.ROOT, "%." + random.nextInt(25) + "g", randomDouble(random)));
                case 2, 3, 4 -> b.append(randomDouble(random));
                default -> {
                    // digits with leading zeros, a point anywhere, an exponent anywhere, sometimes junk
                    int sign = random.nextInt(3);
                    b.append(sign == 0 ? "" : sign == 1 ? "-" : "+");
                    b.append("0".repeat(random.nextInt(3) == 0 ? random.nextInt(30) : 0));
                    int digits = random.nextInt(random.nextBoolean() ? 20 : 45);
                    int point = random.nextInt(digits + 2) - 1;
                    for (int d = 0; d < digits; d++) {
                        if (d == point) {
                            b.append('.');
                        }
                        b.append((char) ('0' + random.nextInt(10)));
                    }
                    if (random.nextInt(3) > 0) {
                        b.append(random.nextBoolean() ? 'e' : 'E');
                        int s = random.nextInt(3);
                        b.append(s == 0 ? "" : s == 1 ? "-" : "+");
                        b.append(random.nextInt(random.nextBoolean() ? 30 : 700));
                    }
                    if (random.nextInt(50) == 0) {
                        b.insert(random.nextInt(b.length() + 1), "+-.eE x0".charAt(random.nextInt(8)));
                    }
                }
            }
            check(b.toString());
        }
    }

    /** Any finite double, its bits uniform (every exponent equally likely), subnormals and powers of ten often. */
    private static double randomDouble(Random random) {
        while (true) {
            double x = switch (random.nextInt(4)) {
                case 0 -> Double.longBitsToDouble(random.nextLong() & 0x800F_FFFF_FFFF_FFFFL);
                case 1 -> Math.pow(10, random.nextInt(620) - 310) * (random.nextBoolean() ? 1 : -1);
                default -> Double.longBitsToDouble(random.nextLong());
            };
            if (Double.isFinite(x)) {
                return x;
            }
        }
    }
}

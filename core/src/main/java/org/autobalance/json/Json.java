package org.autobalance.json;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal (not exported by the module). JSON, both ways: {@link #object} writes strings, numbers, booleans, lists and
 * nested maps (non-finite numbers become {@code null}); {@link #parse} reads any JSON text (RFC 8259) back into maps,
 * lists, doubles, strings, booleans and nulls. The one JSON implementation of the project (summaries, logs, reports,
 * JMH result files, tests).
 */
public final class Json {
    private Json() {
    }

    /** The values of {@code a} as a list, for a JSON array. */
    public static List<Double> list(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double v : a) {
            l.add(v);
        }
        return l;
    }

    /** {@code map} as one JSON object on one line. */
    public static String object(Map<String, ?> map) {
        StringBuilder sb = new StringBuilder(128);
        appendObject(sb, map);
        return sb.toString();
    }

    private static void appendObject(StringBuilder sb, Map<String, ?> map) {
        sb.append('{');
        Iterator<? extends Map.Entry<String, ?>> it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, ?> e = it.next();
            appendString(sb, e.getKey());
            sb.append(':');
            appendValue(sb, e.getValue());
            if (it.hasNext()) {
                sb.append(',');
            }
        }
        sb.append('}');
    }

    @SuppressWarnings("unchecked")
    private static void appendValue(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("null");
            case Double d -> sb.append(Double.isFinite(d) ? Double.toString(d) : "null");
            case Float f -> appendValue(sb, f.doubleValue());
            case Number n -> sb.append(n);
            case Boolean b -> sb.append(b);
            case Map<?, ?> m -> appendObject(sb, (Map<String, ?>) m);
            case Iterable<?> list -> {
                sb.append('[');
                Iterator<?> it = list.iterator();
                while (it.hasNext()) {
                    appendValue(sb, it.next());
                    if (it.hasNext()) {
                        sb.append(',');
                    }
                }
                sb.append(']');
            }
            default -> appendString(sb, v.toString());
        }
    }

    private static void appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * Parses JSON text: objects become {@link LinkedHashMap}s (in order), arrays {@link List}s, numbers
     * {@link Double}s, and strings, booleans and {@code null} themselves. An integer a double cannot hold exactly
     * (beyond ±2⁵³, within the long range: a 64-bit seed) becomes a {@link Long}, so that it reads back as written.
     *
     * @throws IllegalArgumentException for text that is not JSON or a number beyond the double range, naming the
     *         offset; no other exception
     */
    public static Object parse(String text) {
        return parse(text, false);
    }

    /**
     * As {@link #parse(String)}, and with {@code integersAsLongs} every integer written without a fraction or an
     * exponent within the long range becomes a {@link Long} (what {@link #object} writes for an {@code Integer} or a
     * {@code Long}; a {@code Double} is always written with one), so that the types come back as written: a
     * checkpoint's configuration gave a library caller its rank as the double 4.0.
     */
    public static Object parse(String text, boolean integersAsLongs) {
        Parser p = new Parser(text, integersAsLongs);
        Object v = p.value(0);
        p.space();
        if (p.i != text.length()) {
            throw p.error("trailing characters");
        }
        return v;
    }

    /** A recursive-descent reader; nesting is limited so that hostile input cannot overflow the stack. */
    private static final class Parser {
        private static final int MAX_DEPTH = 512;
        private final String s;
        private final boolean integersAsLongs;
        private int i;

        Parser(String s, boolean integersAsLongs) {
            this.s = s;
            this.integersAsLongs = integersAsLongs;
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nested deeper than " + MAX_DEPTH);
            }
            space();
            return switch (peek()) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> number();
            };
        }

        private Map<String, Object> object(int depth) {
            Map<String, Object> map = new LinkedHashMap<>();
            i++;
            space();
            if (peek() == '}') {
                i++;
                return map;
            }
            while (true) {
                space();
                String key = string();
                space();
                expect(':');
                map.put(key, value(depth + 1));
                space();
                char c = next();
                if (c == '}') {
                    return map;
                }
                if (c != ',') {
                    throw error("expected , or }");
                }
            }
        }

        private List<Object> array(int depth) {
            List<Object> list = new ArrayList<>();
            i++;
            space();
            if (peek() == ']') {
                i++;
                return list;
            }
            while (true) {
                list.add(value(depth + 1));
                space();
                char c = next();
                if (c == ']') {
                    return list;
                }
                if (c != ',') {
                    throw error("expected , or ]");
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error("unescaped control character in a string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        int code = 0;
                        for (int k = 0; k < 4; k++) {
                            int digit = Character.digit(next(), 16);
                            if (digit < 0) {
                                throw error("bad \\u escape");
                            }
                            code = code * 16 + digit;
                        }
                        sb.append((char) code);
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        private Number number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String token = s.substring(start, i);
            // the JSON number grammar, checked before Double.valueOf (which also takes "1f", "0x1p3", "Infinity")
            if (!token.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
                i = start;
                throw error(start < s.length() ? "unexpected '" + s.charAt(start) + "'" : "unexpected end");
            }
            double value = Double.parseDouble(token);
            if (Double.isInfinite(value)) {
                // JSON has no infinity: "1e400" would come back as null from object(); found by JsonFuzzTest
                i = start;
                throw error("number " + token + " is beyond the double range");
            }
            if ((integersAsLongs || Math.abs(value) >= 0x1p53) && token.matches("-?[0-9]+")) {
                try {
                    long whole = Long.parseLong(token);
                    // the nearest double, converted back; 2^63 converts back to Long.MAX_VALUE, which it is not
                    if (integersAsLongs || value == 0x1p63 || (long) value != whole) {
                        return whole;
                    }
                } catch (NumberFormatException beyondLong) {
                    return value;
                }
            }
            return value;
        }

        private Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) {
                throw error("expected " + word);
            }
            i += word.length();
            return v;
        }

        private void expect(char c) {
            if (peek() != c || i >= s.length()) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private char next() {
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(i++);
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        void space() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n'
                    || s.charAt(i) == '\r')) {
                i++;
            }
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("JSON: " + what + " at offset " + i);
        }
    }
}

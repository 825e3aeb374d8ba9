package org.autobalance.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The JSON writer against hand-written expected text (RFC 8259 §7 for the escapes). */
class JsonTest {
    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        String nasty = "a\"b\\c\nd\re\tf\u0001g\u001fh\u007fé€";
        // \u007f (DEL) and non-ASCII need no escape in JSON; every character below 0x20 does
        assertEquals("{\"k\\\"ey\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\u007fé€\"}",
                Json.object(Map.of("k\"ey", nasty)));
    }

    @Test
    void nonFiniteNumbersBecomeNull() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nan", Double.NaN);
        m.put("inf", Double.POSITIVE_INFINITY);
        m.put("minf", Float.NEGATIVE_INFINITY);
        m.put("fnan", Float.NaN);
        m.put("list", Arrays.asList(1.5, Double.NaN, null));
        m.put("x", 0.1f);
        assertEquals("{\"nan\":null,\"inf\":null,\"minf\":null,\"fnan\":null,\"list\":[1.5,null,null],"
                + "\"x\":0.10000000149011612}", Json.object(m));
    }

    @Test
    void keepsOrderAndNests() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("b", true);
        inner.put("a", List.of());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 3L);
        m.put("y", inner);
        m.put("x", -0.0);
        m.put("w", Thread.State.NEW);
        assertEquals("{\"z\":3,\"y\":{\"b\":true,\"a\":[]},\"x\":-0.0,\"w\":\"NEW\"}", Json.object(m));
    }

    @Test
    void parsesWhatItWritesAndStandardJson() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("s", "a\"b\\c\nd\u0001é");
        inner.put("list", Arrays.asList(1.5, null, true, false, List.of()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("x", -2.5e-300);
        m.put("inner", inner);
        assertEquals(m, Json.parse(Json.object(m)));
        // escapes JSON allows but the writer never emits
        assertEquals(List.of("/\b\f\u00e9", 0.0, -1.0, 1e10), Json.parse(" [\"\\/\\b\\f\\u00E9\", 0, -1, 1E+10 ]\n"));
        // whole numbers a double holds come back as doubles; beyond 2^53 (a 64-bit seed) as the long written
        assertEquals(List.of(9007199254740992.0, 9007199254740993L, -0x1p63, Long.MAX_VALUE, 1e19, 9007199254740993.0),
                Json.parse("[9007199254740992, 9007199254740993, -9223372036854775808, 9223372036854775807, "
                        + "10000000000000000000, "
                        + "9007199254740993.0]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[1,", "[1 2]", "{\"a\" 1}", "{\"a\":}", "\"abc", "\"\\u12\"", "\"\\x\"", "01",
        "1.", ".5", "+1", "NaN", "Infinity", "0x10", "1f", "tru", "nul", "[1]x", "{1:2}", "\"a\u0001\"", "1e400",
        "[-2E+309]"})
    void refusesMalformedTextWithOneExceptionType(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().startsWith("JSON: ") && e.getMessage().contains(" at offset "), e.getMessage());
    }

    @Test
    void deepNestingIsRefusedNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nested deeper than"), e.getMessage());
        assertEquals(List.of(List.of(List.of())), Json.parse("[[[]]]"));
    }

    /** With integersAsLongs the types come back as {@link Json#object} wrote them: whole numbers as longs. */
    @Test
    void integersComeBackAsLongsWhenAsked() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rank", 4);
        m.put("seed", -7L);
        m.put("tol", 1.0);
        m.put("eta", 1e-300);
        m.put("big", Long.MIN_VALUE);
        String text = Json.object(m);
        assertEquals(Map.of("rank", 4L, "seed", -7L, "tol", 1.0, "eta", 1e-300, "big", Long.MIN_VALUE),
                Json.parse(text, true));
        assertEquals(4.0, ((Map<?, ?>) Json.parse(text)).get("rank"));
        assertEquals(1e19, Json.parse("10000000000000000000", true), "beyond the long range: a double");
        assertEquals(List.of(1L, 2.5, 3e2), Json.parse("[1, 2.5, 3e2]", true));
    }
}

package org.autobalance.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}

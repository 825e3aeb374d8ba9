package org.autobalance.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.autobalance.json.Json;

/**
 * Any text given to {@link Json#parse} gives a value or an {@link IllegalArgumentException} (JMH result files and
 * baselines are read with it), and what it parses, written back by {@link Json#object}, parses to the same value.
 */
class JsonFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void anyText(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Object value;
        try {
            value = Json.parse(text);
        } catch (IllegalArgumentException expected) {
            return;
        }
        Map<String, Object> wrapped = Map.of("v", value == null ? "null" : value);
        assertEquals(wrapped, Json.parse(Json.object(wrapped)), text);
    }
}

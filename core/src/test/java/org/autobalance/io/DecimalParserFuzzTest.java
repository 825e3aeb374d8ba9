package org.autobalance.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Any bytes as a token: {@link DecimalParser} gives {@link Double#parseDouble}'s bits for a number of the reader's
 * grammar and NaN for anything else ({@link DecimalParserTest#check}). Under plain {@code mvn test} this runs the seeds
 * in {@code DecimalParserFuzzTestInputs/anyToken/}; {@code JAZZER_FUZZ=1} fuzzes (native-notes/reliability.md).
 */
class DecimalParserFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void anyToken(byte[] data) {
        DecimalParserTest.check(new String(data, StandardCharsets.ISO_8859_1));
    }
}

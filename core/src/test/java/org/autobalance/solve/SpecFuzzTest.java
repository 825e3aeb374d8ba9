package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.autobalance.schedule.StepSchedule;

/**
 * The option values the command line hands to the library — {@code --schedule}, {@code --init}, {@code --variant} —
 * parse to a value or fail with an {@link IllegalArgumentException} (which the command line reports as a usage error,
 * exit code 2), whatever the text; and a parsed value's description parses back to the same description. The input's
 * first line is the schedule, the second the init, the third the variant (seeds in {@code SpecFuzzTestInputs/}).
 */
class SpecFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void optionValues(byte[] data) {
        String[] lines = new String(data, StandardCharsets.UTF_8).split("\n", -1);
        String schedule = lines[0];
        String init = lines.length > 1 ? lines[1] : "";
        String variant = lines.length > 2 ? lines[2] : "";
        try {
            StepSchedule s = StepSchedule.parse(schedule);
            assertEquals(s.describe(), StepSchedule.parse(s.describe()).describe(), schedule);
        } catch (IllegalArgumentException expected) {
            // documented
        }
        try {
            Initializer i = Initializer.parse(init);
            assertEquals(i.describe(), Initializer.parse(i.describe()).describe(), init);
        } catch (IllegalArgumentException expected) {
            // documented
        }
        try {
            Variant v = Variant.parse(variant);
            assertEquals(v, Variant.parse(v.describe()), variant);
        } catch (IllegalArgumentException expected) {
            // documented
        }
    }
}

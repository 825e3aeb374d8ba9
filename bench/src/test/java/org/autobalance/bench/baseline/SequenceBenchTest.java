package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.autobalance.memory.DType;
import org.junit.jupiter.api.Test;

/**
 * The protocol of {@code bench --sequence} end to end on a tiny problem: each cell starts a fresh JVM, both sides
 * time their blocks in turn, and the table and records come back. Timings are not judged (a test cannot time), only
 * that every cell has both sides, each with a best iteration no longer than its median.
 */
class SequenceBenchTest {

    @Test
    void everyCellIsTimedHereAndInItsOwnFreshJvm() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        List<SequenceBench.Result> results;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            results = SequenceBench.run(List.of(DType.FLOAT32), 48, 40, new int[] {1, 2}, new int[] {1}, 0.05, 0.04,
                    out);
        }
        String text = buffer.toString(StandardCharsets.UTF_8);
        assertEquals(2, results.size(), text);
        for (SequenceBench.Result x : results) {
            for (BenchCommand.Timing t : List.of(x.sequence(), x.alone())) {
                assertTrue(t.bestMs() > 0 && t.bestMs() <= t.medianMs() && Double.isFinite(t.medianMs()), text);
            }
        }
        assertEquals(1, results.get(0).r());
        assertEquals(2, results.get(1).r());
        assertTrue(text.contains(" of 2 cells above "), text);
    }
}

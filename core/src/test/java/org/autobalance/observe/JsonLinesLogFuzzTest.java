package org.autobalance.observe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.autobalance.json.Json;
import org.autobalance.testing.Fixtures;

/**
 * Any file given to {@link JsonLinesLog#continueAt} (the log a resumed run continues: cut by a crash, damaged, or the
 * wrong file) is continued or refused with an {@link IOException}, never another exception. Refused, the file is as it
 * was; continued, it is its bytes up to the {@code next}-th line end, each of those lines the record of its iteration,
 * then the record appended. A file with fewer than {@code next} line ends is refused. The first byte picks
 * {@code next} (its value mod 8), the rest is the file. Seeds in {@code JsonLinesLogFuzzTestInputs/continuedLogs/}: a
 * factorisation's log (whole, cut short, a record out of order) and a network's.
 */
class JsonLinesLogFuzzTest {
    private static final Path FILE = Fixtures.scratchFile("log-fuzz", ".jsonl");

    @FuzzTest(maxDuration = "10s")
    void continuedLogs(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        int next = (data[0] & 0xFF) % 8;
        byte[] file = Arrays.copyOfRange(data, 1, data.length);
        Files.write(FILE, file);
        // where the next-th line ends, independently of the reader's chunked scan
        int kept = 0;
        for (int ends = 0; ends < next; ends++) {
            while (kept < file.length && file[kept] != '\n') {
                kept++;
            }
            kept++;
        }
        try (JsonLinesLog log = JsonLinesLog.continueAt(FILE, next)) {
            log.onIteration(IterationRecord.builder().iteration(next).eta(0.1).loss(1, false).relativeError(0.5)
                    .balance(0).norms(1, 1).gradientNorm(1).seconds(next).heldOutRmse(Double.NaN).build());
        } catch (IOException refused) {
            assertArrayEquals(file, Files.readAllBytes(FILE), "a refused log was changed");
            return;
        }
        assertTrue(kept <= file.length, "continued at " + next + " with fewer line ends");
        byte[] continued = Files.readAllBytes(FILE);
        assertArrayEquals(Arrays.copyOf(file, kept), Arrays.copyOf(continued, kept), "the kept records changed");
        int start = 0;
        for (int t = 0; t <= next; t++) {
            int end = start;
            while (continued[end] != '\n') {
                end++;
            }
            Object record = Json.parse(new String(continued, start, end - start, StandardCharsets.UTF_8));
            // as numbers: -0 is 0 (assertEquals on doubles tells them apart)
            double iteration = ((Number) ((Map<?, ?>) record).get("t")).doubleValue();
            assertTrue(iteration == t, "line " + (t + 1) + " is of iteration " + iteration);
            start = end + 1;
        }
        assertEquals(continued.length, start, "more than the kept records and the appended one");
    }
}

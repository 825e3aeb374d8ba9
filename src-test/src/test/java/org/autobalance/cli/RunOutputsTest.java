package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output directory's promise: a summary.json is never beside factors that are not its run's. */
class RunOutputsTest {
    @Test
    void anEarlierSummaryIsGoneBeforeTheFirstNewFileArrives(@TempDir Path out) throws IOException {
        Files.writeString(out.resolve("U.mtx"), "old U");
        Files.writeString(out.resolve("V.mtx"), "old V");
        Files.writeString(out.resolve(RunOutputs.SUMMARY_FILE), "{\"old\": true}");
        try (RunOutputs outputs = new RunOutputs(out)) {
            // U is written, V is not: its rename fails after U's, as a process killed between the two would stop
            assertThrows(IOException.class, () -> outputs.commit(List.of("U.mtx", "V.mtx"),
                    staging -> Files.writeString(staging.resolve("U.mtx"), "new U"), Map.of("new", true)));
        }
        assertEquals("new U", Files.readString(out.resolve("U.mtx")));
        assertFalse(Files.exists(out.resolve(RunOutputs.SUMMARY_FILE)),
                "the old summary must not describe the new U beside the old V");
    }
}

package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Standard output that cannot be written: {@code factorize … > out.txt} on a full disk (or {@code > /dev/full})
 * exited 0 with the result lines lost — without {@code --out} the only result there is. Now exit code 1 and one line
 * with the system's reason; a reader that closed the pipe ({@code | head -1}) took what it wanted and is no failure.
 */
class StandardOutputTest {
    @TempDir
    Path dir;

    /** An output stream that fails every write as the system would. */
    private static OutputStream failing(String reason) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException(reason);
            }
        };
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "No space left on device|1|autobalance: error: cannot write to standard output (No space left on device): "
                + "what this command printed there is incomplete",
        "Broken pipe|0|''"})
    void aStandardOutputThatCannotBeWrittenFailsTheCommand(String reason, int exitCode, String error)
            throws IOException {
        StringWriter err = new StringWriter();
        Path out = dir.resolve("out");
        int code = Main.execute(new Main(), StandardOutput.over(failing(reason), StandardCharsets.UTF_8),
                new PrintWriter(err, true), "factorize", "--input",
                Fixtures.fixture("spectrum_64x48.npy").toString(), "--rank", "2", "--max-iter", "2", "--out",
                out.toString());
        assertEquals(exitCode, code, err.toString());
        assertEquals(error, err.toString().replaceAll("(?m)^autobalance: (?!error: ).* \\(\\d+ s\\)\n", "").strip());
        assertTrue(Files.isRegularFile(out.resolve("summary.json")), "the results are written whole either way");
    }
}

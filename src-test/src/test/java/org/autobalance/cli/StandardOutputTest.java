package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
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
        "No space left on device|false|1|autobalance: error: cannot write to standard output (No space left on "
                + "device): what this command printed there is incomplete",
        "Broken pipe|true|0|''"})
    void aStandardOutputThatCannotBeWrittenFailsTheCommand(String reason, boolean toAReader, int exitCode,
            String error) throws IOException {
        StringWriter err = new StringWriter();
        Path out = dir.resolve("out");
        int code = Main.execute(new Main(), StandardOutput.over(failing(reason), StandardCharsets.UTF_8, toAReader),
                new PrintWriter(err, true), "factorize", "--input",
                Fixtures.fixture("spectrum_64x48.npy").toString(), "--rank", "2", "--max-iter", "2", "--out",
                out.toString());
        assertEquals(exitCode, code, err.toString());
        assertEquals(error, err.toString().replaceAll("(?m)^autobalance: (?!error: ).* \\(\\d+ s\\)\n", "").strip());
        assertTrue(Files.isRegularFile(out.resolve("summary.json")), "the results are written whole either way");
    }

    /**
     * {@code factorize --help | true} exited 1 under a German locale, "cannot write to standard output
     * (Datenübergabe unterbrochen (broken pipe))": the closed pipe was recognised by the C library's English
     * message. A real child process whose standard output is a pipe with no reader, in C.UTF-8 and, where {@code
     * localedef} can build it here (no root needed), de_DE.UTF-8.
     */
    @Test
    void aReaderThatLeftIsNoFailureInAnyLocale() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is needed");
        List<String[]> locales = new ArrayList<>();
        locales.add(new String[] {"C.UTF-8", ""});
        Path loc = Files.createDirectories(dir.resolve("loc"));
        Process localedef = new ProcessBuilder("localedef", "-i", "de_DE", "-f", "UTF-8",
                loc.resolve("de_DE.UTF-8").toString()).redirectErrorStream(true).start();
        localedef.getInputStream().readAllBytes();
        if (localedef.waitFor() == 0) {
            locales.add(new String[] {"de_DE.UTF-8", loc.toString()});
        }
        Path err = dir.resolve("err");
        for (String[] locale : locales) {
            // the pipe's reader (true) has exited before java starts: its every write fails
            ProcessBuilder child = new ProcessBuilder("bash", "-c",
                    "exec 4> >(true); wait $!; exec \"$@\" >&4 4>&-", "-",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                    Main.class.getName(), "factorize", "--help").redirectError(err.toFile());
            child.environment().put("LANG", locale[0]);
            child.environment().put("LOCPATH", locale[1]);
            child.environment().remove("LC_ALL");
            child.environment().remove("LC_MESSAGES");
            int code = child.start().waitFor();
            String said = Files.readString(err).replaceAll("(?m)^WARNING: .*incubator.*\n", "");
            assertEquals(0, code, locale[0] + ": " + said);
            assertEquals("", said, locale[0]);
        }
    }
}

package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        String german = germanLocale("UTF-8");
        if (german != null) {
            locales.add(new String[] {"de_DE.UTF-8", german});
        }
        Path err = dir.resolve("err");
        for (String[] locale : locales) {
            // the pipe's reader (true) has exited before java starts: its every write fails
            ProcessBuilder child = command(locale[0], locale[1],
                    List.of("bash", "-c", "exec 4> >(true); wait $!; exec \"$@\" >&4 4>&-", "-"), "factorize",
                    "--help").redirectError(err.toFile());
            int code = child.start().waitFor();
            String said = Files.readString(err).replaceAll("(?m)^WARNING: .*incubator.*\n", "");
            assertEquals(0, code, locale[0] + ": " + said);
            assertEquals("", said, locale[0]);
        }
    }

    /** What standard output is, the rule for a failed write: a pipe (named here) or a socket, not a file or device. */
    @Test
    void aReaderIsToldByTheFilesType() throws Exception {
        Path fifo = dir.resolve("fifo");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo is needed");
        assertTrue(StandardOutput.isAPipeOrSocket(fifo));
        assertFalse(StandardOutput.isAPipeOrSocket(Files.writeString(dir.resolve("file"), "")));
        assertFalse(StandardOutput.isAPipeOrSocket(Path.of("/dev/null")));
        assertFalse(StandardOutput.isAPipeOrSocket(dir.resolve("absent")));
    }

    /**
     * Under a Latin-1 locale standard output was written in UTF-8 (0d78481) while standard error, the arguments and
     * the file names were Latin-1: the {@code wrote PATH} line named a path that does not exist. The name's bytes
     * go to the child as this JVM encodes them (UTF-8) and come back unchanged only when its standard output is
     * written in its locale's encoding.
     */
    @Test
    void standardOutputIsWrittenInTheLocalesEncoding() throws Exception {
        String latin1 = germanLocale("ISO-8859-1");
        assumeTrue(latin1 != null, "localedef and the de_DE sources are needed");
        Path out = dir.resolve("é ö");
        Process child = command("de_DE.ISO-8859-1", latin1, List.of(), "factorize", "--input",
                Fixtures.fixture("spectrum_64x48.npy").toString(), "--rank", "2", "--max-iter", "2", "--out",
                out.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String printed = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), printed);
        assertTrue(printed.contains("wrote " + out + "/"), printed);
    }

    /**
     * Under a German locale the result lines read "relative error 9,999999e-01": the command line's numbers
     * followed the locale's decimal comma, and scripts that read them broke. The JVM's own locale properties
     * stand in for {@code LANG=de_DE.UTF-8} (the JDK derives the same default from either).
     */
    @Test
    void numbersArePrintedWithADecimalPointWhateverTheLocale() throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Duser.language=de",
                "-Duser.country=DE", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "factorize", "--input",
                Fixtures.fixture("spectrum_64x48.npy").toString(), "--rank", "2", "--max-iter", "2"));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String printed = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), printed);
        assertTrue(printed.matches("(?s).*relative error \\d\\.\\d{6}e[-+]\\d\\d .*"), printed);
    }

    /** A de_DE locale in {@code charset}, built with {@code localedef} (no root needed): its LOCPATH, or null. */
    private String germanLocale(String charset) throws IOException, InterruptedException {
        Path loc = Files.createDirectories(dir.resolve("loc"));
        Process localedef = new ProcessBuilder("localedef", "-i", "de_DE", "-f", charset,
                loc.resolve("de_DE." + charset).toString()).redirectErrorStream(true).start();
        localedef.getInputStream().readAllBytes();
        return localedef.waitFor() == 0 ? loc.toString() : null;
    }

    /** A child JVM running the command line's {@code args} in locale {@code lang}, started by {@code shell}. */
    private static ProcessBuilder command(String lang, String locpath, List<String> shell, String... args) {
        List<String> command = new ArrayList<>(shell);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("LANG", lang);
        builder.environment().put("LOCPATH", locpath);
        builder.environment().remove("LC_ALL");
        builder.environment().remove("LC_CTYPE");
        builder.environment().remove("LC_MESSAGES");
        return builder;
    }
}

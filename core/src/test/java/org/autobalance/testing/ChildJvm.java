package org.autobalance.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running a main class of this test class path, for tests that need another JVM's flags (-Xint, no C2,
 * NMT) or a process to kill. Its output (stdout and stderr) goes to a file, never to a pipe: reading a pipe to its
 * end blocks until the child exits, so a timeout checked afterwards would never apply.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** The command line: this JVM's {@code java}, {@code jvmFlags}, this class path, {@code mainClass}, {@code args}. */
    public static List<String> command(List<String> jvmFlags, Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts the command with its output going to {@code log}. */
    public static Process start(List<String> command, Path log) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * Runs the command to its end and returns its output; fails the test (after killing the child) if it takes
     * longer than {@code timeout} or exits with a non-zero status.
     */
    public static String run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Path log = Files.createTempFile("child-jvm", ".log");
        try {
            Process p = start(command, log);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                fail("the child JVM did not finish within " + timeout + ": " + command + "\n" + Files.readString(log));
            }
            String out = Files.readString(log);
            if (p.exitValue() != 0) {
                fail("the child JVM exited with " + p.exitValue() + ": " + command + "\n" + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}

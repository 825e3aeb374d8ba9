package org.autobalance.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.autobalance.solve.Checkpoint;

/**
 * A child JVM running a main class of this test class path, for tests that need another JVM's flags (-Xint, no C2,
 * NMT) or a process to kill. Its output (stdout and stderr) goes to a file, never to a pipe: reading a pipe to its
 * end blocks until the child exits, so a timeout checked afterwards would never apply.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * The command line: this JVM's {@code java}, {@code jvmFlags}, this class path, {@code mainClass}, {@code args}.
     */
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

    /**
     * This JVM's {@code autobalance.simd.*} system properties as {@code -D} flags, sorted: a child that runs kernels
     * to compare their bits with this JVM's must take the same code paths (tile shape, small-rank and row-stream
     * thresholds, panel rows), which those properties choose.
     */
    public static List<String> simdProperties() {
        return System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("autobalance.simd."))
                .sorted().map(n -> "-D" + n + "=" + System.getProperty(n)).toList();
    }

    /**
     * A factorisation's command line stopped by a signal: starts {@code command} (a run far longer than the test,
     * checkpointing every 20 iterations into {@code checkpoints}, writing {@code out} and the JSON-lines {@code log}),
     * sends SIGTERM ({@link Process#destroy()}; Ctrl-C's SIGINT takes the same path) once its first checkpoint says
     * that it is iterating, and checks that it ended its run and wrote everything a finished run writes: exit status
     * 143, the interruption's message, the factors, a summary with stop reason {@code cancelled}, a log of exactly
     * the iterations done, a checkpoint of the iterate written, and nothing else in {@code out}.
     *
     * @return the child's output
     */
    public static String assertASignalledRunWritesWhatItReached(List<String> command, Path checkpoints, Path out,
            Path log, Path output) throws IOException, InterruptedException {
        Process p = start(command, output);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(checkpoints.resolve("checkpoint"))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly().waitFor();
                fail("the child never iterated:\n" + Files.readString(output));
            }
            Thread.sleep(5);
        }
        p.destroy();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the signalled child did not exit");
        String childOut = Files.readString(output);
        assertEquals(128 + 15, p.exitValue(), childOut);
        assertTrue(childOut.contains("interrupted: stopping the run (after the iteration under way"), childOut);
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"stop_reason\":\"cancelled\""), summary);
        long iterations = (long) Fixtures.jsonNumber(summary, "iterations");
        assertTrue(iterations >= 20, "stopped after " + iterations + " iterations, before the first checkpoint");
        assertEquals(iterations, Files.readAllLines(log).size(), "records in the log");
        // the iterate written is checkpointed too: --resume goes on from it, not from the last checkpoint due
        assertEquals(iterations, Checkpoint.load(checkpoints).iteration(), "the checkpoint's iteration");
        assertTrue(Files.size(out.resolve("U.mtx")) > 0 && Files.size(out.resolve("V.mtx")) > 0);
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("U.mtx", "V.mtx", "summary.json"),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "files in --out");
        }
        return childOut;
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

package org.autobalance.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code main} class of the test classpath in a fresh JVM, for what one JVM cannot show twice: start-up
 * choices made once per JVM (the kernel provider and its log line), JVM flags fixed at launch (Native Memory
 * Tracking), or running without a flag the test JVM has.
 */
public final class ChildJvm {

    /** What a child JVM left: its exit code and its two output streams. */
    public record Outcome(int exitCode, String stdout, String stderr) {
        /** stderr without the JVM's own "Using incubator modules" line, which the library does not control. */
        public String libraryStderr() {
            return String.join("\n", stderr.lines().filter(l -> !l.contains("Using incubator modules")).toList());
        }
    }

    private ChildJvm() {
    }

    /**
     * Runs {@code main} with {@code jvmFlags} (nothing else: no flags of this JVM are inherited) and the classpath of
     * this JVM, and waits at most two minutes.
     */
    public static Outcome run(List<String> jvmFlags, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).start();
            // both streams drained concurrently, so a chatty child cannot block on a full pipe
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM " + main.getSimpleName() + " did not finish in 2 minutes");
            }
            return new Outcome(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a child JVM: " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a child JVM", e);
        }
    }

    private static String drain(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the test class path in a child JVM of this JDK, for tests that need other VM flags. */
final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * Runs {@code mainClass} with {@code vmFlags} and {@code args}, waits (at most 5 minutes), asserts exit code 0 and
     * returns stdout and stderr together.
     */
    static String run(List<String> vmFlags, Class<?> mainClass, String... args) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(vmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}

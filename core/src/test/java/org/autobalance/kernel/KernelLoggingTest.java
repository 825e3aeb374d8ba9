package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel choice is logged through {@link System.Logger}: silent at the default level (DEBUG), a WARNING naming the
 * flag on fallback. The choice happens once per JVM, so each case runs in a fresh child JVM (the JDK's default
 * backend, java.util.logging, which shows INFO and above on stderr unless configured).
 */
class KernelLoggingTest {

    private static final String MARK = "chosen kernels: ";

    /** Prints the chosen kernels' name after {@link #MARK}; every other line of the child's output is logging. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println(MARK + KernelProvider.kernels().name());
        }
    }

    /** What the child printed: the kernels' name, and the rest without the JVM's own incubator-module notice. */
    private record Seen(String kernels, String logged) {
        static Seen run(List<String> flags) throws IOException, InterruptedException {
            String out = ChildJvm.run(ChildJvm.command(flags, Probe.class), Duration.ofMinutes(2));
            String name = out.lines().filter(l -> l.startsWith(MARK)).findFirst()
                    .orElseThrow(() -> new AssertionError("no kernel name printed:\n" + out)).substring(MARK.length());
            String logged = String.join("\n", out.lines()
                    .filter(l -> !l.startsWith(MARK) && !l.contains("Using incubator modules")).toList());
            return new Seen(name, logged);
        }
    }

    private static final String VECTOR = "--add-modules=jdk.incubator.vector";

    @Test
    void silentByDefault() throws Exception {
        Seen s = Seen.run(List.of(VECTOR));
        assertTrue(s.kernels().startsWith("simd-"), s.kernels());
        assertEquals("", s.logged(), "nothing logged at the default level");
    }

    @Test
    void choiceVisibleAtDebug(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("logging.properties"), """
                handlers=java.util.logging.ConsoleHandler
                java.util.logging.ConsoleHandler.level=ALL
                org.autobalance.level=FINE
                """);
        Seen s = Seen.run(List.of(VECTOR, "-Djava.util.logging.config.file=" + config));
        assertTrue(s.logged().contains("autobalance kernels: " + s.kernels() + " ("), s.logged());
    }

    @Test
    void fallbackWarnsWithTheFlag() throws Exception {
        Seen s = Seen.run(List.of());
        assertEquals("scalar", s.kernels());
        assertTrue(s.logged().contains("WARNING") && s.logged().contains("--add-modules jdk.incubator.vector"),
                s.logged());
    }
}

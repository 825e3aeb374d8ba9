package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.autobalance.testing.ChildJvm;
import org.autobalance.testing.ChildJvm.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel choice is logged through {@link System.Logger}: silent at the default level (DEBUG), a WARNING naming the
 * flag on fallback. The choice happens once per JVM, so each case runs in a fresh child JVM (the JDK's default
 * backend, java.util.logging, which shows INFO and above on stderr unless configured).
 */
class KernelLoggingTest {

    /** Prints the chosen kernels' name on stdout; everything on stderr came from logging. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println(KernelProvider.kernels().name());
        }
    }

    private static final String VECTOR = "--add-modules=jdk.incubator.vector";

    @Test
    void silentByDefault() {
        Outcome o = ChildJvm.run(List.of(VECTOR), Probe.class);
        assertEquals(0, o.exitCode(), o.stderr());
        assertTrue(o.stdout().startsWith("simd-"), o.stdout());
        assertEquals("", o.libraryStderr(), "nothing logged at the default level");
    }

    @Test
    void choiceVisibleAtDebug(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("logging.properties"), """
                handlers=java.util.logging.ConsoleHandler
                java.util.logging.ConsoleHandler.level=ALL
                org.autobalance.level=FINE
                """);
        Outcome o = ChildJvm.run(List.of(VECTOR, "-Djava.util.logging.config.file=" + config), Probe.class);
        assertEquals(0, o.exitCode(), o.stderr());
        assertTrue(o.libraryStderr().contains("autobalance kernels: " + o.stdout().strip() + " ("), o.stderr());
    }

    @Test
    void fallbackWarnsWithTheFlag() {
        Outcome o = ChildJvm.run(List.of(), Probe.class);
        assertEquals(0, o.exitCode(), o.stderr());
        assertEquals("scalar", o.stdout().strip());
        assertTrue(o.libraryStderr().contains("WARNING") && o.libraryStderr().contains(
                "--add-modules jdk.incubator.vector"), o.stderr());
    }
}

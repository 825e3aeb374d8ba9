package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/**
 * A run that passes the heap's limit despite the checks before it (they refuse only what certainly cannot fit) ends
 * in one line, exit code 1, not in the JVM's "Exception in thread main" and a stack trace, which picocli let through
 * (found with {@code JDK_JAVA_OPTIONS=-Xmx128m}: a network whose step estimate needed 122 MiB of it). The error is
 * thrown, not provoked: nothing is allocated.
 */
class OutOfMemoryLineTest {
    @Command(name = "hungry")
    static final class Hungry implements Callable<Integer> {
        private final OutOfMemoryError error;

        Hungry(OutOfMemoryError error) {
            this.error = error;
        }

        @Override
        public Integer call() {
            throw error;
        }
    }

    @Test
    void anOutOfMemoryErrorIsOneLineWithTheHeapsLimit() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new Hungry(new OutOfMemoryError("Java heap space")), new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(1, code);
        assertEquals("", out.toString());
        assertEquals("autobalance: error: the Java heap ran out (Java heap space; its limit is "
                + InputMatrix.bytes(Runtime.getRuntime().maxMemory()) + "): give the JVM more, e.g. "
                + "JDK_JAVA_OPTIONS=-Xmx8g, or a smaller problem (fewer --threads, a lower rank, narrower layers)\n",
                err.toString().replace(System.lineSeparator(), "\n"));
        assertEquals("the JVM ran out of memory: Direct buffer memory",
                Main.outOfMemory(new OutOfMemoryError("Direct buffer memory"), 1L << 30));
    }
}

package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.autobalance.memory.NativeMemory;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/**
 * A run that passes the heap's limit despite the checks before it (they refuse only what certainly cannot fit) ends
 * in one line, exit code {@link Main#EXIT_FAILED}, not in the JVM's "Exception in thread main" and a stack trace,
 * which picocli let through (found with {@code JDK_JAVA_OPTIONS=-Xmx128m}: a network whose step estimate needed 122
 * MiB of it). The error is thrown, not provoked: nothing is allocated.
 */
class OutOfMemoryLineTest {
    @Command(name = "hungry")
    static final class Hungry implements Callable<Integer> {
        private final String message;

        Hungry(String message) {
            this.message = message;
        }

        /** Made here, so that its innermost frame is this method's. */
        @Override
        public Integer call() {
            throw new OutOfMemoryError(message);
        }
    }

    @Test
    void anOutOfMemoryErrorIsOneLineWithTheHeapsLimitAndWhereItRanOut() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new Hungry("Java heap space"), new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(Main.EXIT_FAILED, code);
        assertEquals("", out.toString());
        long max = Runtime.getRuntime().maxMemory();
        // the suggestion is twice the limit in whole GiB: a fixed -Xmx8g advised lowering a heap of 8 GiB or more
        assertEquals("autobalance: error: the Java heap ran out in OutOfMemoryLineTest$Hungry.call (Java heap space; "
                + "its limit is " + NativeMemory.size(max) + "): give the JVM more, e.g. JDK_JAVA_OPTIONS=-Xmx"
                + Math.max(1, (max * 2 + (1L << 30) - 1) >> 30) + "g, or a smaller problem: fewer --threads, a lower "
                + "rank, narrower layers\n", err.toString().replace(System.lineSeparator(), "\n"));
        // (a limit whose double any machine running this holds: the advice is capped at the machine's memory,
        // MemoryArgumentsTest)
        assertEquals("the Java heap ran out (Java heap space; its limit is 1.0 GiB): give the JVM more, e.g. "
                + "JDK_JAVA_OPTIONS=-Xmx2g, or a smaller problem: fewer --threads, a lower rank, narrower layers",
                Main.outOfMemory(outside("Java heap space"), 1L << 30, "hungry"));
        assertEquals("the JVM ran out of memory: Direct buffer memory",
                Main.outOfMemory(outside("Direct buffer memory"), 1L << 30, "hungry"));
    }

    /**
     * The smaller problem is said in the options of the command that ran out: a network run was advised "a lower
     * rank", which network has no option for. A command without options of size keeps the whole list.
     */
    @Test
    void theSmallerProblemIsSaidInTheCommandsOwnOptions() {
        String limit = "the Java heap ran out (Java heap space; its limit is 1.0 GiB): give the JVM more, e.g. "
                + "JDK_JAVA_OPTIONS=-Xmx2g, or a smaller problem: ";
        assertEquals(limit + "narrower --layers", Main.outOfMemory(outside("Java heap space"), 1L << 30, "network"));
        assertEquals(limit + "fewer --threads, a lower --rank",
                Main.outOfMemory(outside("Java heap space"), 1L << 30, "factorize"));
        assertEquals(limit + "fewer --threads, a lower --rank",
                Main.outOfMemory(outside("Java heap space"), 1L << 30, "spark-factorize"));
    }

    /**
     * An array longer than the JVM makes is no shortage of heap: more heap was the wrong advice. It is a size the
     * checks before a run let through, to be reported.
     */
    @Test
    void anArrayBeyondTheJvmsLimitIsSaidToBeABug() {
        StringWriter err = new StringWriter();
        int code = Main.execute(new Hungry("Requested array size exceeds VM limit"),
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(Main.EXIT_FAILED, code);
        assertEquals("autobalance: error: an array longer than any the JVM holds was asked for in "
                + "OutOfMemoryLineTest$Hungry.call (Requested array size exceeds VM limit): a bug, or a problem too "
                + "large for this path that the checks before a run let through; please report it, with the "
                + "command\n", err.toString().replace(System.lineSeparator(), "\n"));
    }

    /** An error thrown outside this project's code: no frame of it to name. */
    private static OutOfMemoryError outside(String message) {
        OutOfMemoryError e = new OutOfMemoryError(message);
        e.setStackTrace(new StackTraceElement[] {new StackTraceElement("java.util.Arrays", "copyOf", null, 1)});
        return e;
    }
}

package org.autobalance.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChildrenTest {
    /**
     * The shutdown hook ends what the command started and nothing else, and a process that would start after it
     * (the main thread runs on during the hooks) is refused: the hook's snapshot of the JVM's children missed it.
     */
    @Test
    void endAllEndsWhatItStartedAloneAndThenRefuses() throws Exception {
        Children children = new Children();
        Process started = children.start(new ProcessBuilder("sleep", "1000"));
        Process other = new ProcessBuilder("sleep", "1000").start();
        try {
            assertFalse(children.shuttingDown());
            children.endAll();
            assertTrue(children.shuttingDown());
            assertTrue(started.waitFor(1, TimeUnit.MINUTES), "a process it started outlived endAll");
            assertEquals(128 + 15, started.exitValue());
            assertTrue(other.isAlive(), "endAll ended a process it did not start");
            IOException refused = assertThrows(IOException.class,
                    () -> children.start(new ProcessBuilder("sleep", "1000")));
            assertEquals("not started: the command is shutting down", refused.getMessage());
        } finally {
            started.destroyForcibly();
            other.destroyForcibly();
        }
    }
}

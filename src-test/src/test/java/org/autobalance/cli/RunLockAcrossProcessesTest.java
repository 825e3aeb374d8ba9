package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.autobalance.io.internal.RunLock;
import org.autobalance.testing.ChildJvm;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The locks of a run's destinations hold against another process, not only against this JVM (the other tests hold a
 * lock and run the command in one JVM, where the JVM's own table refuses the second). {@code RunLock} read its lock
 * file back by name and closed that descriptor, and a POSIX lock is let go when the process closes any descriptor of
 * the file: a second run took every lock and wrote into the same --out, --log and checkpoint directory.
 */
class RunLockAcrossProcessesTest {
    @TempDir
    Path dir;

    @Test
    void aRunInAnotherProcessHoldsItsDestinations() throws Exception {
        // the child claims its destinations, then waits on its input, a pipe that nothing writes to yet
        Path fifo = dir.resolve("M.mtx");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo is needed");
        Path out = dir.resolve("out");
        Path log = dir.resolve("run.jsonl");
        Path checkpoints = dir.resolve("ck");
        Process child = ChildJvm.start(ChildJvm.command(List.of(), Main.class, "factorize", "--input",
                fifo.toString(), "--rank", "2", "--out", out.toString(), "--log", log.toString(), "--checkpoint",
                checkpoints.toString()), dir.resolve("child.out"));
        String pid = Long.toString(child.pid());
        try {
            Path lastLock = dir.resolve(".run.jsonl.lock");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (!(Files.exists(lastLock) && Files.readString(lastLock).strip().equals(pid))) {
                assertTrue(child.isAlive(), () -> "the child ended: " + readQuietly(dir.resolve("child.out")));
                assertTrue(System.nanoTime() < deadline, "the child did not lock its log in 2 minutes");
                Thread.sleep(20);
            }
            String[][] seconds = {
                {"--out", out.toString(), "--out " + out + ": another run is writing its results there"},
                {"--log", log.toString(), "--log " + log + ": another run is writing this log"},
                {"--checkpoint", checkpoints.toString(), "--checkpoint " + checkpoints + ": another run is writing "
                    + "its checkpoints there"}};
            for (String[] second : seconds) {
                CommandLineTest.Run r = CommandLineTest.run("factorize", "--input", dir.resolve("none.mtx").toString(),
                        "--rank", "2", second[0], second[1]);
                assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
                assertEquals("autobalance: error: " + second[2] + " (process " + pid + "); wait for it to end, or give "
                        + "another " + (second[0].equals("--log") ? "file" : "directory") + System.lineSeparator(),
                        r.err());
            }
        } finally {
            // SIGKILL: a SIGTERM's hook would wait for the child's open of the pipe, which no writer ends
            child.destroyForcibly();
            assertTrue(child.waitFor(2, TimeUnit.MINUTES), "the killed child did not exit");
        }
    }

    /**
     * A run refused in this process for a lock this process holds must not let that lock go: its refusal closed the
     * descriptor it had opened to try, and closing any descriptor of the file lets the process's lock go, so a run in
     * another process took the directory next.
     */
    @Test
    void aRefusalInTheHoldingProcessKeepsTheLockAgainstOthers() throws Exception {
        Path checkpoints = dir.resolve("ck");
        String[] command = {"factorize", "--input", Fixtures.fixture("spectrum_64x48.mtx").toString(), "--rank", "2",
            "--max-iter", "2", "--checkpoint", checkpoints.toString()};
        try (RunLock _ = RunLock.checkpoints("--checkpoint", checkpoints)) {
            CommandLineTest.Run here = CommandLineTest.run(command);
            assertEquals(Main.EXIT_USAGE, here.exitCode(), here.err());
            assertTrue(here.err().contains("another run is writing its checkpoints there (process "
                    + ProcessHandle.current().pid() + ", this one)"), here.err());
            Process other = ChildJvm.start(ChildJvm.command(List.of(), Main.class, command), dir.resolve("child.out"));
            assertTrue(other.waitFor(2, TimeUnit.MINUTES), "the child did not end");
            String childOut = Files.readString(dir.resolve("child.out"));
            assertEquals(Main.EXIT_USAGE, other.exitValue(), childOut);
            assertTrue(childOut.contains("autobalance: error: --checkpoint " + checkpoints + ": another run is writing "
                    + "its checkpoints there (process " + ProcessHandle.current().pid() + ")"), childOut);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}

package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.autobalance.io.MatrixMarket;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.ChildJvm;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A factorisation stopped by a signal (SIGTERM here, as {@link Process#destroy()} sends; Ctrl-C's SIGINT takes the
 * same path) ends its run after the current iteration and writes everything a finished run writes: the factors, a
 * summary with stop reason {@code cancelled}, a log holding exactly the iterations done — and no staging leftovers.
 */
class InterruptTest {
    @TempDir
    Path dir;

    @Test
    void aSignalledRunStopsAndWritesWhatItReached() throws Exception {
        Path input = dir.resolve("M.mtx");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.withSpectrum(300, 200,
                new double[] {5, 4, 3, 2.5, 2, 1.5, 1, 0.5}, 17))) {
            MatrixMarket.write(input, m, null);
        }
        Path out = dir.resolve("out");
        Path log = dir.resolve("run.jsonl");
        Path checkpoints = dir.resolve("ck");
        // a run far longer than the test
        ChildJvm.assertASignalledRunWritesWhatItReached(ChildJvm.command(List.of(), Main.class, "factorize",
                "--input", input.toString(), "--rank", "6", "--tol", "0", "--max-iter", "100000000", "--checkpoint",
                checkpoints.toString(), "--checkpoint-every", "20", "--out", out.toString(), "--log", log.toString()),
                checkpoints, out, log, dir.resolve("child.out"));
    }

    /**
     * A signal while M is still being read ends the process at once, with a line saying that nothing was written — and
     * leaves nothing: the destinations are locked before the load, and the JVM ends without the main thread's finally
     * blocks, so the lock files and the directories made for them stayed (ck/.lock, found by a new user's Ctrl-C).
     */
    @Test
    void aSignalWhileTheInputIsReadSaysSo() throws Exception {
        Path fifo = dir.resolve("M.mtx");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo is needed");
        Path out = dir.resolve("out");
        Path logs = dir.resolve("logs");
        Path checkpoints = Files.createDirectories(dir.resolve("ck"));
        Process p = ChildJvm.start(ChildJvm.command(List.of(), Main.class, "factorize", "--input", fifo.toString(),
                "--rank", "2", "--out", out.toString(), "--log", logs.resolve("run.jsonl").toString(),
                "--checkpoint", checkpoints.toString()), dir.resolve("child.out"));
        // opening the pipe waits for the child to open it; then the child reads the header and waits for more
        try (OutputStream writer = Files.newOutputStream(fifo)) {
            writer.write("%%MatrixMarket matrix coordinate real general\n1000 1000 5\n1 1 1.0\n".getBytes(
                    StandardCharsets.US_ASCII));
            writer.flush();
            p.destroy();
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the signalled child did not exit");
        }
        String childOut = Files.readString(dir.resolve("child.out"));
        assertEquals(128 + 15, p.exitValue(), childOut);
        assertTrue(childOut.contains("autobalance: interrupted before the run began: nothing written"), childOut);
        assertFalse(Files.exists(out), "--out was created");
        assertFalse(Files.exists(logs), "the directory of --log was created");
        try (var left = Files.list(checkpoints)) {
            assertEquals(List.of(), left.toList(), "a lock file stayed in the --checkpoint directory");
        }
    }

    /**
     * A named pipe as --log, which nothing reads yet (a new user's twelfth-session finding): the run waited in the
     * log's opening without a word ("preparing the run" every few seconds), and a signal then waited the whole grace
     * period (a minute) for a run that never started before the JVM ended, leaving a staging directory in --out. The
     * log is opened first, saying so, and a signal meanwhile ends the command at once, leaving nothing.
     */
    @Test
    void aSignalWhileWaitingForTheReaderOfALogPipeEndsAtOnce() throws Exception {
        Path fifo = fifo("run.jsonl");
        Path input = smallInput();
        Path out = dir.resolve("out");
        Path childOut = dir.resolve("child.out");
        Process p = ChildJvm.start(ChildJvm.command(List.of(), Main.class, "factorize", "--input", input.toString(),
                "--rank", "2", "--out", out.toString(), "--log", fifo.toString()), childOut);
        signalWhileWaitingForTheReader(p, childOut, fifo, out);
    }

    /** The same for network, whose log was opened with the training started. */
    @Test
    void aSignalWhileNetworkWaitsForTheReaderOfALogPipeEndsAtOnce() throws Exception {
        Path fifo = fifo("net.jsonl");
        Path out = dir.resolve("out");
        Path childOut = dir.resolve("child.out");
        Process p = ChildJvm.start(ChildJvm.command(List.of(), Main.class, "network", "--data",
                Fixtures.fixture("net_X.npy") + "," + Fixtures.fixture("net_Y.npy"), "--layers",
                "conv1d:3,3,relu,dense:4,leaky:0.1,dense:2", "--input-shape", "2,8", "--out", out.toString(), "--log",
                fifo.toString()), childOut);
        signalWhileWaitingForTheReader(p, childOut, fifo, out);
    }

    /**
     * Waits until the child says it opens the log pipe {@code fifo}, signals it, and checks that it ended at once,
     * leaving nothing.
     */
    private static void signalWhileWaitingForTheReader(Process p, Path childOut, Path fifo, Path out) throws Exception {
        // the heartbeat's first line comes 5 s after the start (the child's output is not a terminal)
        String waiting = "autobalance: opening --log " + fifo + " (a named pipe opens when something reads it)";
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.readString(childOut).contains(waiting)) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "no line says what the child waits for: "
                    + Files.readString(childOut));
            Thread.sleep(100);
        }
        p.destroy();
        // well within the grace period a started run is given to stop (Interruption.GRACE_SECONDS)
        assertTrue(p.waitFor(Interruption.GRACE_SECONDS / 3, TimeUnit.SECONDS), "the signalled child did not exit");
        assertEndedBeforeTheRun(p, childOut, out);
    }

    /**
     * A signal while the --init factors are read (after M) ends the command at once, as while M is read — and left
     * --out's staging directory in the directory the run had made (a new user's twelfth-session finding): it is made
     * once the run is prepared.
     */
    @Test
    void aSignalWhileTheStartIsReadLeavesNothing() throws Exception {
        Path u0 = fifo("U0.csv");
        Path input = smallInput();
        Path v0 = Files.writeString(dir.resolve("V0.csv"), "1,0\n".repeat(20));
        Path out = dir.resolve("out");
        Path childOut = dir.resolve("child.out");
        Process p = ChildJvm.start(ChildJvm.command(List.of(), Main.class, "factorize", "--input", input.toString(),
                "--rank", "2", "--init", "file:" + u0 + "," + v0, "--out", out.toString()), childOut);
        // opening the pipe waits for the child to open it, once M is read; then the child waits for more rows
        try (OutputStream writer = Files.newOutputStream(u0)) {
            writer.write("1,0\n".getBytes(StandardCharsets.US_ASCII));
            writer.flush();
            p.destroy();
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the signalled child did not exit");
        }
        assertEndedBeforeTheRun(p, childOut, out);
    }

    /** A named pipe {@code name} in the test's directory (the test is skipped where none can be made). */
    private Path fifo(String name) throws Exception {
        Path fifo = dir.resolve(name);
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo is needed");
        return fifo;
    }

    /** A 30 x 20 M of rank 3 in the test's directory. */
    private Path smallInput() throws Exception {
        Path input = dir.resolve("M.mtx");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.withSpectrum(30, 20,
                new double[] {3, 2, 1}, 17))) {
            MatrixMarket.write(input, m, null);
        }
        return input;
    }

    /** The child ended by SIGTERM before its run began, saying so, and left no {@code out}. */
    private static void assertEndedBeforeTheRun(Process p, Path childOut, Path out) throws Exception {
        String said = Files.readString(childOut);
        assertEquals(128 + 15, p.exitValue(), said);
        assertTrue(said.contains("autobalance: interrupted before the run began: nothing written"), said);
        assertFalse(Files.exists(out), "--out was left: " + (Files.exists(out) ? Files.list(out).toList() : ""));
    }
}

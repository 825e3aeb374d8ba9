package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.autobalance.io.MatrixMarket;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Checkpoint;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code factorize --checkpoint} survives {@code kill -9}: a child JVM running a checkpointed factorisation is killed
 * ({@link Process#destroyForcibly()}, SIGKILL) at a random moment; the checkpoint it leaves must load, must be at most
 * one interval (plus the one being written) behind the log, and {@code --resume} must end with factors bit for bit
 * those of the uninterrupted run and a log without gaps or duplicates (every record equal to the uninterrupted run's,
 * but for its time stamp). The CI run kills 6 times (about a minute on an idle 2-core machine); the slow-tagged one 50 times.
 */
class KillNineTest {
    private static final int EVERY = 20;
    private static final String[] PROBLEM = {"--rank", "6", "--tol", "0", "--max-iter", "3000", "--threads", "2",
        "--checkpoint-every", String.valueOf(EVERY)};

    @TempDir
    Path dir;

    @Test
    void survivesSixKills() throws Exception {
        killAndResume(6, 1);
    }

    @Tag("slow")
    @Test
    void survivesFiftyKills() throws Exception {
        killAndResume(50, 2);
    }

    private void killAndResume(int kills, long seed) throws Exception {
        Path input = dir.resolve("M.mtx");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.withSpectrum(300, 200,
                new double[] {5, 4, 3, 2.5, 2, 1.5, 1, 0.5}, 17))) {
            MatrixMarket.write(input, m, null);
        }
        // the uninterrupted run, in a child like the killed ones; it also times the run after its first checkpoint
        Path reference = dir.resolve("reference");
        Process p = start(reference, input);
        long firstCheckpoint = waitForCheckpoint(p, reference);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the reference run did not finish");
        long runNanos = System.nanoTime() - firstCheckpoint;
        assertEquals(0, p.exitValue(), Files.readString(reference.resolve("child.out")));
        byte[] u = Files.readAllBytes(reference.resolve("out/U.mtx"));
        byte[] v = Files.readAllBytes(reference.resolve("out/V.mtx"));
        List<String> log = withoutTimes(Files.readAllLines(reference.resolve("run.jsonl")));
        assertEquals(3000, log.size());

        SplittableRandom random = new SplittableRandom(seed);
        int killed = 0;
        for (int k = 0; k < kills; k++) {
            Path run = dir.resolve("kill-" + k);
            p = start(run, input);
            waitForCheckpoint(p, run);
            long delay = (long) (random.nextDouble() * runNanos);
            Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
            p.destroyForcibly();
            assertTrue(p.waitFor(1, TimeUnit.MINUTES), "a killed child did not exit");
            String what = "kill " + k + " (seed " + seed + ", after " + delay / 1_000_000 + " ms)";
            if (p.exitValue() == 0) {
                continue; // it finished before the kill: nothing to resume
            }
            killed++;
            Checkpoint saved = Checkpoint.load(run.resolve("ck"));
            // the log is under its staging name until the run ends (a kill just after that finds the final name)
            Path partial = run.resolve(".run.jsonl.partial");
            long logged = completeRecords(Files.exists(partial) ? partial : run.resolve("run.jsonl"));
            // records reach the log before their checkpoint; a kill while a checkpoint was written loses that one too
            assertTrue(logged - saved.iteration() < 2 * EVERY, what + ": checkpoint at " + saved.iteration()
                    + " but " + logged + " records logged");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            List<String> args = new ArrayList<>(List.of("factorize", "--input", input.toString()));
            args.addAll(List.of(PROBLEM));
            args.addAll(List.of("--resume", run.resolve("ck").toString(), "--out", run.resolve("out").toString(),
                    "--log", run.resolve("run.jsonl").toString()));
            int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
            assertEquals(0, code, what + ": resume failed: " + err);
            assertArrayEquals(u, Files.readAllBytes(run.resolve("out/U.mtx")), what + ": U differs");
            assertArrayEquals(v, Files.readAllBytes(run.resolve("out/V.mtx")), what + ": V differs");
            assertEquals(log, withoutTimes(Files.readAllLines(run.resolve("run.jsonl"))), what + ": log differs");
        }
        // the kills are spread over the whole run, so nearly all of them land before its end
        assertTrue(killed >= kills / 2, "only " + killed + " of " + kills + " kills hit a running process");
    }

    private static Process start(Path run, Path input) throws IOException {
        Files.createDirectories(run);
        List<String> args = new ArrayList<>(List.of("factorize", "--input", input.toString()));
        args.addAll(List.of(PROBLEM));
        args.addAll(List.of("--checkpoint", run.resolve("ck").toString(), "--out", run.resolve("out").toString(),
                "--log", run.resolve("run.jsonl").toString()));
        // the child must choose the kernels this JVM chooses, or the bits (and the checkpoint's configuration) differ
        List<String> flags = new ArrayList<>();
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            flags.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("autobalance."))
                .forEach(k -> flags.add("-D" + k + "=" + System.getProperty(k)));
        return ChildJvm.start(ChildJvm.command(flags, Main.class, args.toArray(String[]::new)),
                run.resolve("child.out"));
    }

    /** Waits until the child has written its first checkpoint; returns System.nanoTime() then. */
    private static long waitForCheckpoint(Process p, Path run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(run.resolve("ck").resolve(Checkpoint.FILE))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly().waitFor();
                fail("the child wrote no checkpoint:\n" + Files.readString(run.resolve("child.out")));
            }
            Thread.sleep(5);
        }
        return System.nanoTime();
    }

    private static long completeRecords(Path log) throws IOException {
        byte[] bytes = Files.readAllBytes(log);
        long lines = 0;
        for (byte b : bytes) {
            lines += b == '\n' ? 1 : 0;
        }
        return lines;
    }

    /** The records without their "seconds" field (the wall time differs between runs, nothing else may). */
    private static List<String> withoutTimes(List<String> lines) {
        return lines.stream().map(l -> l.replaceAll(",\"seconds\":[^,}]*", "")).toList();
    }
}

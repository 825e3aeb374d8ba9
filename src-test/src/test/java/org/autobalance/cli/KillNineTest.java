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
import java.util.stream.Stream;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npy;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Checkpoint;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code factorize --checkpoint} and {@code network --checkpoint} survive {@code kill -9}: a child JVM running a
 * checkpointed run is killed ({@link Process#destroyForcibly()}, SIGKILL) at a random moment; the checkpoint it leaves
 * must load, must be at most one interval behind the log and never ahead of it, and {@code --resume} must end
 * with outputs (factors, weights) bit for bit those of the uninterrupted run and a log without gaps or duplicates
 * (every record equal to the uninterrupted run's, but for its time stamp). CI kills a factorisation 6 times (about a
 * minute on an idle 2-core machine) and a network 4 times; the slow-tagged ones 50 times each.
 */
class KillNineTest {
    private static final int EVERY = 20;

    @TempDir
    Path dir;

    /** A command to kill: its arguments (input and problem, without checkpoint, output and log) and outputs. */
    private record Problem(String command, List<String> args, List<String> outputs, int iterations) {
        List<String> commandLine(Path run, String checkpointOption) {
            List<String> a = new ArrayList<>(List.of(command));
            a.addAll(args);
            a.addAll(List.of("--checkpoint-every", String.valueOf(EVERY), checkpointOption,
                    run.resolve("ck").toString(), "--out", run.resolve("out").toString(), "--log",
                    run.resolve("run.jsonl").toString()));
            return a;
        }
    }

    @Test
    void survivesSixKills() throws Exception {
        killAndResume(factorization(), 6, 1);
    }

    @Tag("slow")
    @Test
    void survivesFiftyKills() throws Exception {
        killAndResume(factorization(), 50, 2);
    }

    @Test
    void aNetworkSurvivesFourKills() throws Exception {
        killAndResume(network(), 4, 3);
    }

    @Tag("slow")
    @Test
    void aNetworkSurvivesFiftyKills() throws Exception {
        killAndResume(network(), 50, 4);
    }

    private Problem factorization() throws IOException {
        Path input = dir.resolve("M.mtx");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.withSpectrum(300, 200,
                new double[] {5, 4, 3, 2.5, 2, 1.5, 1, 0.5}, 17))) {
            MatrixMarket.write(input, m, null);
        }
        return new Problem("factorize", List.of("--input", input.toString(), "--rank", "6", "--tol", "0",
                "--max-iter", "3000", "--threads", "2"), List.of("U.mtx", "V.mtx"), 3000);
    }

    /** A ReLU network with biases (every kind of block in the checkpoint), 200 samples, 2000 iterations. */
    private Problem network() throws IOException {
        Path x = dir.resolve("X.npy");
        Path y = dir.resolve("Y.npy");
        try (DenseMatrix xm = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(200, 16, 1, 21));
                DenseMatrix ym = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(200, 4, 1, 22))) {
            Npy.write(x, xm);
            Npy.write(y, ym);
        }
        return new Problem("network", List.of("--data", x + "," + y, "--layers", "dense:32,relu,dense:24,dense:4",
                "--bias", "--init", "small:0.1", "--schedule", "constant:0.02", "--tol", "0", "--max-iter", "2000",
                "--threads", "2"), List.of("W1.npy", "b1.npy", "W2.npy", "b2.npy", "W3.npy", "b3.npy"), 2000);
    }

    private void killAndResume(Problem problem, int kills, long seed) throws Exception {
        // the uninterrupted run, in a child like the killed ones; it also times the run after its first checkpoint
        Path reference = dir.resolve("reference");
        Process p = start(reference, problem);
        long firstCheckpoint = waitForCheckpoint(p, reference);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the reference run did not finish");
        long runNanos = System.nanoTime() - firstCheckpoint;
        assertEquals(0, p.exitValue(), Files.readString(reference.resolve("child.out")));
        List<byte[]> outputs = new ArrayList<>();
        for (String name : problem.outputs()) {
            outputs.add(Files.readAllBytes(reference.resolve("out").resolve(name)));
        }
        List<String> log = withoutTimes(Files.readAllLines(reference.resolve("run.jsonl")));
        assertEquals(problem.iterations(), log.size());

        SplittableRandom random = new SplittableRandom(seed);
        int killed = 0;
        for (int k = 0; k < kills; k++) {
            Path run = dir.resolve("kill-" + k);
            p = start(run, problem);
            long checkpointed = waitForCheckpoint(p, run);
            long delay = (long) (random.nextDouble() * runNanos);
            boolean finished = p.waitFor(delay, TimeUnit.NANOSECONDS);
            if (finished) {
                // it ended before the kill: nothing to resume. Under a changing load the reference run may have been
                // slower than this one, so later kills are drawn within this run's own length
                assertEquals(0, p.exitValue(), Files.readString(run.resolve("child.out")));
                runNanos = Math.min(runNanos, System.nanoTime() - checkpointed);
                continue;
            }
            p.destroyForcibly();
            assertTrue(p.waitFor(1, TimeUnit.MINUTES), "a killed child did not exit");
            String what = problem.command() + " kill " + k + " (seed " + seed + ", after " + delay / 1_000_000
                    + " ms)";
            if (p.exitValue() == 0) {
                continue; // it finished between the wait and the kill
            }
            killed++;
            Checkpoint saved = Checkpoint.load(run.resolve("ck"));
            // the log is under its staging name until the run ends (a kill just after that finds the final name)
            Path partial = run.resolve(".run.jsonl.partial");
            long logged = completeRecords(Files.exists(partial) ? partial : run.resolve("run.jsonl"));
            // the log is flushed before each checkpoint is written, and the next checkpoint is due right after the
            // interval's last record: a kill at any moment, during a checkpoint's write too, loses at most one interval
            assertTrue(saved.iteration() <= logged && logged <= saved.iteration() + EVERY, what + ": checkpoint at "
                    + saved.iteration() + " but " + logged + " records logged");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            List<String> args = problem.commandLine(run, "--resume");
            int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true),
                    args.toArray(String[]::new));
            assertEquals(0, code, what + ": resume failed: " + err);
            for (int f = 0; f < outputs.size(); f++) {
                String name = problem.outputs().get(f);
                assertArrayEquals(outputs.get(f), Files.readAllBytes(run.resolve("out").resolve(name)),
                        what + ": " + name + " differs");
            }
            assertEquals(log, withoutTimes(Files.readAllLines(run.resolve("run.jsonl"))), what + ": log differs");
            // a kill while a checkpoint was written leaves its temporary file; the resumed run removed it
            try (Stream<Path> left = Files.list(run.resolve("ck"))) {
                assertEquals(List.of(), left.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList(),
                        what + ": temporary files left");
            }
        }
        // the kills are spread over the whole run, so nearly all of them land before its end
        assertTrue(killed >= kills / 2, "only " + killed + " of " + kills + " kills hit a running process");
        // for the record of a long run (native-notes/reliability.md): how many rounds were kills and resumes
        System.out.println(problem.command() + ": " + killed + " of " + kills + " kills hit a running process");
    }

    private static Process start(Path run, Problem problem) throws IOException {
        Files.createDirectories(run);
        List<String> args = problem.commandLine(run, "--checkpoint");
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

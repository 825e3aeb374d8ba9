package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.autobalance.io.internal.RunLock;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.solve.internal.CheckpointReader;
import org.autobalance.solve.internal.CheckpointWriter;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint directory of a library run is its own: two solvers given one directory (two requests of a service,
 * a solver and a command-line run) replaced each other's checkpoints through one fixed temporary name, and one of
 * them failed at its next write with its results lost. Now a solver locks the directory for its run (a second is
 * refused at once, naming the holder), every write has a temporary file of its own, and the temporary file a process
 * killed while writing leaves is removed by the next run, which resumes bit for bit.
 */
class CheckpointDirectoryTest {
    /** A matrix of known spectrum, large enough that a checkpoint's write (and its fsync) takes a while. */
    private static final int D1 = 300;
    private static final int D2 = 200;
    private static final int RANK = 4;
    private static final long SEED = 11;
    private static final long ITERATIONS = 3000;

    @TempDir
    Path dir;

    private static double[][] matrix() {
        return KnownMatrices.withSpectrum(D1, D2, new double[] {5, 4, 3, 2, 1, 0.5}, SEED);
    }

    private static Factorizer.Builder settings(DenseMatrix m) {
        return Factorizer.builder(m, RANK).schedule(new ConstantSchedule(0.02)).tolerance(0).seed(SEED)
                .maxIterations(ITERATIONS);
    }

    @Test
    void aSecondSolverOnTheSameDirectoryIsRefusedWhileTheFirstRuns() throws Exception {
        Path ck = dir.resolve("ck");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, matrix())) {
            CountDownLatch iterating = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Factorizer first = settings(m).maxIterations(30).checkpoint(ck, 10, null).listener(rec -> {
                if (rec.iteration() == 0) {
                    iterating.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }).build();
            Future<Result> running = pool.submit(() -> first.run());
            assertTrue(iterating.await(1, TimeUnit.MINUTES), "the first run did not start");
            Factorizer second = settings(m).maxIterations(30).checkpoint(ck, 10, null).build();
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, second::run);
            assertEquals("checkpoint directory " + ck + ": another run is writing its checkpoints there (process "
                    + ProcessHandle.current().pid() + ", this one); wait for it to end, or give another directory",
                    refused.getMessage());
            release.countDown();
            try (Result r = running.get(1, TimeUnit.MINUTES)) {
                assertEquals(30, r.iterations());
            }
            assertEquals(30, Checkpoint.load(ck).iteration());
            // the lock went with the first run: the second goes ahead
            try (Result r = second.run()) {
                assertEquals(30, r.iterations());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A front end locks the directory before it reads its input (the command line: a directory in use is refused
     * before a long load) and then runs the solver on the same thread: the solver joins that lock. On another thread
     * the same lock refuses it.
     */
    @Test
    void aSolverJoinsTheLockItsOwnThreadTookAndNoOther() throws Exception {
        Path ck = dir.resolve("ck");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, matrix());
                RunLock _ = RunLock.checkpoints("--checkpoint", ck)) {
            Factorizer f = settings(m).maxIterations(20).checkpoint(ck, 10, null).build();
            Future<?> elsewhere = pool.submit(() -> assertThrows(IllegalArgumentException.class, f::run));
            elsewhere.get(1, TimeUnit.MINUTES);
            try (Result r = f.run()) {
                assertEquals(20, r.iterations());
            }
            assertEquals(20, Checkpoint.load(ck).iteration());
            // the solver's share let go, the front end's lock still holds
            assertThrows(IllegalArgumentException.class, () -> RunLock.checkpoints("--checkpoint", ck));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Two writers of one directory that do not lock it (callers of {@link CheckpointWriter#writeTo}) each write a
     * temporary file of their own: every write succeeds and the file left is one of theirs, complete. With one fixed
     * temporary name the second writer truncated the first's file under it, and a rename found the file gone.
     */
    @Test
    void concurrentWritersNeverShareATemporaryFile() throws Exception {
        Path ck = dir.resolve("ck");
        int writes = 100;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (DenseMatrix a = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(2000, 8, 1, 1));
                DenseMatrix b = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(2000, 8, 1, 2))) {
            List<Future<?>> writers = new ArrayList<>();
            for (DenseMatrix x : List.of(a, b)) {
                writers.add(pool.submit(() -> {
                    for (int k = 0; k < writes; k++) {
                        CheckpointWriter.start("test", k, 0, "hash", Map.of(), 1, 0).matrix("X", x).writeTo(ck);
                    }
                    return null;
                }));
            }
            for (Future<?> w : writers) {
                w.get(2, TimeUnit.MINUTES);
            }
            Checkpoint last = Checkpoint.load(ck);
            assertEquals(writes - 1, last.iteration());
            try (DenseMatrix x = DenseMatrix.allocate(DType.FLOAT64, 2000, 8)) {
                CheckpointReader.restore(last, "X", x);
                double[][] got = x.toArray();
                assertTrue(Arrays.deepEquals(got, a.toArray()) || Arrays.deepEquals(got, b.toArray()),
                        "the checkpoint is neither writer's");
            }
            assertEquals(List.of(), temporaries(ck));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A run killed ({@code kill -9}) while it wrote a checkpoint leaves its temporary file (and its lock file); the
     * next run in the library takes the directory over, removes the temporary file, and resumes from the checkpoint
     * to the bits of the uninterrupted run. The child checkpoints after every iteration, so that a write (its fsync
     * most of all) is in progress most of the time and a kill on seeing a temporary file lands inside one.
     */
    @Test
    void aRunKilledWhileWritingLeavesATemporaryFileAndTheNextResumesBitForBit() throws Exception {
        Path ck = null;
        for (int attempt = 0; attempt < 5 && ck == null; attempt++) {
            Path run = dir.resolve("attempt-" + attempt);
            Files.createDirectories(run);
            Process child = ChildJvm.start(ChildJvm.command(sameKernels(), KilledRun.class,
                    run.resolve("ck").toString()), run.resolve("child.out"));
            try {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (!Files.exists(run.resolve("ck").resolve(Checkpoint.FILE))) {
                    if (!child.isAlive() || System.nanoTime() > deadline) {
                        fail("the child wrote no checkpoint:\n" + Files.readString(run.resolve("child.out")));
                    }
                    Thread.sleep(5);
                }
                // then as fast as possible: the kill must come while the temporary file is there
                while (temporaries(run.resolve("ck")).isEmpty() && child.isAlive()) {
                    Thread.onSpinWait();
                }
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(1, TimeUnit.MINUTES), "the killed child did not exit");
            }
            if (!temporaries(run.resolve("ck")).isEmpty()) {
                ck = run.resolve("ck");
            }
        }
        assertTrue(ck != null, "no kill of 5 landed while a checkpoint was being written");
        Checkpoint saved = Checkpoint.load(ck);
        assertTrue(saved.iteration() > 0 && saved.iteration() < ITERATIONS, "checkpoint at " + saved.iteration());
        assertTrue(Files.exists(ck.resolve(".lock")), "the killed run's lock file");

        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, matrix())) {
            double[][][] reference;
            try (Result r = settings(m).build().run()) {
                reference = new double[][][] {r.u().toArray(), r.v().toArray()};
            }
            try (Result r = settings(m).resumeFrom(saved).checkpoint(ck, 1000, null).build().run()) {
                assertEquals(ITERATIONS, r.iterations());
                assertArrayEquals(reference[0], r.u().toArray(), "U differs from the uninterrupted run's");
                assertArrayEquals(reference[1], r.v().toArray(), "V differs from the uninterrupted run's");
            }
        }
        assertEquals(List.of(), temporaries(ck), "the killed run's temporary file stayed");
        assertEquals(ITERATIONS, Checkpoint.load(ck).iteration());
    }

    /** The child: the run of {@link #settings} checkpointing after every iteration into {@code args[0]}. */
    public static final class KilledRun {
        public static void main(String[] args) {
            try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, matrix());
                    Result r = settings(m).checkpoint(Path.of(args[0]), 1, null).build().run()) {
                System.out.println("finished before the kill: " + r.iterations());
            }
        }
    }

    /** The flags that make a child choose the kernels this JVM chose (the bits, and the checkpoint's configuration). */
    private static List<String> sameKernels() {
        List<String> flags = new ArrayList<>();
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            flags.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("autobalance."))
                .forEach(k -> flags.add("-D" + k + "=" + System.getProperty(k)));
        return flags;
    }

    /** The temporary files of checkpoints in {@code ck}. */
    private static List<Path> temporaries(Path ck) throws IOException {
        try (Stream<Path> files = Files.list(ck)) {
            return files.filter(p -> p.getFileName().toString().startsWith("." + Checkpoint.FILE + ".")
                    && p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test
    void staleTemporaryFilesAreRemovedWhenARunTakesTheDirectory() throws IOException {
        Path ck = Files.createDirectories(dir.resolve("ck"));
        // what a killed writer leaves: a random-named file and the fixed name of older versions; and the user's
        Path stale = Files.writeString(ck.resolve(".checkpoint.k3x9a1.tmp"), "half a checkpoint");
        Path old = Files.writeString(ck.resolve(".checkpoint.tmp"), "half a checkpoint");
        Path notOurs = Files.writeString(ck.resolve("notes.tmp"), "the user's");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, matrix());
                Result r = settings(m).maxIterations(5).checkpoint(ck, 5, null).build().run()) {
            assertEquals(5, r.iterations());
        }
        assertFalse(Files.exists(stale));
        assertFalse(Files.exists(old));
        assertTrue(Files.exists(notOurs));
        assertEquals(5, Checkpoint.load(ck).iteration());
    }
}

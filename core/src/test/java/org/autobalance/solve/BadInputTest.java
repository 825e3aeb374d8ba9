package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.observe.Trajectory;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Every invalid input gets an exception that names the problem. */
class BadInputTest {

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @ParameterizedTest
    @CsvSource({"0", "-1", "6", "100"})
    void rankOutsideOneToMinDimension(int rank) {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(8, 5, 1, 1))) {
            String msg = message(() -> Factorizer.builder(m, rank).build());
            assertTrue(msg.contains("rank must be between 1 and min(d1, d2) = 5") && msg.contains("got " + rank),
                    msg);
        }
    }

    /**
     * A rank whose r² passes a Java array's length is refused when the run is built: the engine's r × r Gram arrays
     * were sized by r * r in int, which wraps at r = 46341 (a NegativeArraySizeException from a run whose factors
     * fit, on a machine with the memory for them). The sparse M, 46341² with one entry, costs kilobytes.
     */
    @Test
    void aRankBeyondTheGramArraysLimitIsRefusedWhenBuilt() {
        int r = 46341;
        assertTrue((long) r * r > Integer.MAX_VALUE - 8 && (long) (r - 1) * (r - 1) <= Integer.MAX_VALUE - 8);
        SparseMatrix.Builder b = SparseMatrix.builder(r, r, 1);
        b.add(0, 0, 1.0);
        try (SparseMatrix m = b.build(DType.FLOAT64)) {
            assertEquals("rank 46341 is above 46340, the most the solver takes: its r x r Gram matrices are Java "
                    + "arrays, of at most 2147483639 elements", message(() -> Factorizer.builder(m, r).build()));
            assertNotNull(Factorizer.builder(m, r - 1).build());
        }
    }

    /**
     * A run whose r × r arrays on the Java heap (two a worker thread, six more) pass the heap's limit is refused before
     * anything is allocated: it ended in an OutOfMemoryError and its stack trace once U, V and their products had been
     * allocated (rank 8000 of an 8000 x 8000 sparse M with 8 threads: 11 GB of heap against a 6 GB limit). The thread
     * count is chosen from this JVM's limit so that the arrays need more; U and V would take 64 MB.
     */
    @Test
    void aRunWhoseGramArraysPassTheHeapIsRefusedBeforeAllocating() {
        int r = 2000;
        long perThread = 2L * r * r * Double.BYTES;
        long max = Runtime.getRuntime().maxMemory();
        int threads = (int) (max / perThread + 1);
        assumeTrue(threads <= org.autobalance.parallel.ParallelPass.MAX_THREADS, "a heap this large: " + max);
        SparseMatrix.Builder b = SparseMatrix.builder(r, r, 2);
        b.add(0, 0, 1.0);
        b.add(1, 1, 2.0);
        try (SparseMatrix m = b.build(DType.FLOAT64)) {
            long held = org.autobalance.memory.NativeMemory.liveBytes();
            long need = (2L * threads + 6) * r * r * Double.BYTES;
            Factorizer f = Factorizer.builder(m, r).threads(threads).maxIterations(1).build();
            assertEquals("cannot factorise at rank 2000 with " + threads + " threads (r x r matrices of doubles, two "
                    + "a thread and six more): that takes at least " + NativeMemory.size(need) + " of Java heap, more "
                    + "than the " + NativeMemory.size(max) + " this JVM's heap may take; give it more with "
                    + NativeMemory.heapOption(need), message(f::run));
            assertEquals(held, org.autobalance.memory.NativeMemory.liveBytes());
        }
    }

    /**
     * The same refusal for a run on one thread says "1 thread" ("with 1 threads" before). The rank is chosen from this
     * JVM's heap so that the eight r x r arrays of one thread pass it by a fifth (so that the message's rounded sizes
     * differ too); the sparse M of two entries costs kilobytes.
     */
    @Test
    void aHeapRefusalForOneThreadSaysThreadInTheSingular() {
        long max = Runtime.getRuntime().maxMemory();
        int r = (int) (1.1 * Math.sqrt(max / (8.0 * Double.BYTES)));
        // U, V and their copies (8 r x r float64 blocks) must pass the native check that comes first
        assumeTrue(r <= 46340 && NativeMemory.physicalBytes() / 2 > 8L * r * r * Double.BYTES,
                "a heap this large: " + max);
        SparseMatrix.Builder b = SparseMatrix.builder(r, r, 2);
        b.add(0, 0, 1.0);
        b.add(1, 1, 2.0);
        try (SparseMatrix m = b.build(DType.FLOAT64)) {
            String msg = message(Factorizer.builder(m, r).maxIterations(1).build()::run);
            assertTrue(msg.startsWith("cannot factorise at rank " + r + " with 1 thread (r x r matrices of doubles, "
                    + "two a thread and six more): that takes at least "), msg);
        }
    }

    /**
     * The weights of {@link Objective#observed} and {@link Variant.Regularized} are named in the library's words:
     * "LAMBDA" is the placeholder of the parsers' spelling ({@code observed:LAMBDA}), which a caller of the
     * constructors never wrote.
     */
    @Test
    void aNegativeLambdaIsNamedInTheLibrarysWords() {
        assertEquals("weight decay lambda must be finite and non-negative, got -1.0",
                message(() -> Objective.observed(-1)));
        assertEquals("regulariser weight lambda must be finite and non-negative, got NaN",
                message(() -> new Variant.Regularized(Double.NaN)));
    }

    /**
     * The per-thread partial sums of MᵀU (threads − 1 of cols × r for a dense M) are counted before anything is
     * allocated: a 200 × 50 000 M at rank 150 with 1024 threads allocated 1023 of them, 61 MB each, for 54 s until the
     * physical memory refused one, with a message about "a 50000 x 150 float64 matrix" that did not name the threads.
     * Here a 1 × cols M at rank 1 (rows padded to 8 doubles), cols chosen from this machine's memory.
     */
    @Test
    void thePartialSumsOfManyThreadsAreCountedBeforeAnythingIsAllocated() {
        long physical = org.autobalance.memory.NativeMemory.physicalBytes();
        int threads = 1024;
        long cols = physical / ((threads - 1) * 8L * Double.BYTES) + 1;
        assumeTrue(cols * Double.BYTES <= 100 << 20, "a machine this large: " + physical);
        double[][] row = {new double[(int) cols]};
        row[0][0] = 1;
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, row)) {
            long held = org.autobalance.memory.NativeMemory.liveBytes();
            Factorizer f = Factorizer.builder(m, 1).threads(threads).maxIterations(1).build();
            String msg = message(f::run);
            assertTrue(msg.startsWith("cannot factorise a 1 x " + cols + " matrix at rank 1 in float64 with 1024 "
                    + "threads ("), msg);
            assertEquals(held, org.autobalance.memory.NativeMemory.liveBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void nonFiniteEntriesOfMAreRejectedWithTheirPosition(DType dtype) {
        try (DenseMatrix m = DenseMatrix.of(dtype, KnownMatrices.gaussian(4, 4, 1, 2))) {
            m.set(2, 3, Double.NaN);
            String msg = message(() -> Factorizer.builder(m, 2).build());
            assertTrue(msg.contains("M contains a non-finite value (NaN) at row 2, column 3 (0-based)"), msg);
            m.set(2, 3, Double.NEGATIVE_INFINITY);
            assertTrue(message(() -> Factorizer.builder(m, 2).build()).contains("-Infinity"));
        }
    }

    /**
     * A dense M whose row padding (elements cols to stride − 1, zero when allocated and checked by {@code wrap}) was
     * written through {@code segment()} is refused by {@code build()} and by {@code run()}, naming the element. Before,
     * the SIMD kernels read the padding as part of M: a 4 x 5 float64 M with 1000 behind each row ran to CONVERGED
     * with a relative error of 0.9999, while the scalar kernels ignored it.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void aDenseMWhosePaddingWasWrittenIsRefused(DType dtype) {
        try (DenseMatrix m = DenseMatrix.of(dtype, KnownMatrices.gaussian(4, 5, 1, 2))) {
            int stride = m.stride();
            Factorizer factorizer = Factorizer.builder(m, 2).build();
            long at = 2L * stride + 5; // row 2, the first element after its columns
            if (dtype == DType.FLOAT32) {
                m.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, at, 1000f);
            } else {
                m.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, at, 1000.0);
            }
            String expected = "M's padding element 5 of row 2 (0-based) is 1000.0; elements 5 to " + (stride - 1)
                    + " of every row must be zero";
            String atRun = message(factorizer::run);
            assertTrue(atRun.startsWith(expected), atRun);
            String atBuild = message(() -> Factorizer.builder(m, 2).build());
            assertTrue(atBuild.startsWith(expected), atBuild);
        }
    }

    /**
     * A NaN or infinity written into M between {@code build()} and {@code run()} (a service that builds once and
     * reloads M, say) is named by {@code run()} as {@code build()} names it. Before, the run refused it as squares that
     * "overflow float64 (its sum of squares is NaN): scale M down", which sends the caller the wrong way.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void nonFiniteEntriesWrittenIntoMAfterBuildAreNamedByRun(DType dtype) {
        try (DenseMatrix m = DenseMatrix.of(dtype, KnownMatrices.gaussian(4, 4, 1, 2))) {
            Factorizer factorizer = Factorizer.builder(m, 2).build();
            m.set(2, 3, Double.NaN);
            assertEquals("M contains a non-finite value (NaN) at row 2, column 3 (0-based)",
                    message(factorizer::run));
            m.set(2, 3, Double.POSITIVE_INFINITY);
            assertEquals("M contains a non-finite value (Infinity) at row 2, column 3 (0-based)",
                    message(factorizer::run));
        }
        try (SparseMatrix m = SparseMatrix.of(dtype, new double[][] {{1, 0}, {0, 2}})) {
            Factorizer factorizer = Factorizer.builder(m, 1).build();
            if (dtype == DType.FLOAT32) {
                m.values().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 1, Float.NaN);
            } else {
                m.values().setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, 1, Double.NaN);
            }
            assertEquals("M contains a non-finite value (NaN) at row 1, column 1 (0-based)", message(factorizer::run));
        }
    }

    @Test
    void suppliedFactorsMustHaveTheRightShapeAndBeFinite() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(6, 4, 1, 3));
                DenseMatrix u = DenseMatrix.allocate(DType.FLOAT64, 6, 2);
                DenseMatrix v = DenseMatrix.allocate(DType.FLOAT64, 4, 2);
                DenseMatrix wrong = DenseMatrix.allocate(DType.FLOAT64, 5, 2)) {
            String msg = message(() -> Factorizer.builder(m, 2).initializer(Initializer.given(wrong, v)).build());
            assertTrue(msg.contains("initial factor U0 is 5 x 2, expected 6 x 2"), msg);
            msg = message(() -> Factorizer.builder(m, 3).initializer(Initializer.given(u, v)).build());
            assertTrue(msg.contains("initial factor U0 is 6 x 2, expected 6 x 3"), msg);
            // a missing factor is named when given (it failed at build() with the JVM's "Cannot invoke …")
            assertEquals("initial factor V0 must not be null",
                    assertThrows(NullPointerException.class, () -> Initializer.given(u, null)).getMessage());
            v.set(1, 1, Double.POSITIVE_INFINITY);
            msg = message(() -> Factorizer.builder(m, 2).initializer(Initializer.given(u, v)).build());
            assertTrue(msg.contains("initial factor V0 contains a non-finite value (Infinity) at row 1, column 1 "
                    + "(0-based)"), msg);
        }
    }

    @Test
    void suppliedFactorsOfAnotherPrecisionAreRejectedNotConverted() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, KnownMatrices.gaussian(6, 4, 1, 3));
                DenseMatrix u = DenseMatrix.allocate(DType.FLOAT64, 6, 2);
                DenseMatrix v = DenseMatrix.allocate(DType.FLOAT32, 4, 2)) {
            String msg = message(() -> Factorizer.builder(m, 2).initializer(Initializer.given(u, v)).build());
            assertTrue(msg.contains("initial factor U0 is float64 but M is float32")
                    && msg.contains("u0.copy(DType.FLOAT32)"), msg);
        }
    }

    @Test
    void zeroMatrixHasNothingToFactorise() {
        try (DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, 3, 3)) {
            assertTrue(message(() -> Factorizer.builder(m, 1).build().run()).contains("all zeros"));
        }
    }

    @Test
    void invalidSettingsAreRejected() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(3, 3, 1, 4))) {
            Factorizer.Builder b = Factorizer.builder(m, 1);
            assertTrue(message(() -> b.threads(0)).contains("threads"));
            assertTrue(message(() -> b.maxIterations(-1)).contains("max iterations"));
            assertTrue(message(() -> b.tolerance(-1e-3)).contains("tolerance"));
            assertTrue(message(() -> b.tolerance(Double.NaN)).contains("tolerance"));
            assertTrue(message(() -> Initializer.small(0)).contains("scale"));
            assertTrue(message(() -> Initializer.parse("huge")).contains("unknown init"));
            assertTrue(message(() -> Initializer.parse("small:x")).contains("not a number"));
            // each limit at its edge: the largest team is allowed, one more is not; a time limit must be positive;
            // a checkpoint needs a positive interval in iterations or time
            b.threads(org.autobalance.parallel.ParallelPass.MAX_THREADS);
            assertTrue(message(() -> b.threads(org.autobalance.parallel.ParallelPass.MAX_THREADS + 1))
                    .contains("threads"));
            assertTrue(message(() -> b.timeLimit(java.time.Duration.ZERO)).contains("time limit"));
            assertTrue(message(() -> b.timeLimit(java.time.Duration.ofNanos(-1))).contains("time limit"));
            java.nio.file.Path dir = java.nio.file.Path.of("unused");
            assertTrue(message(() -> b.checkpoint(dir, 0, null)).contains("positive interval"));
            assertTrue(message(() -> b.checkpoint(dir, 0, java.time.Duration.ZERO)).contains("positive interval"));
            assertTrue(message(() -> b.checkpoint(dir, -1, java.time.Duration.ofSeconds(-1)))
                    .contains("positive interval"));
            b.checkpoint(dir, 1, null);
            b.checkpoint(dir, 0, java.time.Duration.ofNanos(1));
            b.checkpoint(null, 0, null); // no checkpoints
        }
    }

    /**
     * The documented default tolerances: √u in float64 (u = 2⁻⁵³: 1.05e-8; the documents said 1.5e-8 until the ninth
     * session, the root of 2⁻⁵²) and 1e-5 in float32.
     */
    @Test
    void theDefaultTolerancesAreTheDocumentedOnes() {
        assertEquals(Math.sqrt(0x1p-53), Factorizer.defaultTolerance(DType.FLOAT64));
        assertEquals(1e-5, Factorizer.defaultTolerance(DType.FLOAT32));
    }

    /** A closed held-out matrix is named, whether closed before build() or between build() and run(). */
    @Test
    void aClosedHeldOutMatrixIsNamed() {
        double[][] values = {{1, 0, 2}, {0, 3, 0}, {4, 0, 5}};
        try (SparseMatrix m = SparseMatrix.of(DType.FLOAT64, values)) {
            SparseMatrix heldOut = SparseMatrix.of(DType.FLOAT64, new double[][] {{0, 1, 0}, {2, 0, 0}, {0, 0, 3}});
            Factorizer.Builder b = Factorizer.builder(m, 1).objective(Objective.observed(0)).heldOut(heldOut)
                    .maxIterations(2);
            Factorizer f = b.build();
            heldOut.close();
            assertEquals("held-out matrix is closed", message(f::run));
            assertEquals("held-out matrix is closed", message(b::build));
        }
    }

    /** A non-finite value in a sparse M or its held-out entries is refused at build time, with its position. */
    @Test
    void nonFiniteSparseEntriesAreRejected() {
        try (org.autobalance.memory.SparseMatrix.Builder nan = org.autobalance.memory.SparseMatrix.builder(3, 3, 2);
                org.autobalance.memory.SparseMatrix.Builder ok = org.autobalance.memory.SparseMatrix.builder(3, 3, 2)) {
            nan.add(0, 0, 1);
            nan.add(2, 1, Double.NaN);
            ok.add(0, 0, 1);
            ok.add(1, 2, 2);
            try (org.autobalance.memory.SparseMatrix bad = nan.build(DType.FLOAT64);
                    org.autobalance.memory.SparseMatrix good = ok.build(DType.FLOAT64)) {
                assertEquals("M contains a non-finite value (NaN) at row 2, column 1 (0-based)",
                        message(() -> Factorizer.builder(bad, 1).build()));
                // named as a closed one is ("held-out matrix is closed"); it said "held-out entries contains"
                assertEquals("held-out matrix contains a non-finite value (NaN) at row 2, column 1 (0-based)",
                        message(() -> Factorizer.builder(good, 1).objective(Objective.observed(0)).heldOut(bad)
                                .build()));
            }
        }
    }

    @Test
    void divergenceStopsWithTheIterationAndTheLastFiniteMetrics() {
        double[][] values = KnownMatrices.withSpectrum(20, 15, new double[] {5, 3}, 5);
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, values)) {
            Trajectory trajectory = new Trajectory();
            // η = 1 is far beyond the stability limit 1/σ₁ = 0.2
            DivergenceException e = assertThrows(DivergenceException.class, () -> Factorizer.builder(m, 2)
                    .schedule(new ConstantSchedule(1.0)).maxIterations(1000).listener(trajectory).build().run());
            assertTrue(e.getMessage().contains("diverged at iteration " + e.iteration()), e.getMessage());
            // the library's vocabulary, not a command-line flag (the CLI adds its options itself)
            assertTrue(e.getMessage().contains("auto:C") && !e.getMessage().contains("--"), e.getMessage());
            assertNotNull(e.lastFinite());
            assertEquals(e.iteration() - 1, e.lastFinite().iteration());
            assertTrue(Double.isFinite(e.lastFinite().loss()));
            assertEquals(trajectory.records().getLast(), e.lastFinite());
        }
    }

    /** The parsers of the public API refuse a null spec by name, as the builders' setters refuse a null argument. */
    @Test
    void parsersNameANullSpec() {
        assertEquals("init spec must not be null",
                assertThrows(NullPointerException.class, () -> Initializer.parse(null)).getMessage());
        assertEquals("objective spec must not be null",
                assertThrows(NullPointerException.class, () -> Objective.parse(null)).getMessage());
        assertEquals("variant spec must not be null",
                assertThrows(NullPointerException.class, () -> Variant.parse(null)).getMessage());
        assertEquals("exact-loss spec must not be null",
                assertThrows(NullPointerException.class, () -> ExactLoss.parse(null)).getMessage());
    }

    /**
     * Matrices closed between {@code build()} and {@code run()}, and null listeners or paths, are named (fourteenth
     * session, a new user's trial): they failed with "matrix 6 x 4 float32 was closed; its memory has been freed"
     * (which matrix?), the JVM's "Cannot read the array length because "elements" is null", or a bare "null".
     */
    @Test
    void closedInputsAndNullArgumentsAtRunAreNamed() throws Exception {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(6, 4, 1, 5))) {
            Factorizer f = Factorizer.builder(m, 2).maxIterations(2).build();
            assertEquals("listeners must not be null", assertThrows(NullPointerException.class,
                    () -> f.run((org.autobalance.observe.IterationListener[]) null)).getMessage());
            assertEquals("listener must not be null", assertThrows(NullPointerException.class,
                    () -> f.run(new Trajectory(), null)).getMessage());
            DenseMatrix u0 = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(6, 2, 1, 6));
            try (DenseMatrix v0 = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(4, 2, 1, 7))) {
                Factorizer given = Factorizer.builder(m, 2).initializer(Initializer.given(u0, v0)).build();
                u0.close();
                assertEquals("initial factor U0 is closed", message(given::run));
            }
        }
        DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(6, 4, 1, 5));
        Factorizer f = Factorizer.builder(m, 2).build();
        m.close();
        assertEquals("matrix M is closed", message(f::run));
        assertEquals("matrix M is closed", message(() -> Factorizer.builder(m, 2).build()));
        assertEquals("checkpoint directory must not be null", assertThrows(NullPointerException.class,
                () -> Checkpoint.load(null)).getMessage());
        assertEquals("log path must not be null", assertThrows(NullPointerException.class,
                () -> new org.autobalance.observe.JsonLinesLog((java.nio.file.Path) null)).getMessage());
    }

    /**
     * A front end's check of a checkpoint against its options, given nulls (fifteenth session, a new user's trial):
     * it failed with the JVM's "Cannot invoke "org.autobalance.memory.DType.label()" because "dtype" is null".
     */
    @Test
    void aCheckpointsOptionCheckNamesItsNullArguments(@TempDir java.nio.file.Path dir) throws Exception {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(6, 4, 1, 5))) {
            Factorizer.builder(m, 2).maxIterations(1).checkpoint(dir, 1, null).build().run().close();
            Checkpoint saved = Checkpoint.load(dir);
            java.util.Map<String, Object> none = java.util.Map.of();
            assertEquals("dtype must not be null", assertThrows(NullPointerException.class,
                    () -> saved.requireSameOptions(null, none)).getMessage());
            assertEquals("options must not be null", assertThrows(NullPointerException.class,
                    () -> saved.requireSameOptions(DType.FLOAT64, null)).getMessage());
        }
    }
}

package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.DenseMatrix.Order;
import org.autobalance.observe.IterationListener;
import org.autobalance.schedule.SpectralSchedule;
import org.autobalance.schedule.StepSchedule;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Interrupts and cancel tokens end a run and keep its factors. The oracle for "the factors reached": a run stopped
 * after iteration t holds, bit for bit, the factors of a run of exactly t + 1 iterations (same seed, threads, dtype;
 * tolerance 0 so that nothing else stops either).
 */
class CancellationTest {
    private static final double[][] M = KnownMatrices.withSpectrum(60, 40, new double[] {5, 3, 2, 1}, 11);

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted(); // a failed test must not leave the flag to the next one
    }

    private static Factorizer.Builder builder(DenseMatrix m, int threads) {
        return Factorizer.builder(m, 4).threads(threads).tolerance(0).maxIterations(1_000_000);
    }

    private static double[] factors(Result r) {
        return factors(r.u(), r.v());
    }

    private static double[] factors(DenseMatrix uMatrix, DenseMatrix vMatrix) {
        double[] all = new double[(uMatrix.rows() + vMatrix.rows()) * uMatrix.cols()];
        double[] u = new double[uMatrix.rows() * uMatrix.cols()];
        double[] v = new double[vMatrix.rows() * vMatrix.cols()];
        uMatrix.copyTo(u, Order.ROW_MAJOR);
        vMatrix.copyTo(v, Order.ROW_MAJOR);
        System.arraycopy(u, 0, all, 0, u.length);
        System.arraycopy(v, 0, all, u.length, v.length);
        return all;
    }

    /** A listener that interrupts its thread while iteration {@code t} is reported: the run ends after it. */
    private static IterationListener interruptingAt(long t) {
        return rec -> {
            if (rec.iteration() == t) {
                Thread.currentThread().interrupt();
            }
        };
    }

    private static double[] factorsAfter(DenseMatrix m, int threads, long iterations) {
        try (Result r = builder(m, threads).maxIterations(iterations).build().run()) {
            return factors(r);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void anInterruptBetweenIterationsKeepsTheIterateReached(int threads) {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            try (Result r = builder(m, threads).listener(interruptingAt(5)).build().run()) {
                assertTrue(Thread.interrupted(), "the interrupt status stays set for the caller");
                assertEquals(StopReason.INTERRUPTED, r.stopReason());
                assertEquals(6, r.iterations());
                assertArrayEquals(factorsAfter(m, threads, 6), factors(r));
                assertEquals("interrupted", r.stopReason().label());
            }
        }
    }

    @Test
    void aTokenCancelledByAListenerKeepsTheIterateReached() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, M)) {
            CancelToken token = new CancelToken();
            try (Result r = builder(m, 2).cancelToken(token).listener(rec -> {
                if (rec.iteration() == 9) {
                    token.cancel();
                }
            }).build().run()) {
                assertEquals(StopReason.CANCELLED, r.stopReason());
                assertEquals(10, r.iterations());
                assertArrayEquals(factorsAfter(m, 2, 10), factors(r));
                assertFalse(Thread.currentThread().isInterrupted());
                // the final metrics are exact at the kept factors, like any result's
                assertTrue(r.relativeError() > 0 && r.relativeError() < 1, "relative error " + r.relativeError());
            }
            // a cancelled token stays cancelled: a run built with it ends at once, at its first check (before the
            // initialisation, so with zero factors)
            try (Result r = builder(m, 1).cancelToken(token).build().run()) {
                assertEquals(StopReason.CANCELLED, r.stopReason());
                assertEquals(0, r.iterations());
                assertEquals(0.0, r.normU());
                assertEquals(0.0, r.normV());
            }
        }
    }

    @Test
    void anInterruptBeforeTheRunStopsItBeforeTheInitialisation() {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            Thread.currentThread().interrupt();
            try (Result r = builder(m, 2).build().run()) {
                assertTrue(Thread.interrupted());
                assertEquals(StopReason.INTERRUPTED, r.stopReason());
                assertEquals(0, r.iterations());
                // no factors yet: zeros, whose residual is M itself
                for (double x : factors(r)) {
                    assertEquals(0.0, x);
                }
                assertEquals(1.0, r.relativeError(), 1e-15);
            }
        }
    }

    /**
     * An interrupt closes the file channel its thread uses, and an interrupted thread cannot open one: the run that
     * should stop normally threw "checkpoint directory …: cannot write …/.lock (ClosedByInterruptException)" when
     * interrupted before {@code run()}, and "cannot write the checkpoint of iteration 6 … (ClosedByInterruptException)"
     * — its factors freed — when interrupted at an iteration whose checkpoint was due.
     */
    @Test
    void anInterruptWithCheckpointsKeepsTheRunAndItsLastCheckpoint(@TempDir Path tmp) throws IOException {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M)) {
            Path before = tmp.resolve("before");
            Thread.currentThread().interrupt();
            try (Result r = builder(m, 1).checkpoint(before, 1, null).build().run()) {
                assertTrue(Thread.interrupted(), "the interrupt status stays set for the caller");
                assertEquals(StopReason.INTERRUPTED, r.stopReason());
                assertEquals(0, r.iterations());
            }
            assertFalse(Files.exists(before), "a run that wrote nothing leaves no directory");

            Path during = tmp.resolve("during");
            try (Result r = builder(m, 1).checkpoint(during, 1, null).listener(interruptingAt(5)).build().run()) {
                assertTrue(Thread.interrupted(), "the interrupt status stays set for the caller");
                assertEquals(StopReason.INTERRUPTED, r.stopReason());
                assertEquals(6, r.iterations());
                Checkpoint last = Checkpoint.load(during);
                assertEquals(6, last.iteration());
                try (DenseMatrix u = DenseMatrix.allocate(DType.FLOAT64, m.rows(), 4);
                        DenseMatrix v = DenseMatrix.allocate(DType.FLOAT64, m.cols(), 4)) {
                    last.restore(u, v);
                    assertArrayEquals(factors(r), factors(u, v), "the checkpoint holds the factors returned");
                }
            }
        }
    }

    @Test
    void anInterruptDuringTheSpectralEstimateStopsBeforeTheInitialisation() {
        // a schedule that needs σ₁ and interrupts its thread while being resolved, as an interrupt during the
        // estimate would arrive: the run stops before initialising, with σ₁ known
        StepSchedule interrupting = new StepSchedule() {
            @Override
            public double eta(long t) {
                throw new AssertionError("no iteration should run");
            }

            @Override
            public boolean needsSpectralNorm() {
                return true;
            }

            @Override
            public StepSchedule resolve(double sigma1) {
                Thread.currentThread().interrupt();
                return new SpectralSchedule(SpectralSchedule.DEFAULT_C).resolve(sigma1);
            }

            @Override
            public String describe() {
                return "interrupting";
            }
        };
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, M);
                Result r = builder(m, 1).schedule(interrupting).build().run()) {
            assertTrue(Thread.interrupted());
            assertEquals(StopReason.INTERRUPTED, r.stopReason());
            assertEquals(0, r.iterations());
            assertEquals(5.0, r.sigma1(), 5.0 * 1e-6, "σ₁ was estimated");
            assertEquals(0.0, r.normU());
        }
    }

    @Test
    void anotherThreadInterruptsALongRun() throws InterruptedException {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, M)) {
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Result> result = new AtomicReference<>();
            AtomicBoolean flagKept = new AtomicBoolean();
            Thread worker = new Thread(() -> {
                result.set(builder(m, 2).maxIterations(Long.MAX_VALUE).listener(rec -> started.countDown())
                        .build().run());
                flagKept.set(Thread.currentThread().isInterrupted());
            });
            worker.start();
            assertTrue(started.await(1, TimeUnit.MINUTES));
            worker.interrupt();
            worker.join(TimeUnit.MINUTES.toMillis(1));
            assertFalse(worker.isAlive(), "the run ignored the interrupt");
            try (Result r = result.get()) {
                assertEquals(StopReason.INTERRUPTED, r.stopReason());
                assertTrue(r.iterations() >= 1);
                assertTrue(flagKept.get());
                assertTrue(r.relativeError() < 1, "the kept factors fit M better than zero: " + r.relativeError());
            }
        }
    }
}

package org.autobalance.example;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.DenseMatrix.Order;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;

/**
 * autobalance embedded in an application: a flat array in, two factorizations in parallel, a third cancelled by
 * {@link Thread#interrupt()} with its factors kept, the factors out into arrays. Exits with status 1 if anything is
 * not as expected (CI runs it).
 */
public final class EmbeddingExample {
    static final int ROWS = 600;
    static final int COLS = 400;
    static final int RANK = 8;
    static final double NOISE = 1e-3;

    /** Factors exported to plain arrays, row-major: U is rows × rank, V is cols × rank. */
    record Factors(float[] u, float[] v, double relativeError, StopReason stopReason, long iterations) {
    }

    public static void main(String[] args) throws Exception {
        float[] data = lowRankPlusNoise(1);

        try (DenseMatrix m = DenseMatrix.copyOf(DType.FLOAT32, ROWS, COLS, data, Order.ROW_MAJOR)) {
            // two independent factorizations at once: a Factorizer is immutable and M is only read
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<Factors>> runs = List.of(
                    pool.submit(() -> factorize(Factorizer.builder(m, RANK).seed(1).build())),
                    pool.submit(() -> factorize(Factorizer.builder(m, RANK).seed(2).build())));
            for (Future<Factors> run : runs) {
                Factors f = run.get();
                System.out.printf("rank %d: relative error %.3e after %d iterations (%s)%n", RANK, f.relativeError(),
                        f.iterations(), f.stopReason());
                // the noise has Frobenius norm NOISE·sqrt(rows·cols) against ‖M‖ of about sqrt(rows·cols): the best
                // rank-8 fit leaves about NOISE of relative error, and no more than twice that
                check(f.stopReason() == StopReason.CONVERGED, "a run did not converge: " + f.stopReason());
                check(f.relativeError() < 2 * NOISE, "relative error too large: " + f.relativeError());
            }
            pool.shutdown();

            // a third run, far too long (tolerance 0: no convergence test), cancelled by interrupting its thread once
            // it has done 100 iterations: the factors reached so far are kept
            CountDownLatch running = new CountDownLatch(1);
            AtomicReference<Factors> cancelled = new AtomicReference<>();
            AtomicReference<Boolean> flagKept = new AtomicReference<>();
            Thread worker = new Thread(() -> {
                Factorizer slow = Factorizer.builder(m, RANK).tolerance(0).maxIterations(100_000_000)
                        .listener(record -> {
                            if (record.iteration() == 100) {
                                running.countDown();
                            }
                        })
                        .build();
                cancelled.set(factorize(slow));
                flagKept.set(Thread.currentThread().isInterrupted());
            });
            worker.start();
            // bounded: a run that failed before its 100th iteration would otherwise leave this wait, and CI, hanging
            check(running.await(1, TimeUnit.MINUTES), "the third run did not reach its 100th iteration in a minute");
            worker.interrupt();
            worker.join(TimeUnit.MINUTES.toMillis(1));
            // a library that ignored the interrupt would run on for hours: fail clearly instead
            check(!worker.isAlive(), "the run ignored Thread.interrupt() (is the autobalance-core on the class "
                    + "path the one just built?)");
            Factors f = cancelled.get();
            System.out.printf("interrupted after %d iterations (%s): relative error %.3e, U[0][0] = %.4f%n",
                    f.iterations(), f.stopReason(), f.relativeError(), f.u()[0]);
            check(f.stopReason() == StopReason.INTERRUPTED, "expected an interrupted run: " + f.stopReason());
            check(f.iterations() > 100 && f.iterations() < 100_000_000, "iterations " + f.iterations());
            // 100 iterations are more than the converged runs above needed: the kept factors are as good
            check(f.relativeError() < 2 * NOISE, "the kept factors: relative error " + f.relativeError());
            check(flagKept.get(), "the interrupt status should stay set for the caller");
        }
        System.out.println("ok");
    }

    /** Runs, exports U and V to arrays, frees the factors. */
    static Factors factorize(Factorizer factorizer) {
        try (Result result = factorizer.run()) {
            float[] u = new float[ROWS * RANK];
            float[] v = new float[COLS * RANK];
            result.u().copyTo(u, Order.ROW_MAJOR);
            result.v().copyTo(v, Order.ROW_MAJOR);
            return new Factors(u, v, result.relativeError(), result.stopReason(), result.iterations());
        }
    }

    /** A ROWS × COLS row-major array: a random rank-8 matrix with entries of order 1, plus Gaussian noise. */
    static float[] lowRankPlusNoise(long seed) {
        Random random = new Random(seed);
        double[] a = new double[ROWS * RANK];
        double[] b = new double[COLS * RANK];
        for (int k = 0; k < a.length; k++) {
            a[k] = random.nextGaussian();
        }
        for (int k = 0; k < b.length; k++) {
            b[k] = random.nextGaussian() / Math.sqrt(RANK);
        }
        float[] m = new float[ROWS * COLS];
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < COLS; j++) {
                double s = 0;
                for (int k = 0; k < RANK; k++) {
                    s += a[i * RANK + k] * b[j * RANK + k];
                }
                m[i * COLS + j] = (float) (s + NOISE * random.nextGaussian());
            }
        }
        return m;
    }

    private static void check(boolean condition, String problem) {
        if (!condition) {
            System.err.println("example failed: " + problem);
            System.exit(1);
        }
    }
}

package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.api.Test;

/** Solvers sharing one JVM: no cross-talk between concurrent runs, and a failing worker stops its run cleanly. */
class ConcurrentSolversTest {
    private record Problem(DType dtype, String variant, int threads, long seed) {
    }

    private static final List<Problem> PROBLEMS = List.of(new Problem(DType.FLOAT64, "simultaneous", 2, 1),
            new Problem(DType.FLOAT32, "simultaneous", 2, 2), new Problem(DType.FLOAT64, "alternating", 3, 3),
            new Problem(DType.FLOAT32, "regularized", 1, 4), new Problem(DType.FLOAT64, "simultaneous", 4, 5),
            new Problem(DType.FLOAT64, "regularized", 2, 6), new Problem(DType.FLOAT32, "alternating", 2, 7),
            new Problem(DType.FLOAT64, "simultaneous", 1, 8));

    private static long[] solve(Problem p) {
        double[][] m = KnownMatrices.withSpectrum(90, 70, new double[] {4, 3, 2, 1, 0.5}, p.seed());
        try (DenseMatrix mm = DenseMatrix.of(p.dtype(), m);
                Result r = Factorizer.builder(mm, 4).variant(Variant.parse(p.variant())).threads(p.threads())
                        .seed(p.seed()).tolerance(0).maxIterations(200).build().run()) {
            double[][] u = r.u().toArray();
            long[] bits = new long[u.length * 4];
            for (int i = 0; i < u.length; i++) {
                for (int a = 0; a < 4; a++) {
                    bits[i * 4 + a] = Double.doubleToRawLongBits(u[i][a]);
                }
            }
            return bits;
        }
    }

    /** Eight solvers at once (2 to 4 threads each, on a 2-core machine): each result is bit for bit its solo run. */
    @Test
    void manySolversAtOnceEachEqualToItsSoloRun() {
        List<long[]> solo = PROBLEMS.stream().map(ConcurrentSolversTest::solve).toList();
        assertTimeoutPreemptively(Duration.ofMinutes(3), () -> {
            ExecutorService pool = Executors.newFixedThreadPool(PROBLEMS.size());
            try {
                for (int repeat = 0; repeat < 2; repeat++) {
                    List<Future<long[]>> futures = new ArrayList<>();
                    for (Problem p : PROBLEMS) {
                        futures.add(pool.submit(() -> solve(p)));
                    }
                    for (int k = 0; k < PROBLEMS.size(); k++) {
                        assertArrayEquals(solo.get(k), futures.get(k).get(), "problem " + PROBLEMS.get(k));
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        });
    }

    /** A kernel that throws in a worker's chunk, on the third fused pass, as a failing node or a bug would. */
    private static FactorKernels failingInAWorker(String message) {
        FactorKernels real = KernelProvider.kernels();
        AtomicInteger passes = new AtomicInteger();
        return new FactorKernels() {
            @Override
            public String name() {
                return "failing";
            }

            @Override
            public void fusedPass(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd,
                    DenseMatrix mv, DenseMatrix mtu) {
                if (rowStart > 0 && passes.incrementAndGet() == 3) {
                    throw new IllegalStateException(message);
                }
                real.fusedPass(m, u, v, rowStart, rowEnd, mv, mtu);
            }

            @Override
            public void gram(DenseMatrix x, int rowStart, int rowEnd, double[] gram) {
                real.gram(x, rowStart, rowEnd, gram);
            }

            @Override
            public double gradientStep(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rowStart,
                    int rowEnd) {
                return real.gradientStep(x, p, a, eta, rowStart, rowEnd);
            }

            @Override
            public double dot(DenseMatrix x, DenseMatrix y, int rowStart, int rowEnd) {
                return real.dot(x, y, rowStart, rowEnd);
            }

            @Override
            public double residualSquared(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd) {
                return real.residualSquared(m, u, v, rowStart, rowEnd);
            }
        };
    }

    @Test
    void aWorkerThatThrowsStopsTheRunWithoutAHangAndStopsTheTeam() {
        long workersBefore = workerThreads();
        double[][] m = KnownMatrices.withSpectrum(60, 50, new double[] {2, 1}, 3);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (DenseMatrix mm = DenseMatrix.of(DType.FLOAT64, m)) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> Factorizer.builder(mm, 2).threads(3).kernels(failingInAWorker("worker failed on purpose"))
                                .maxIterations(50).build().run().close());
                assertEquals("worker failed on purpose", e.getMessage());
            }
        });
        // the run's team is closed on the way out: its workers end (they are joined by close())
        assertEquals(workersBefore, workerThreads(), "worker threads left running");
    }

    private static long workerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("autobalance-worker-") && t.isAlive()).count();
    }
}

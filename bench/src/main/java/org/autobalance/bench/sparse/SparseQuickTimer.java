package org.autobalance.bench.sparse;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.autobalance.kernel.JitQueue;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * A quick development timer for the sparse full-loss pass (not a substitute for JMH or {@code bench sparse}): the
 * scatter form (one fused pass over M's rows, MᵀU scatter-added) against the gather form (MV over M's rows, then MᵀU
 * over Mᵀ's rows), called alternately so that both see the same machine state; reports the minimum and median thread
 * CPU time of each, one thread. A third variant runs the gather form on the same matrix with its rows and columns
 * randomly permuted: the benchmark's power-law matrix is degree-ordered by construction (index 0 the most frequent),
 * so the difference says what ordering by degree is worth.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp benchmarks.jar
 * org.autobalance.bench.sparse.SparseQuickTimer uniform|powerlaw r [reps] [d1 d2 nnz]}
 */
public final class SparseQuickTimer {
    private SparseQuickTimer() {
    }

    /** The arguments of both development timers: {@code pattern r [reps] [d1 d2 nnz]}. */
    record Args(String pattern, int r, int reps, int d1, int d2, long nnz) {
        static Args parse(String[] args) {
            boolean shape = args.length > 5;
            return new Args(args[0], Integer.parseInt(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 20,
                    shape ? Integer.parseInt(args[3]) : 100_000, shape ? Integer.parseInt(args[4]) : 50_000,
                    shape ? Long.parseLong(args[5]) : 5_000_000L);
        }
    }

    public static void main(String[] args) {
        Args a = Args.parse(args);
        String pattern = a.pattern();
        int r = a.r();
        int reps = a.reps();
        int d1 = a.d1();
        int d2 = a.d2();
        long nnz = a.nnz();
        DType t = DType.FLOAT32;
        SparseKernels k = KernelProvider.sparseSimd();
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (SparseMatrix m = SparseProblem.matrix(pattern, t, d1, d2, nnz, 1);
                DenseMatrix u = SparseProblem.start(t, d1, r, 2);
                DenseMatrix v = SparseProblem.start(t, d2, r, 3);
                DenseMatrix mv = DenseMatrix.allocate(t, d1, r);
                DenseMatrix mtu = DenseMatrix.allocate(t, d2, r)) {
            long b0 = threads.getCurrentThreadCpuTime();
            SparseMatrix mt = m.transposed(); // owned by m
            double build = (threads.getCurrentThreadCpuTime() - b0) / 1e6;
            Runnable scatter = () -> {
                mtu.segment().fill((byte) 0);
                k.fusedPass(m, u, v, 0, d1, mv, mtu);
            };
            Runnable gather = () -> {
                k.product(m, v, 0, d1, mv);
                k.product(mt, u, 0, d2, mtu);
            };
            SparseMatrix shuffled = shuffled(m, 4);
            SparseMatrix st = shuffled.transposed();
            Runnable gatherShuffled = () -> {
                k.product(shuffled, v, 0, d1, mv);
                k.product(st, u, 0, d2, mtu);
            };
            Runnable[] variants = {scatter, gather, gatherShuffled};
            String[] names = {"scatter (fused)", "gather (CSR+CSC)", "gather, shuffled"};
            double[][] cpu = alternate(variants, reps).cpu();
            System.out.printf("%s %s r=%d nnz=%d (transpose built in %.0f ms CPU)%n", k.name(), pattern, r,
                    m.nonZeros(), build);
            for (int x = 0; x < variants.length; x++) {
                System.out.printf("  %-18s cpu min %7.2f ms  median %7.2f ms%n", names[x], cpu[x][0],
                        cpu[x][reps / 2]);
            }
            shuffled.close();
        }
    }

    /**
     * Each call's thread CPU times in ms and the bytes this thread allocated during it, each sorted (min first). A
     * compiled kernel allocates nothing; one running in the interpreter or C1 (before C2, or after a deoptimisation)
     * allocates its vectors, so a median of 0 with a large maximum means a call was timed before its code settled.
     */
    record Timings(double[][] cpu, long[][] allocated) {
    }

    /**
     * Runs the calls in turn for 4 s of warm-up and then until no kernel has been compiling or queued for 8 rounds in
     * a row (at most 60 s: on a loaded machine C2's compilations and recompilations went on well past 4 s, and the
     * calls timed then ran in the interpreter), then {@code reps} rounds of each, timed by this thread's CPU time so
     * that every call sees the same machine state.
     */
    static Timings alternate(Runnable[] calls, int reps) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        int quiet = 0;
        while (System.nanoTime() - start < 60_000_000_000L
                && (System.nanoTime() - start < 4_000_000_000L || quiet < 8)) {
            for (Runnable x : calls) {
                x.run();
            }
            quiet = JitQueue.busyWithKernels() ? 0 : quiet + 1;
        }
        double[][] cpu = new double[calls.length][reps];
        long[][] allocated = new long[calls.length][reps];
        for (int i = 0; i < reps; i++) {
            for (int x = 0; x < calls.length; x++) {
                long a0 = threads.getCurrentThreadAllocatedBytes();
                long c0 = threads.getCurrentThreadCpuTime();
                calls[x].run();
                cpu[x][i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
                allocated[x][i] = threads.getCurrentThreadAllocatedBytes() - a0;
            }
        }
        for (double[] c : cpu) {
            Arrays.sort(c);
        }
        for (long[] a : allocated) {
            Arrays.sort(a);
        }
        return new Timings(cpu, allocated);
    }

    /** M with its rows and its columns each permuted uniformly at random. */
    private static SparseMatrix shuffled(SparseMatrix m, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        int[] rowOf = permutation(m.rows(), random);
        int[] colOf = permutation(m.cols(), random);
        try (SparseMatrix.Builder b = SparseMatrix.builder(m.rows(), m.cols(), m.nonZeros())) {
            for (int i = 0; i < m.rows(); i++) {
                for (long k = m.rowStart(i); k < m.rowStart(i + 1); k++) {
                    b.add(rowOf[i], colOf[m.column(k)], m.value(k));
                }
            }
            return b.build(m.dtype());
        }
    }

    private static int[] permutation(int n, java.util.SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int x = p[i];
            p[i] = p[j];
            p[j] = x;
        }
        return p;
    }
}

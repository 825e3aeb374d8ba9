package org.autobalance.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * One partition's rows of M, in native memory on the executor that read them. Cached by Spark as a deserialized
 * object and never serialized: M does not travel, only its row blocks' descriptions do. Spark's memory store closes
 * an {@link AutoCloseable} cached value when it drops the block (unpersist, eviction, shutdown), which frees the
 * native memory; a lost block is read again from the input.
 *
 * <p>The block also keeps the native scratch of the tasks that iterate over it (U's rows, V, MV, the partials of
 * MᵀU), so that an iteration allocates none: allocating fresh native memory per task cost about 15 % of the task's
 * time at d2 = 8192, r = 64 (JFR: zeroing newly mapped pages). The power iterations' passes and M·X use the same
 * scratch (one per shape, see {@link #IDLE_SCRATCH}), so their jobs allocate none either after the first. Likewise the
 * worker team that splits the block among a task's threads ({@link EngineAdapter.Team}; starting one costs 0.2–0.5 ms
 * at 2 threads, a few ms at 16): the block's tasks take it in turn, a concurrent task (a speculative copy) gets a team
 * of its own, and the team's threads stop when the block is closed. Scratch and team are freed with the block.
 */
final class MatrixBlock implements AutoCloseable {
    /**
     * Shapes of scratch kept between tasks: the iterations' (rank r) and the plateau test's residual passes (one
     * column) alternate during a run, and each keeps its own; the power iteration behind σ₁ (b = min(r, 32) columns)
     * and Ward–Kolda's MΦ (r) run before the iterations, and the least recently used gives way.
     */
    private static final int IDLE_SCRATCH = 2;
    private final int partition;
    private final long firstRow;
    private final DenseMatrix rows;
    /** Scratch not in use, least recently given back first; at most {@link #IDLE_SCRATCH}, of distinct shapes. */
    private final Deque<Scratch> idle = new ArrayDeque<>();
    private EngineAdapter.Team idleTeam;
    private boolean closed;

    /**
     * @param partition the partition index (its rows come in partition order)
     * @param firstRow the global index of the block's first row
     * @param rows the block (rows × d2), owned
     */
    MatrixBlock(int partition, long firstRow, DenseMatrix rows) {
        this.partition = partition;
        this.firstRow = firstRow;
        this.rows = rows;
    }

    int partition() {
        return partition;
    }

    long firstRow() {
        return firstRow;
    }

    DenseMatrix rows() {
        return rows;
    }

    /**
     * A task's scratch for rank {@code r} and T threads: U's rows and MV (rows × r), V (d2 × r) and one partial of
     * MᵀU per thread (d2 × r each; {@code mtu[0]} receives the sum). Contents undefined. A power iteration's pass
     * uses it for Y, AX, X and the partials of AᵀY (b columns), M·X for X, M·X, a zero U and the unused MᵀU.
     */
    record Scratch(DenseMatrix u, DenseMatrix v, DenseMatrix mv, DenseMatrix[] mtu) implements AutoCloseable {
        static Scratch allocate(DType dtype, int rows, int d2, int r, int threads) {
            List<DenseMatrix> made = new ArrayList<>();
            try {
                DenseMatrix u = allocateInto(made, dtype, rows, r);
                DenseMatrix v = allocateInto(made, dtype, d2, r);
                DenseMatrix mv = allocateInto(made, dtype, rows, r);
                return new Scratch(u, v, mv, partials(made, dtype, d2, r, threads));
            } catch (RuntimeException | Error e) {
                made.forEach(DenseMatrix::close);
                throw e;
            }
        }

        boolean fits(DType dtype, int r, int threads) {
            return u.dtype() == dtype && u.cols() == r && mtu.length == threads;
        }

        @Override
        public void close() {
            u.close();
            v.close();
            mv.close();
            closeAll(mtu);
        }
    }

    /** {@code threads} matrices of {@code rows × cols}, each added to {@code made} as it is allocated. */
    private static DenseMatrix[] partials(List<DenseMatrix> made, DType dtype, int rows, int cols, int threads) {
        DenseMatrix[] partials = new DenseMatrix[threads];
        for (int c = 0; c < threads; c++) {
            partials[c] = allocateInto(made, dtype, rows, cols);
        }
        return partials;
    }

    private static DenseMatrix allocateInto(List<DenseMatrix> made, DType dtype, int rows, int cols) {
        DenseMatrix x = DenseMatrix.allocate(dtype, rows, cols);
        made.add(x);
        return x;
    }

    private static void closeAll(DenseMatrix[] matrices) {
        for (DenseMatrix x : matrices) {
            x.close();
        }
    }

    /**
     * The block's scratch for rank (or block width) r and T threads: the one given back last for this shape, or new
     * (on first use, or if another task holds it); give it back.
     */
    synchronized Scratch takeScratch(DType dtype, int r, int threads) {
        for (Iterator<Scratch> it = idle.iterator(); it.hasNext();) {
            Scratch s = it.next();
            if (s.fits(dtype, r, threads)) {
                it.remove();
                return s;
            }
        }
        return Scratch.allocate(dtype, rows.rows(), rows.cols(), r, threads);
    }

    /**
     * The block's worker team of {@code threads} (started on first use, or fresh if another task holds it): the
     * caller alone uses it until it {@link #giveBack(EngineAdapter.Team) gives it back}.
     */
    synchronized EngineAdapter.Team takeTeam(int threads) {
        EngineAdapter.Team t = idleTeam;
        idleTeam = null;
        if (t != null && t.threads() == threads) {
            return t;
        }
        if (t != null) {
            t.close();
        }
        return new EngineAdapter.Team(threads);
    }

    /** Returns a team taken by {@link #takeTeam}; stopped at once if the block is closed or holds one already. */
    synchronized void giveBack(EngineAdapter.Team t) {
        if (closed || idleTeam != null) {
            t.close();
        } else {
            idleTeam = t;
        }
    }

    /** {@code work} on this block's team of {@code threads}, held for the call. */
    <R> R withTeam(int threads, Function<EngineAdapter.Team, R> work) {
        EngineAdapter.Team team = takeTeam(threads);
        try {
            return work.apply(team);
        } finally {
            giveBack(team);
        }
    }

    /**
     * Returns scratch taken by {@link #takeScratch}; freed at once if the block is closed or keeps one of its shape
     * already, and the least recently returned one freed if more than {@link #IDLE_SCRATCH} would be kept.
     */
    synchronized void giveBack(Scratch s) {
        if (closed || idle.stream().anyMatch(kept -> kept.fits(s.u().dtype(), s.u().cols(), s.mtu().length))) {
            s.close();
            return;
        }
        idle.addLast(s);
        if (idle.size() > IDLE_SCRATCH) {
            idle.removeFirst().close();
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        rows.close();
        idle.forEach(Scratch::close);
        idle.clear();
        if (idleTeam != null) {
            idleTeam.close();
            idleTeam = null;
        }
    }
}

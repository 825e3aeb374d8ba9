package org.autobalance.parallel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.SparseMatrix;

/**
 * The order in which the threads of a {@link ParallelPass} run the one-pass product over M's aligned form
 * ({@link SparseKernels#panelFusedProduct}), a thread per chunk of M's rows: chunk c runs its panels left to right,
 * and starts panel p only once chunk c − 1 has finished it. Each column of MᵀU belongs to one panel, so it then adds
 * chunk 0's rows, then chunk 1's, and so on: the order, and so the bits, of one thread running the panels in turn,
 * at every thread count (native-notes/sparse.md, "Twenty-seventh session"). While chunk c works on panel p, chunk
 * c − 1 works on a later panel, whose columns are others: no two threads write one row of MᵀU at once, and each
 * row of MV is its own chunk's. With P panels and T chunks the pass takes about P + T − 1 panel-steps instead of P.
 *
 * <p>Memory visibility: a chunk writes its MᵀU rows of panel p, then its count of finished panels with a volatile
 * write ({@link AtomicLongArray#set}); chunk c + 1 reads that count (a volatile read) before it reads or writes those
 * rows, so the writes happen-before its own (JLS §17.4.5). The counts are numbered by call ({@link #begin}) so that
 * no chunk reads a count left from the previous call.
 */
final class PanelWavefront {

    /** One panel of one chunk: the kernel call. */
    @FunctionalInterface
    interface PanelTask {
        void run(int chunk, int panel);
    }

    /** Spins before a waiting chunk yields its core (as {@link ParallelPass}'s waits). */
    private static final int SPINS_BEFORE_YIELD = 1 << 12;

    /** Blocks of rows per thread among which {@link #chunks} places the chunks' bounds. */
    private static final int BLOCKS_PER_THREAD = 64;

    private final ParallelPass pass;
    private final int panels;
    /** Per chunk: the call's base plus the panels it has finished. */
    private final AtomicLongArray finished;
    /** This call's base: call number · (panels + 1). Written before the pass publishes its task. */
    private long base;

    /** For the chunks of {@code pass} (one a thread) and {@code panels} panels. */
    PanelWavefront(ParallelPass pass, int panels) {
        this.pass = pass;
        this.panels = panels;
        this.finished = new AtomicLongArray(pass.threads());
    }

    /** Starts a call: before {@link ParallelPass#run}, whose publication of the task shows it to every chunk. */
    void begin() {
        base += panels + 1;
    }

    /**
     * Chunk {@code chunk}'s share of the call: each panel in turn, after waiting for chunk − 1 to finish it. If the
     * task fails, the chunk counts all its panels finished before the exception leaves, so the next chunk does not
     * wait for ever (it runs on over partial sums, which the pass discards: it rethrows the failure).
     */
    void run(int chunk, PanelTask task) {
        long b = base;
        try {
            for (int p = 0; p < panels; p++) {
                if (chunk > 0) {
                    awaitFinished(chunk - 1, b + p + 1);
                }
                task.run(chunk, p);
                finished.set(chunk, b + p + 1);
            }
        } finally {
            finished.set(chunk, b + panels);
        }
    }

    private void awaitFinished(int chunk, long count) {
        int spins = 0;
        while (finished.get(chunk) < count) {
            if (++spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else if (pass.isClosed()) {
                // a pass closed during a run may never run chunk c − 1 (its worker exits), and close() waits for
                // this thread: waiting on would hang both
                throw new IllegalStateException("parallel pass was closed during a run");
            } else {
                Thread.yield();
            }
        }
    }

    /**
     * The rows of M in {@code threads} chunks for a wavefront over its aligned form in {@code panels} panels: the
     * bounds, among blocks of equal work ({@link IterationEngine#equalWork}, {@value #BLOCKS_PER_THREAD} a thread),
     * that make the wavefront's span least in a model where a chunk's time in a panel is its stored entries there
     * plus each row's one unit (as equal work counts a row) spread over the panels: from equal work, each bound in
     * turn moved to its best place between its neighbours until none moves (exact for two chunks: every bound is
     * tried). Why not equal work: chunk c + 1 waits for chunk c's first panel and chunk c for c + 1's last, and where
     * the first columns hold most entries (power-law degrees, columns ordered by degree) that wait is much of a
     * chunk's work unless the earlier chunks take more rows (native-notes/sparse.md, "Twenty-seventh session"). A
     * pure function of M's entries, {@code panels} and {@code threads}, as the chunks must be.
     */
    static int[] chunks(SparseMatrix m, int panels, int threads) {
        int rows = m.rows();
        int nb = Math.max(1, Math.min(rows, BLOCKS_PER_THREAD * threads));
        int[] blocks = IterationEngine.equalWork(m, nb);
        int width = SparsePanels.width(m.cols(), panels);
        int np = (m.cols() + width - 1) / width;
        // prefix[b][p]: the work of blocks [0, b) in panel p
        double[][] prefix = new double[nb + 1][np];
        MemorySegment columns = m.columnIndices();
        for (int b = 0; b < nb; b++) {
            double[] next = prefix[b + 1];
            System.arraycopy(prefix[b], 0, next, 0, np);
            for (long k = m.rowStart(blocks[b]); k < m.rowStart(blocks[b + 1]); k++) {
                next[columns.getAtIndex(ValueLayout.JAVA_INT, k) / width]++;
            }
            for (int p = 0; p < np; p++) {
                next[p] += (blocks[b + 1] - blocks[b]) / (double) np;
            }
        }
        int[] bounds = new int[threads + 1];
        for (int c = 0; c <= threads; c++) {
            bounds[c] = (int) ((long) nb * c / threads);
        }
        double[] done = new double[np];
        double best = span(prefix, bounds, done);
        for (boolean moved = true; moved; ) {
            moved = false;
            for (int c = 1; c < threads; c++) {
                int at = bounds[c];
                for (int b = bounds[c - 1]; b <= bounds[c + 1]; b++) {
                    bounds[c] = b;
                    double s = span(prefix, bounds, done);
                    // strictly less: ties keep the earlier place, so the search ends
                    if (s < best) {
                        best = s;
                        at = b;
                        moved = true;
                    }
                }
                bounds[c] = at;
            }
        }
        int[] chunks = new int[threads + 1];
        for (int c = 0; c <= threads; c++) {
            chunks[c] = blocks[bounds[c]];
        }
        return chunks;
    }

    /**
     * The wavefront's span in the model of {@link #chunks} with these bounds, in blocks whose work in each panel has
     * the prefix sums {@code prefix}: chunk c finishes panel p after itself on p − 1 and chunk c − 1 on p.
     */
    private static double span(double[][] prefix, int[] bounds, double[] done) {
        Arrays.fill(done, 0);
        for (int c = 0; c + 1 < bounds.length; c++) {
            double t = 0;
            for (int p = 0; p < done.length; p++) {
                t = Math.max(t, done[p]) + prefix[bounds[c + 1]][p] - prefix[bounds[c]][p];
                done[p] = t;
            }
        }
        return done[done.length - 1];
    }
}

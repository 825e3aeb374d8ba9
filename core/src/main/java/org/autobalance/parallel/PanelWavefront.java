package org.autobalance.parallel;

import java.util.concurrent.atomic.AtomicLongArray;
import org.autobalance.kernel.SparseKernels;

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
}

package org.autobalance.parallel;

import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of worker threads that splits a range of rows into one contiguous chunk per thread and runs a task on
 * every chunk. The threads live as long as the pass (no thread or task is created per call) and each call costs a
 * few microseconds of synchronisation: idle workers spin briefly, then park.
 *
 * <p>Determinism: with {@code threads} fixed, chunk boundaries are a pure function of the row count, chunk c always
 * runs on runner c mod R (below), and {@link #run} adds the per-chunk results in chunk order. A task whose per-chunk
 * work is deterministic therefore gives the same bits on every call, whatever the number of runners.
 *
 * <p>Runners: the chunks run on at most as many threads as the machine has processors (read when the pass is made),
 * the calling thread among them, so {@code threads = 1} uses no extra thread at all. With more chunks than runners,
 * runner k runs chunks k, k + R, k + 2R, … in turn (R runners): the chunks, and so the bits, are those of
 * {@code threads} runners, without more threads than processors competing for them — each pass waits for all its
 * chunks, so an extra thread on a busy processor only adds scheduler delays to every pass (native-notes/engine.md,
 * "More threads than processors"). Each runner runs its chunks in increasing order, so a task whose chunk c waits for
 * chunk c − 1 ({@link PanelWavefront}) still finishes: the lowest unfinished chunk can always run.
 *
 * <p>Calls must come from one thread at a time; a pass is not re-entrant. {@link #close} may come from any thread,
 * also during a run: that run then completes or throws {@link IllegalStateException}, it never hangs.
 *
 * <p>Memory visibility (the Java memory model, JLS §17.4.5): the caller writes the task and the row count, then the
 * volatile {@code epoch} ({@link #publish}); a worker reads {@code epoch} before the task ({@link #poll}), so the task
 * it runs is the one published. A worker writes its result and failure, then the volatile {@code done}; the caller
 * reads {@code done} ({@link #completed}) before the results ({@link #collect}). Each pair is a volatile write and a
 * read that sees it, hence happens-before. The steps are package-private methods so that the jcstress harness
 * (jcstress/, native-notes/reliability.md) runs exactly these on its own threads, racing them sample by sample;
 * ParallelPassConcurrencyTest stresses the whole team and its failure paths.
 */
public final class ParallelPass implements AutoCloseable {

    /** The most threads a pass accepts. */
    public static final int MAX_THREADS = 1024;

    /** Work on the rows {@code [start, end)} of chunk {@code chunk}; the returned values are summed in chunk order. */
    @FunctionalInterface
    public interface RangeTask {
        double run(int chunk, int start, int end);
    }

    /**
     * Spins before a waiting thread backs off (a worker parks, the caller yields): about 0.1 ms, long enough to cover
     * the serial part between the passes of one iteration, short enough not to starve other threads when there are
     * more threads than cores.
     */
    private static final int SPINS_BEFORE_BACKOFF = 1 << 12;

    private final int threads;
    /** The threads that run chunks, the caller included: at most {@code threads}. */
    private final int runners;
    private final Worker[] workers;
    private final double[] results;
    private final Throwable[] failures;
    private RangeTask task;
    private int rows;
    /** Chunk boundaries of the current call of {@link #run(RangeTask, int[])}, or null for the even split. */
    private int[] bounds;
    private volatile long epoch;
    private volatile boolean closed;

    /**
     * {@code threads} if it is in [1, {@value #MAX_THREADS}]: the solvers' builders check it with this, before any
     * team is started.
     */
    public static int requireThreads(int threads) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be between 1 and " + MAX_THREADS + ", got " + threads);
        }
        return threads;
    }

    /**
     * Splits every call into {@code threads} chunks, in [1, {@value #MAX_THREADS}], and starts one daemon worker per
     * runner besides the caller: {@code min(threads, processors) − 1}.
     */
    public ParallelPass(int threads) {
        this(threads, Math.min(requireThreads(threads), Runtime.getRuntime().availableProcessors()), true);
    }

    /** {@code threads} chunks on {@code runners} started threads, whatever the machine has (tests of the team). */
    ParallelPass(int threads, int runners) {
        this(threads, runners, true);
    }

    /**
     * A team of one runner per chunk whose workers are started or not: the jcstress harness plays the caller and the
     * workers itself, calling {@link #publish}, {@link #poll}, {@link #completed} and {@link #collect} from its own
     * threads.
     */
    ParallelPass(int threads, boolean startWorkers) {
        this(threads, threads, startWorkers);
    }

    private ParallelPass(int threads, int runners, boolean startWorkers) {
        this.threads = requireThreads(threads);
        if (runners < 1 || runners > threads) {
            throw new IllegalArgumentException("runners must be between 1 and " + threads + ", got " + runners);
        }
        this.runners = runners;
        this.results = new double[threads];
        this.failures = new Throwable[threads];
        this.workers = new Worker[runners - 1];
        for (int w = 1; w < runners; w++) {
            Worker worker = new Worker(w);
            workers[w - 1] = worker;
            if (startWorkers) {
                worker.thread.start();
            }
        }
    }

    /** The chunks of every call: the threads asked for, which fix the bits. */
    public int threads() {
        return threads;
    }

    /** The threads that run the chunks, the caller included. */
    int runners() {
        return runners;
    }

    /** Whether {@link #close} has begun (a task that waits on another chunk gives up then: PanelWavefront). */
    boolean isClosed() {
        return closed;
    }

    /**
     * First row of chunk {@code chunk} when {@code rows} rows are split (the end of the chunk is
     * chunkStart(chunk + 1)).
     */
    public int chunkStart(int chunk, int rows) {
        return chunkStart(chunk, rows, threads);
    }

    /**
     * First row of chunk {@code chunk} when {@code rows} rows are split into {@code chunks} contiguous chunks that
     * differ by at most a row (chunk {@code chunks} gives {@code rows}): the split of every pass, and of a probe that
     * reads M as the passes do without starting a team (bench's RooflineProbe).
     */
    public static int chunkStart(int chunk, int rows, int chunks) {
        return (int) ((long) rows * chunk / chunks);
    }

    /**
     * Runs {@code task} on every chunk of {@code [0, rows)} and returns the sum of the results, added in chunk order.
     * An exception thrown by any chunk is rethrown here after all chunks have finished.
     */
    public double run(RangeTask task, int rows) {
        if (closed) {
            throw new IllegalStateException("parallel pass is closed");
        }
        if (threads == 1) {
            return task.run(0, 0, rows);
        }
        return runChunks(task, rows, null);
    }

    /**
     * As {@link #run(RangeTask, int)} with chunks of the caller's choosing: chunk c is {@code [bounds[c],
     * bounds[c + 1])}, {@code bounds} non-decreasing with {@code threads + 1} entries (for work that is not uniform
     * in the rows, such as the rows of a sparse matrix). The boundaries must not change while the call runs.
     */
    public double run(RangeTask task, int[] bounds) {
        if (closed) {
            throw new IllegalStateException("parallel pass is closed");
        }
        if (bounds.length != threads + 1) {
            throw new IllegalArgumentException("expected " + (threads + 1) + " chunk boundaries, got "
                    + bounds.length);
        }
        if (threads == 1) {
            return task.run(0, bounds[0], bounds[1]);
        }
        return runChunks(task, bounds[threads], bounds);
    }

    private double runChunks(RangeTask task, int rows, int[] bounds) {
        long e = publish(task, rows, bounds);
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
        executeShare(0);
        for (int c = 1; c < runners; c++) {
            Thread thread = workers[c - 1].thread;
            int spins = 0;
            while (!completed(c, e)) {
                if (++spins < SPINS_BEFORE_BACKOFF) {
                    Thread.onSpinWait();
                } else {
                    // closed by another thread: a worker that saw the flag before this epoch has exited without
                    // running its chunk, and waiting for it would never end
                    if (closed && !thread.isAlive() && !completed(c, e)) {
                        this.task = null;
                        java.util.Arrays.fill(failures, null);
                        throw new IllegalStateException("parallel pass was closed by another thread during a run");
                    }
                    Thread.yield();
                }
            }
        }
        return collect();
    }

    /**
     * The caller's first step: the plain writes of the task, the row count and the boundaries, then the volatile
     * write of the next epoch, which publishes them to every worker that reads it. Returns that epoch.
     */
    long publish(RangeTask task, int rows, int[] bounds) {
        this.task = task;
        this.rows = rows;
        this.bounds = bounds;
        long e = epoch + 1;
        epoch = e;
        return e;
    }

    /**
     * A worker's step, never waiting: if an epoch it has not run yet is published (the volatile read of
     * {@code epoch}, before any read of the task), runs runner {@code runner}'s chunks of that call, then publishes
     * their results and any failures by the volatile write of its {@code done}. Returns whether it ran the call.
     */
    boolean poll(int runner) {
        Worker w = workers[runner - 1];
        long e = epoch;
        if (e == w.seen) {
            return false;
        }
        w.seen = e;
        executeShare(runner);
        w.done = e; // volatile write publishes this runner's results
        return true;
    }

    /** Whether the worker of runner {@code runner} has published its results of epoch {@code e} (a volatile read). */
    boolean completed(int runner, long e) {
        return workers[runner - 1].done == e;
    }

    /**
     * The caller's last step, once every worker has {@link #completed} the epoch: the results summed in chunk order,
     * or the first failure in chunk order rethrown; the call's task and failures are cleared.
     */
    double collect() {
        this.task = null;
        this.bounds = null;
        Throwable failure = null;
        double sum = 0.0;
        for (int c = 0; c < threads; c++) {
            sum += results[c];
            if (failures[c] != null && failure == null) {
                failure = failures[c];
            }
            failures[c] = null;
        }
        if (failure != null) {
            if (failure instanceof RuntimeException re) {
                throw re;
            }
            if (failure instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("worker failed", failure);
        }
        return sum;
    }

    /** Runs runner {@code runner}'s chunks of the published call in increasing order. */
    private void executeShare(int runner) {
        for (int chunk = runner; chunk < threads; chunk += runners) {
            execute(chunk);
        }
    }

    /** Runs chunk {@code chunk} of the published call, keeping its result or its failure. */
    void execute(int chunk) {
        try {
            results[chunk] = bounds == null ? task.run(chunk, chunkStart(chunk, rows), chunkStart(chunk + 1, rows))
                    : task.run(chunk, bounds[chunk], bounds[chunk + 1]);
        } catch (Throwable t) {
            results[chunk] = Double.NaN;
            failures[chunk] = t;
        }
    }

    /** Stops the workers; later calls to {@link #run} throw. Closing again does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
        // wait for every worker even if this thread is interrupted (a cancelled run closes its pass while the
        // interrupt status is set): nothing may still run when the caller frees the memory the tasks used
        boolean interrupted = false;
        for (Worker w : workers) {
            while (w.thread.isAlive()) {
                try {
                    w.thread.join();
                } catch (InterruptedException ie) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Worker implements Runnable {
        final int runner;
        final Thread thread;
        /** The last epoch this worker ran (read and written only by the worker's thread). */
        long seen;
        volatile long done;

        Worker(int runner) {
            this.runner = runner;
            this.thread = Thread.ofPlatform().daemon().name("autobalance-worker-" + runner).unstarted(this);
        }

        @Override
        public void run() {
            while (true) {
                int spins = 0;
                while (!poll(runner)) {
                    if (closed) {
                        return;
                    }
                    if (++spins < SPINS_BEFORE_BACKOFF) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
            }
        }
    }
}

package org.autobalance.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What a command is doing — reading its input, preparing the first iteration (σ₁, the start, compiling), iterating,
 * writing its results — said on standard error, one line every few seconds, while no progress bar shows it: with
 * output to a pipe ({@code | tee}), a file or a CI log, a long factorisation used to print nothing between the storage
 * line and the end (and nothing at all while a large M was read). The first line comes {@link #FIRST_NANOS} after the
 * command began, so a short run's output is what it was; the lines go to standard error, as the progress bar does,
 * and standard output keeps only the results that scripts read. The interval grows with the command's age (a sixth
 * of it, {@link #FIRST_NANOS} to {@link #LONGEST_NANOS}), so an hour's run prints about seventy lines, not seven
 * hundred.
 *
 * <p>One heartbeat belongs to the command {@link Main} is running ({@link #current}); outside a command it is silent.
 */
final class Heartbeat implements AutoCloseable {
    /** The first line comes this long after the command began, and lines are at least this far apart. */
    static final long FIRST_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** The longest interval between two lines. */
    static final long LONGEST_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** How often the timer looks: the lines' times are this coarse. */
    private static final long TICK_MILLIS = 500;

    private static final Heartbeat SILENT = new Heartbeat(null, 0, false);
    private static volatile Heartbeat current = SILENT;

    private final PrintWriter err;
    private final long started;
    private final ScheduledExecutorService timer;
    /** What is being done now, formed when a line is printed; null while nothing should be said (a bar shows it). */
    private volatile Supplier<String> phase;
    private long lastLine;

    private Heartbeat(PrintWriter err, long now, boolean timed) {
        this.err = err;
        this.started = now;
        this.lastLine = now;
        if (!timed) {
            this.timer = null;
            return;
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "autobalance-heartbeat");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> tick(System.nanoTime()), TICK_MILLIS, TICK_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /** Starts the heartbeat of the command now running, printing to {@code err}; close it when the command ends. */
    static Heartbeat start(PrintWriter err) {
        Heartbeat beat = new Heartbeat(err, System.nanoTime(), true);
        current = beat;
        return beat;
    }

    /** A heartbeat without a timer, for a test: it prints when {@link #tick} is called. */
    static Heartbeat manual(PrintWriter err, long now) {
        return new Heartbeat(err, now, false);
    }

    /** The heartbeat of the command now running (a silent one outside a command). */
    static Heartbeat current() {
        return current;
    }

    /**
     * Prints {@code line} on the standard error of the command now running: its err writer, which a caller of
     * {@link Main#execute(java.io.PrintWriter, java.io.PrintWriter, String...)} captures (System.err outside a
     * command), and never inside a heartbeat line. For what code far from the command's writers must say.
     */
    static void warn(String line) {
        Heartbeat beat = current;
        synchronized (beat) {
            PrintWriter to = beat.err != null ? beat.err : new PrintWriter(System.err, true);
            to.println(line);
            to.flush();
        }
    }

    /** From now on the command is doing {@code what} (a fixed text). */
    void phase(String what) {
        phase(() -> what);
    }

    /** From now on the command is doing what {@code what} says when asked (formed only for a line). */
    void phase(Supplier<String> what) {
        phase = what;
    }

    /** Says nothing until the next phase: a progress bar shows what is being done. */
    void quiet() {
        phase = null;
    }

    /** Prints a line about the current phase if it is old enough and the last line is far enough behind. */
    synchronized void tick(long now) {
        Supplier<String> what = phase;
        if (what == null || err == null) {
            return;
        }
        long interval = Math.clamp((now - started) / 6, FIRST_NANOS, LONGEST_NANOS);
        if (now - lastLine < interval) {
            return;
        }
        lastLine = now;
        err.println(String.format(Locale.ROOT, "autobalance: %s (%.0f s)", what.get(), (now - started) / 1e9));
        err.flush();
    }

    /**
     * Stops the timer. Synchronized with {@link #tick}: a line being printed is finished first, and none comes after
     * (the phase is null from here on), so nothing follows the command's last output.
     */
    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        phase = null;
        if (current == this) {
            current = SILENT;
        }
    }
}

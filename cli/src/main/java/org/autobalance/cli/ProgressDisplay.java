package org.autobalance.cli;

import java.io.Console;
import java.util.Locale;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.NetworkListener;
import org.autobalance.observe.NetworkRecord;

/**
 * A run's progress: on a terminal, a progress bar with the live loss and balance (or unit drift); otherwise (output to
 * a pipe, a file, a CI log) the latest iteration, said by the command's {@link Heartbeat} every few seconds.
 */
final class ProgressDisplay implements IterationListener, NetworkListener, AutoCloseable {
    /** Records between bar updates: the bar itself redraws at most every 100 ms, this keeps the listener cheap. */
    private static final int SAMPLE = 16;

    private final ProgressBar bar;
    private final String task;
    private final long maxIterations;
    private long done;
    /** The latest record (IterationRecord or NetworkRecord) for the heartbeat's line; null before the first. */
    private volatile Object latest;
    /** Where the σ₁ estimate is (before the first record), null before its first pass. */
    private volatile Sigma1 sigma1;
    /** The entries of M the exact final loss forms, once it has begun (after the last record); 0 before. */
    private volatile long exactLossEntries;

    /** The σ₁ estimate's passes over M so far, its most, and whether it has finished. */
    private record Sigma1(int passes, int most, boolean finished) {
    }

    private ProgressDisplay(ProgressBar bar, String task, long maxIterations) {
        this.bar = bar;
        this.task = task;
        this.maxIterations = maxIterations;
    }

    /**
     * A display for a run of at most {@code maxIterations} iterations: a bar when standard input and output are a
     * terminal, else lines through the current {@link Heartbeat}.
     */
    static ProgressDisplay create(String task, long maxIterations) {
        Console console = System.console();
        Heartbeat beat = Heartbeat.current();
        if (console == null || !console.isTerminal()) {
            ProgressDisplay lines = new ProgressDisplay(null, task, maxIterations);
            beat.phase(lines::describe);
            return lines;
        }
        beat.quiet();
        return onBar(task, maxIterations, new ProgressBarBuilder());
    }

    /**
     * A display as a bar that {@code builder} makes (a test's renders to a consumer). Until the first record the bar's
     * message names the set-up's phase, as the heartbeat's lines do: before, it stood at "0/N (0:00:00 / ?)" with no
     * word for as long as σ₁'s passes and the kernels' compilation took.
     */
    static ProgressDisplay onBar(String task, long maxIterations, ProgressBarBuilder builder) {
        ProgressDisplay display = new ProgressDisplay(builder.setTaskName(task).setInitialMax(maxIterations)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(100).continuousUpdate().build(), task,
                maxIterations);
        display.bar.setExtraMessage(display.shortSetUp());
        return display;
    }

    /** What the run is doing, for a heartbeat line. */
    String describe() {
        Object record = latest;
        if (exactLossEntries > 0) {
            // after the last record (or none: a resume at the limit), which would otherwise stand for the minutes
            // this pass takes on a large M
            return String.format(Locale.ROOT, "%s: %sforming the exact loss over the %d entries of M (--exact-loss; "
                    + "Ctrl-C keeps the one-pass identity's)", task, done > 0 ? done + " iterations done; " : "",
                    exactLossEntries);
        }
        if (record == null) {
            Sigma1 s = sigma1;
            if (s == null) {
                return task + ": preparing the first iteration (step size, start, compiling the kernels)";
            }
            return s.finished() ? task + ": preparing the first iteration (sigma1(M) estimated in " + s.passes()
                    + " passes; start, compiling the kernels)"
                    // σ₁ scales the step (auto, theory), the start (the default small, balanced, ward-kolda), or both
                    : String.format(Locale.ROOT, "%s: estimating sigma1(M) (it scales the step or the start): %d of "
                            + "at most %d passes over M", task, s.passes(), s.most());
        }
        return switch (record) {
            case IterationRecord r -> String.format(Locale.ROOT, "%s, relative error %.3e, balance %.2e",
                    done(r.iteration()), r.relativeError(), r.balance());
            case NetworkRecord r -> String.format(Locale.ROOT, "%s, loss %.3e, unit drift %.2e",
                    done(r.iteration()), r.loss(), r.maxUnitInvariantChange());
            default -> throw new IllegalStateException("a record of another kind: " + latest);
        };
    }

    /** The set-up's phase in the few words that fit beside a bar on an 80-column terminal. */
    private String shortSetUp() {
        Sigma1 s = sigma1;
        return s == null || s.finished() ? "preparing the first iteration"
                : "estimating sigma1(M): pass " + s.passes() + " of " + s.most();
    }

    /** The iterations done once the record of iteration {@code t} was made (t counts from 0). */
    private String done(long t) {
        return task + ": " + (t + 1) + " of at most " + maxIterations + " iterations";
    }

    @Override
    public void onIteration(IterationRecord record) {
        show(record, record.iteration(),
                () -> String.format("loss %.3e balance %.2e", record.loss(), record.balance()));
    }

    /**
     * Keeps {@code record} (of iteration {@code t}) for the heartbeat and moves the bar every {@link #SAMPLE}
     * iterations, with {@code message}; the first record replaces the set-up's message even off the sample (a resumed
     * run's first, say).
     */
    private void show(Object record, long t, Supplier<String> message) {
        done = t + 1;
        boolean first = latest == null;
        latest = record;
        if (bar != null && (first || t % SAMPLE == 0)) {
            bar.stepTo(t + 1);
            bar.setExtraMessage(message.get());
        }
    }

    @Override
    public void onSpectralNorm(int passes, int most, boolean finished) {
        sigma1 = new Sigma1(passes, most, finished);
        if (bar != null && latest == null) {
            bar.setExtraMessage(shortSetUp());
        }
    }

    @Override
    public void onExactLoss(long entries) {
        exactLossEntries = entries;
        if (bar != null) {
            bar.setExtraMessage("forming the exact loss");
        }
    }

    @Override
    public void onIteration(NetworkRecord record) {
        show(record, record.iteration(),
                () -> String.format("loss %.3e unit drift %.2e", record.loss(), record.maxUnitInvariantChange()));
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.stepTo(done);
            bar.close();
        }
    }
}

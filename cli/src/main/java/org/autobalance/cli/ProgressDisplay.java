package org.autobalance.cli;

import java.io.Console;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.autobalance.observe.NetworkListener;
import org.autobalance.observe.NetworkRecord;

/** A progress bar with the live loss and balance (or unit drift), shown only when standard output is a terminal. */
final class ProgressDisplay implements IterationListener, NetworkListener, AutoCloseable {
    /** Records between bar updates: the bar itself redraws at most every 100 ms, this keeps the listener cheap. */
    private static final int SAMPLE = 16;

    private final ProgressBar bar;
    private long done;

    private ProgressDisplay(ProgressBar bar) {
        this.bar = bar;
    }

    /** A display for a run of at most {@code maxIterations} iterations; silent when not on a terminal. */
    static ProgressDisplay create(String task, long maxIterations) {
        Console console = System.console();
        if (console == null || !console.isTerminal()) {
            return new ProgressDisplay(null);
        }
        return new ProgressDisplay(new ProgressBarBuilder().setTaskName(task).setInitialMax(maxIterations)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(100).continuousUpdate().build());
    }

    @Override
    public void onIteration(IterationRecord record) {
        done = record.iteration() + 1;
        if (bar != null && record.iteration() % SAMPLE == 0) {
            bar.stepTo(record.iteration() + 1);
            bar.setExtraMessage(String.format("loss %.3e balance %.2e", record.loss(), record.balance()));
        }
    }

    @Override
    public void onIteration(NetworkRecord record) {
        done = record.iteration() + 1;
        if (bar != null && record.iteration() % SAMPLE == 0) {
            bar.stepTo(record.iteration() + 1);
            bar.setExtraMessage(String.format("loss %.3e unit drift %.2e", record.loss(),
                    record.maxUnitInvariantChange()));
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.stepTo(done);
            bar.close();
        }
    }
}

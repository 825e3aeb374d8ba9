package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.autobalance.observe.IterationRecord;
import org.junit.jupiter.api.Test;

/**
 * With output to a pipe (no progress bar), a long run used to say nothing between the storage line and its end: the
 * heartbeat says what the command is doing on standard error, first after {@link Heartbeat#FIRST_NANOS}, then at
 * intervals of a sixth of the command's age (5 s to 60 s). Driven by a hand-set clock, so nothing here waits.
 */
class HeartbeatTest {
    private static long seconds(double s) {
        return (long) (s * TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void saysWhatIsBeingDoneEveryFewSecondsAndNothingWhileQuiet() {
        StringWriter err = new StringWriter();
        long t0 = 1_000_000_000L;
        Heartbeat beat = Heartbeat.manual(new PrintWriter(err, true), t0);
        beat.tick(t0 + seconds(20));
        assertEquals("", err.toString(), "a line before any phase was set");
        beat.phase("reading M from m.npy");
        // the first line once 5 s have passed since the last (here: since the start)
        beat.tick(t0 + seconds(24.9));
        assertEquals(List.of("autobalance: reading M from m.npy (25 s)"), err.toString().lines().toList());
        beat.tick(t0 + seconds(29.8));
        assertEquals(1, err.toString().lines().count(), "two lines less than 5 s apart");
        beat.tick(t0 + seconds(29.9));
        assertEquals(2, err.toString().lines().count());
        // at 600 s the interval is a sixth of the age, 100 s, capped at 60 s
        beat.tick(t0 + seconds(600));
        beat.tick(t0 + seconds(659));
        assertEquals(3, err.toString().lines().count(), "lines less than 60 s apart at 600 s");
        beat.tick(t0 + seconds(660));
        assertEquals(4, err.toString().lines().count());
        beat.quiet();
        beat.tick(t0 + seconds(2000));
        assertEquals(4, err.toString().lines().count(), "a line while a progress bar shows the run");
        beat.close();
    }

    @Test
    void theIntervalIsASixthOfTheAgeBetweenFiveAndSixtySeconds() {
        StringWriter err = new StringWriter();
        long t0 = 0;
        Heartbeat beat = Heartbeat.manual(new PrintWriter(err, true), t0);
        beat.phase("x");
        beat.tick(t0 + seconds(120));
        beat.tick(t0 + seconds(139.9)); // 20 s is a sixth of 120–140 s: not yet
        beat.tick(t0 + seconds(143));   // 23 s after the last line, a sixth of 143 s is 23.8 s: not yet
        assertEquals(1, err.toString().lines().count(), err.toString());
        beat.tick(t0 + seconds(144));   // 24 s ≥ 144/6
        assertEquals(2, err.toString().lines().count(), err.toString());
    }

    /** Without a terminal the display is lines: what the latest record says, formed when the heartbeat asks. */
    @Test
    void aRunWithoutATerminalIsDescribedByItsLatestRecord() {
        try (ProgressDisplay display = ProgressDisplay.create("rank 2", 100)) {
            assertEquals("rank 2: preparing the first iteration (step size, start, compiling the kernels)",
                    display.describe());
            display.onIteration(IterationRecord.builder().iteration(4).relativeError(0.5).balance(1e-3).build());
            assertEquals("rank 2: 5 of at most 100 iterations, relative error 5.000e-01, balance 1.00e-03",
                    display.describe());
            // the exact final loss of a large sparse M takes minutes after the last record, which stood for them
            display.onExactLoss(2_000_000_000_000L);
            assertEquals("rank 2: 5 iterations done; forming the exact loss over the 2000000000000 entries of M "
                    + "(--exact-loss; Ctrl-C keeps the one-pass identity's)", display.describe());
        }
        // a resume at the iteration limit makes no record before it
        try (ProgressDisplay display = ProgressDisplay.create("rank 2", 100)) {
            display.onExactLoss(12);
            assertEquals("rank 2: forming the exact loss over the 12 entries of M (--exact-loss; Ctrl-C keeps the "
                    + "one-pass identity's)", display.describe());
        }
        assertEquals("forming the exact loss", lastRendering(display -> {
            display.onIteration(IterationRecord.builder().iteration(0).loss(2, true).balance(1e-3).build());
            display.onExactLoss(12);
        }));
    }

    /**
     * On a terminal the bar's message names the set-up's phase until the first record, in words that fit beside the
     * bar on 80 columns, then gives the latest loss and balance. Before, the bar stood at "0/100 (0:00:00 / ?)" with
     * no word for as long as σ₁'s passes and the kernels' compilation took (a new user's terminal: 1.5 s on a
     * 1500 x 1200 M).
     * The bar's last rendering, made as it closes, is read back through its consumer.
     */
    @Test
    void aBarNamesTheSetUpUntilTheFirstRecord() {
        assertEquals("preparing the first iteration", lastRendering(display -> { }));
        assertEquals("estimating sigma1(M): pass 31 of 60", lastRendering(display -> display.onSpectralNorm(31, 60,
                false)));
        assertEquals("preparing the first iteration", lastRendering(display -> display.onSpectralNorm(42, 60, true)));
        assertEquals("loss 2.000e+00 balance 1.00e-03", lastRendering(display -> {
            display.onSpectralNorm(42, 60, true);
            display.onIteration(IterationRecord.builder().iteration(0).loss(2, true).balance(1e-3).build());
            display.onSpectralNorm(43, 60, true);
        }));
        // a resumed run's first record is rarely a sampled one (a multiple of 16): it replaces the set-up too, which
        // lingered for up to 15 iterations before
        assertEquals("loss 3.000e+00 balance 2.00e-03", lastRendering(display -> display.onIteration(
                IterationRecord.builder().iteration(501).loss(3, true).balance(2e-3).build())));
    }

    /** What follows the counts in the last line a bar of {@code rank 4} rendered, after {@code events}. */
    private static String lastRendering(Consumer<ProgressDisplay> events) {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (ProgressDisplay display = ProgressDisplay.onBar("rank 4", 100,
                new ProgressBarBuilder().setConsumer(new DelegatingProgressBarConsumer(lines::add, 200)))) {
            events.accept(display);
        }
        String last = lines.getLast();
        return last.substring(last.indexOf(')') + 1).strip();
    }

    /**
     * Before the first record, while σ₁ is estimated, the line names that phase with the passes done and the most;
     * once it has finished, how many it took (the start and the kernels' compilation come next).
     */
    @Test
    void theSigma1EstimateIsNamedWithItsPasses() {
        try (ProgressDisplay display = ProgressDisplay.create("rank 4", 100)) {
            display.onSpectralNorm(31, 60, false);
            assertEquals("rank 4: estimating sigma1(M) (it scales the step or the start): 31 of at most 60 passes "
                    + "over M", display.describe());
            display.onSpectralNorm(42, 60, true);
            assertEquals("rank 4: preparing the first iteration (sigma1(M) estimated in 42 passes; start, compiling "
                    + "the kernels)", display.describe());
            display.onIteration(IterationRecord.builder().iteration(0).relativeError(0.5).balance(1e-3).build());
            assertEquals("rank 4: 1 of at most 100 iterations, relative error 5.000e-01, balance 1.00e-03",
                    display.describe());
        }
    }
}

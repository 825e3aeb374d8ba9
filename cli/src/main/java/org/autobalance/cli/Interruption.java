package org.autobalance.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.autobalance.solve.CancelToken;

/**
 * Ctrl-C (SIGINT, or SIGTERM) during a run of {@code factorize}, {@code demo} or {@code network}: the run stops after
 * its current iteration and its outputs are written as for any other stop (stop reason {@code cancelled}; factors or
 * weights, summary and the complete log), instead of the process dying with a half-filled staging directory and an
 * unflushed log. The JVM runs shutdown hooks on those signals while the other threads go on, so the hook cancels the
 * run's token and waits for the command to finish reporting; the process then exits with the signal's status (130 for
 * SIGINT). Outside a run the hook does not wait; before the run of one of those commands (reading the input,
 * checking options) it says that nothing was written. Only the command-line entry point installs it: a library caller or a test keeps its own handling of
 * signals.
 */
final class Interruption {
    /** Longest wait for a run to stop and write its outputs: one iteration plus the output files, with margin. */
    private static final long GRACE_SECONDS = 60;

    private static final CancelToken TOKEN = new CancelToken();
    private static final CountDownLatch REPORTED = new CountDownLatch(1);
    private static volatile boolean installed;
    private static volatile boolean running;
    /** Set by a command that writes nothing before its run (factorize, demo, network) while it prepares it. */
    private static volatile boolean beforeRun;
    /** Set when the command has reported (every way it ends): from then on the JVM's exit is the command's own. */
    private static volatile boolean finished;

    private Interruption() {
    }

    /** Installs the shutdown hook (once per JVM). */
    static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!running) {
                if (!finished) {
                    // the JVM ends now, silently otherwise; before a run (the input being read) nothing is written
                    System.err.println("autobalance: interrupted" + (beforeRun ? " before the run began: nothing "
                            + "written" : ""));
                }
                return;
            }
            System.err.println("autobalance: interrupted: stopping after this iteration and writing what was "
                    + "reached (kill -9 to abort)");
            TOKEN.cancel();
            try {
                REPORTED.await(GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "autobalance-interrupt"));
    }

    /** The token of the runs of this process: cancelled by the hook, never otherwise. */
    static CancelToken token() {
        return TOKEN;
    }

    /** Marks the preparation of a run that writes nothing before it starts (reading the input, checking options). */
    static void preparingRun() {
        beforeRun = true;
    }

    /** Marks the start of a run the hook should wait for (it waits only when installed). */
    static void runStarted() {
        running = true;
    }

    /** Marks the end of the command's reporting: a waiting hook returns, and the process may end. */
    static void reported() {
        finished = true;
        running = false;
        REPORTED.countDown();
    }
}

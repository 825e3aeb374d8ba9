package org.autobalance.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.autobalance.solve.CancelToken;

/**
 * Ctrl-C (SIGINT, or SIGTERM) during a run of {@code factorize}, {@code demo}, {@code network} or {@code
 * spark-factorize}: the run stops after its current iteration and its outputs are written as for any other stop (stop
 * reason {@code cancelled}; factors or weights, summary and the complete log), instead of the process dying with a
 * half-filled staging directory and an unflushed log. The JVM runs shutdown hooks on those signals while the other
 * threads go on, so the hook cancels the run's token and waits for the command to finish reporting; the process then
 * exits with the signal's status (130 for SIGINT). Outside a run the hook does not wait; before the run of one of those
 * commands (reading the input, checking options) it says that nothing was written. Only the command-line entry points
 * install it: a library caller or a test keeps its own handling of signals.
 */
public final class Interruption {
    /**
     * Longest wait for a run to stop and write its outputs: one iteration, then the checkpoint of the iterate reached
     * (with {@code --checkpoint}: written before the outputs, so that a resume goes on from where they stop), then
     * the output files, with margin. The checkpoint is the trade-off: a large one (factors of gigabytes on a slow
     * disk) takes time from the outputs, and a run whose wait runs out exits with them unwritten, its checkpoint on
     * disk; writing the outputs first would instead leave a resume nothing newer than the last checkpoint due.
     */
    public static final long GRACE_SECONDS = 60;

    private static final CancelToken TOKEN = new CancelToken();
    private static final CountDownLatch REPORTED = new CountDownLatch(1);
    private static volatile boolean installed;
    private static volatile boolean running;
    /** Set by a command that writes nothing before its run (factorize, demo, network) while it prepares it. */
    private static volatile boolean beforeRun;
    /** Set when the command has reported (every way it ends): from then on the JVM's exit is the command's own. */
    private static volatile boolean finished;
    /** What an interrupt before the run undoes (the destinations claimed: lock files, directories made); or null. */
    private static volatile Runnable beforeRunCleanup;

    private Interruption() {
    }

    /** Installs the hook as a JVM shutdown hook (once per JVM). */
    static void install() {
        install(hook -> Runtime.getRuntime().addShutdownHook(new Thread(hook, "autobalance-interrupt")));
    }

    /**
     * Installs the hook (once per JVM) through {@code register}, for a process whose own shutdown hooks must wait for
     * it: JVM shutdown hooks run concurrently, and Spark's stop the context that a run still needs to end its
     * iteration and collect its outputs.
     */
    public static synchronized void install(Consumer<Runnable> register) {
        if (installed) {
            return;
        }
        installed = true;
        register.accept(() -> {
            if (!running) {
                Runnable cleanup = beforeRunCleanup;
                if (!finished && beforeRun && cleanup != null) {
                    // the JVM ends with the input half read: the main thread never reaches its finally blocks
                    cleanup.run();
                }
                if (!finished) {
                    // the JVM ends now, silently otherwise; before a run (the input being read) nothing is written
                    System.err.println("autobalance: interrupted" + (beforeRun ? " before the run began: nothing "
                            + "written" : ""));
                }
                return;
            }
            // the run may still be before its first iteration (σ₁, compiling): its own report says what was written
            System.err.println("autobalance: interrupted: stopping the run (after the iteration under way, if any) and "
                    + "writing what it reached (kill -9 to abort)");
            TOKEN.cancel();
            try {
                REPORTED.await(GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** The token of the runs of this process: cancelled by the hook, never otherwise. */
    public static CancelToken token() {
        return TOKEN;
    }

    /** Marks the preparation of a run that writes nothing before it starts (reading the input, checking options). */
    public static void preparingRun() {
        beforeRun = true;
    }

    /**
     * Sets what an interrupt before the run undoes ({@code null}: nothing), as the JVM then ends without the main
     * thread's finally blocks: the lock files and directories of the destinations claimed before the input is read.
     */
    static void beforeRunCleanup(Runnable cleanup) {
        beforeRunCleanup = cleanup;
    }

    /** Marks the start of a run the hook should wait for (it waits only when installed). */
    public static void runStarted() {
        running = true;
    }

    /** Marks the end of the command's reporting: a waiting hook returns, and the process may end. */
    public static void reported() {
        finished = true;
        running = false;
        REPORTED.countDown();
    }
}

package org.autobalance.bench.baseline;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * The processes a bench command started (the fresh JVMs of {@code --sequence}, bench sparse's scipy reference, the
 * probes of {@link Environment}), so that a SIGTERM to the command alone ends them too: they ran on as orphans, an
 * orphan JVM busy on a core until the end of its warm-up while the next benchmark measured. Only these: every child
 * of the JVM ({@code ProcessHandle.current().children()}) included processes inherited through {@code exec}
 * ({@code sleep 1000 & exec java …}), and missed one started after the hook looked.
 */
final class Children {
    /** The command's, ended by {@link BenchCommand#main}'s shutdown hook. */
    static final Children BENCH = new Children();

    private final Set<Process> started = new HashSet<>();
    private volatile boolean shuttingDown;

    /** Starts {@code builder}'s process, or refuses once {@link #endAll} has run: nothing would end it. */
    synchronized Process start(ProcessBuilder builder) throws IOException {
        if (shuttingDown) {
            throw new IOException("not started: the command is shutting down");
        }
        Process p = builder.start();
        started.add(p);
        p.onExit().thenAccept(this::forget);
        return p;
    }

    private synchronized void forget(Process p) {
        started.remove(p);
    }

    /** Ends (SIGTERM) the processes started and still running, and refuses to start more. */
    synchronized void endAll() {
        shuttingDown = true;
        started.forEach(Process::destroy);
    }

    /**
     * Whether {@link #endAll} has run: a process of the command then ended by its signal, and what the main thread
     * would say of it ("the fresh JVM … ended early") is not so.
     */
    boolean shuttingDown() {
        return shuttingDown;
    }
}

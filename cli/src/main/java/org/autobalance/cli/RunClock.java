package org.autobalance.cli;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall-clock times of the phases of a command, as Unix epoch seconds (microsecond resolution), written to
 * summary.json as {@code "clock"}: when the process started (the launcher's start: it execs the JVM, so the process
 * is the same; the kernel counts it in 10 ms ticks), when loading M began and ended, when the first iteration ended
 * and when the run was done. Epoch times, not durations, so that another process (the end-to-end benchmark) can set
 * them against its own clock.
 */
public final class RunClock {
    private final Map<String, Object> marks = new LinkedHashMap<>();

    public RunClock() {
        ProcessHandle.current().info().startInstant().ifPresent(start -> marks.put("process_start", seconds(start)));
    }

    /** Records that {@code phase} happens now; a phase already recorded keeps its first time. */
    public void mark(String phase) {
        marks.putIfAbsent(phase, seconds(Instant.now()));
    }

    /** The marks so far, in the order they were made. */
    Map<String, Object> marks() {
        return new LinkedHashMap<>(marks);
    }

    /** Seconds from mark {@code from} to mark {@code to}, or NaN if either is missing. */
    double between(String from, String to) {
        return marks.get(from) instanceof Double a && marks.get(to) instanceof Double b ? b - a : Double.NaN;
    }

    private static double seconds(Instant t) {
        return t.getEpochSecond() + t.getNano() * 1e-9;
    }
}

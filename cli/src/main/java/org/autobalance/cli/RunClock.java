package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Wall-clock times of the phases of a command, as Unix epoch seconds (microsecond resolution), written to
 * summary.json as {@code "clock"}: when the process started (the launcher's start: it execs the JVM, so the process
 * is the same), when loading M began and ended, when the first iteration ended and when the run was done. Epoch
 * times, not durations, so that another process (the end-to-end benchmark) can set them against its own clock.
 */
public final class RunClock {
    /** Linux's USER_HZ, the unit of a process's start time in {@code /proc/self/stat}: 100 on every architecture. */
    private static final double TICKS_PER_SECOND = 100;

    private final Map<String, Object> marks = new LinkedHashMap<>();

    public RunClock() {
        processStart().ifPresent(start -> marks.put("process_start", start));
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

    /**
     * When this process started, as epoch seconds. On Linux from the process's age (its start and the uptime are both
     * on the kernel's boot clock, 10 ms ticks) subtracted from now: {@link ProcessHandle.Info#startInstant()} adds
     * the start to the boot time of {@code /proc/stat}, a whole second that drifts from the wall clock as the clock
     * is adjusted — 1.0 s early on the machine this was written on. Elsewhere the JDK's answer.
     */
    static Optional<Double> processStart() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // the fields after the command name in parentheses (which may hold spaces); starttime is field 22
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double started = Long.parseLong(f[22 - 3]) / TICKS_PER_SECOND;
            double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            return Optional.of(seconds(Instant.now()) - (uptime - started));
        } catch (IOException | RuntimeException notLinux) {
            return ProcessHandle.current().info().startInstant().map(RunClock::seconds);
        }
    }

    private static double seconds(Instant t) {
        return t.getEpochSecond() + t.getNano() * 1e-9;
    }
}

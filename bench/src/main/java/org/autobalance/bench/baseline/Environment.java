package org.autobalance.bench.baseline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What a benchmark table must state about the machine it ran on (performance.md: machine, JDK, load). */
final class Environment {
    private Environment() {
    }

    /** The CPU model from /proc/cpuinfo, or the OS architecture where that file is absent. */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    /** The 1, 5 and 15 minute load averages (other work on the machine skews every number). */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The output of a command (e.g. lscpu), or a note that it could not run. */
    static String command(List<String> command) {
        try {
            Process p = Children.BENCH.start(new ProcessBuilder(command).redirectErrorStream(true));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroy();
            }
            return out.strip();
        } catch (IOException e) {
            return "(" + String.join(" ", command) + " unavailable: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    /**
     * The busiest processes now (% CPU over their lifetime, name), this JVM marked, for the record of the load; without
     * the {@code ps} that lists them, this JVM's child (it read "ps 100%", as if another load were there).
     */
    static String busiestProcesses() {
        String self = Long.toString(ProcessHandle.current().pid());
        return command(List.of("ps", "-eo", "pid,ppid,pcpu,comm", "--sort=-pcpu", "--no-headers")).lines()
                .map(String::strip).map(line -> line.split("\\s+", 4))
                .filter(f -> f.length < 4 || !(f[1].equals(self) && f[3].equals("ps"))).limit(5)
                .map(f -> f.length < 4 ? String.join(" ", f)
                        : f[3] + " " + f[2] + "%" + (f[0].equals(self) ? " (this run)" : ""))
                .reduce((a, b) -> a + ", " + b).orElse("");
    }
}

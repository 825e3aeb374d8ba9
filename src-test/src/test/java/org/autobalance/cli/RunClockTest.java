package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class RunClockTest {
    /**
     * This JVM's process started before the VM finished initialising (the management start time is taken then), and
     * not long before: the JVM launcher loads the VM in well under a second. The bound below that is 0.75 s; the start
     * computed from /proc/stat's boot time was 1.0 s early on a machine whose clock had been adjusted since boot.
     * Above, one 10 ms tick of the kernel's rounding.
     */
    @Test
    void theProcessStartsShortlyBeforeTheVmIsUp() {
        double vmUp = ManagementFactory.getRuntimeMXBean().getStartTime() / 1e3;
        double start = RunClock.processStart().orElseThrow();
        assertTrue(start <= vmUp + 0.01 && start >= vmUp - 0.75, "process start " + start + ", VM up at " + vmUp);
    }
}

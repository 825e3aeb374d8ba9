package org.autobalance.kernel;

import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * What the JIT is compiling now, read in-process through HotSpot's diagnostic command {@code Compiler.queue} (the
 * same as {@code jcmd PID Compiler.queue}): a benchmark's warm-up is over when no kernel is being compiled or waiting
 * to be, and a JVM whose compilation log a test reads must not exit while kernel compiles are queued (they would be
 * missing from the log). Outside HotSpot the command does not exist and the JIT is taken as settled. Public for the
 * benchmarks and the cross-module tests; the package is not exported.
 */
public final class JitQueue {
    private static final ObjectName DIAGNOSTIC = diagnosticCommand();

    private JitQueue() {
    }

    /**
     * Whether a method of the engine ({@code org.autobalance}) or of the Vector API it inlines is being compiled or
     * queued for compilation.
     */
    public static boolean busyWithKernels() {
        if (DIAGNOSTIC == null) {
            return false;
        }
        try {
            String queue = (String) ManagementFactory.getPlatformMBeanServer().invoke(DIAGNOSTIC, "compilerQueue",
                    new Object[] {null}, new String[] {String[].class.getName()});
            return queue.contains("org.autobalance.") || queue.contains("jdk.incubator.vector.");
        } catch (JMException | RuntimeException e) {
            return false;
        }
    }

    private static ObjectName diagnosticCommand() {
        try {
            ObjectName name = new ObjectName("com.sun.management:type=DiagnosticCommand");
            return ManagementFactory.getPlatformMBeanServer().isRegistered(name) ? name : null;
        } catch (JMException e) {
            return null;
        }
    }
}

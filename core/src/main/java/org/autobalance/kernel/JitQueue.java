package org.autobalance.kernel;

import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.TreeSet;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * What the JIT is compiling now, read in-process through HotSpot's diagnostic command {@code Compiler.queue} (the
 * same as {@code jcmd PID Compiler.queue}): a benchmark's warm-up is over when no kernel is being compiled or waiting
 * to be, and a JVM whose compilation log a test reads must not exit while kernel compiles are queued (they would be
 * missing from the log); and which of its methods have C2 code ({@code Compiler.codelist}). Outside HotSpot the
 * commands do not exist: the JIT is taken as settled, and no method as compiled. Public for the
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
        String queue = invoke("compilerQueue");
        return queue.contains("org.autobalance.") || queue.contains("jdk.incubator.vector.");
    }

    /**
     * The methods of the SIMD kernel package ({@code org.autobalance.kernel.simd}) that have C2 code in use now, as
     * {@code Class.method} (simple class name); empty outside HotSpot.
     */
    public static Set<String> kernelsWithC2Code() {
        Set<String> compiled = new TreeSet<>();
        String prefix = "org.autobalance.kernel.simd.";
        for (String line : invoke("compilerCodelist").split("\n")) {
            // "compile_id level state package.Class.method(signature) [addresses]"; state 0 is in use
            String[] field = line.trim().split(" ", 4);
            if (field.length == 4 && field[1].equals("4") && field[2].equals("0") && field[3].startsWith(prefix)) {
                String method = field[3].substring(prefix.length());
                int paren = method.indexOf('(');
                compiled.add(paren < 0 ? method : method.substring(0, paren));
            }
        }
        return compiled;
    }

    private static String invoke(String command) {
        if (DIAGNOSTIC == null) {
            return "";
        }
        try {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(DIAGNOSTIC, command,
                    new Object[] {null}, new String[] {String[].class.getName()});
        } catch (JMException | RuntimeException e) {
            return "";
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

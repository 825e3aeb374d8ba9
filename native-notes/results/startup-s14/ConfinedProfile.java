import org.autobalance.memory.*;
import org.autobalance.kernel.simd.SimdKernels;
import java.lang.foreign.*;
/**
 * Reproducer: a confined arena's segment, read through the JDK's memory access code before the kernels are compiled,
 * makes C2's first compile of FloatOps.dotBlock trap (profile_predicate, bci 110) on M's shared-arena segment.
 * javac --add-modules jdk.incubator.vector -cp core/target/classes -d /tmp/cp ConfinedProfile.java; then
 * java --add-modules jdk.incubator.vector @cli/jit/kernels.args -XX:CompilerDirectivesFile=cli/jit/kernels.json
 *   -XX:+LogCompilation -XX:LogFile=/tmp/cp.log -cp /tmp/cp:core/target/classes ConfinedProfile confined|shared
 * and grep the log for uncommon_trap in dotBlock: 4 profile_predicate traps and 2 C2 compiles with "confined", none
 * and 1 with "shared" (2026-12-01, Temurin 25.0.3+9).
 */
public class ConfinedProfile {
    public static void main(String[] a) throws Exception {
        int rows = 2000, cols = 1500;
        DenseMatrix m;
        try (Arena arena = a[0].equals("confined") ? Arena.ofConfined() : Arena.ofShared()) {
            MemorySegment s = arena.allocate((long) rows * cols * 4, 64);
            for (long i = 0; i < (long) rows * cols; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i));
            m = DenseMatrix.copyOf(DType.FLOAT32, rows, cols, s, ValueLayout.JAVA_FLOAT, DenseMatrix.Order.ROW_MAJOR);
        }
        SimdKernels k = new SimdKernels();
        double[] out = new double[2];
        for (int rep = 0; rep < 3; rep++) {
            Thread t = new Thread(() -> out[1] = k.dot(m, m, rows / 2, rows));
            t.start();
            out[0] = k.dot(m, m, 0, rows / 2);
            t.join();
        }
        System.out.println(out[0] + out[1]);
    }
}

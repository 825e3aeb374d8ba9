import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.autobalance.io.Npz;
import org.autobalance.memory.DType;
import org.autobalance.memory.SparseMatrix;

/** Thread CPU time of columnStarts(): the first call (the count) and five later ones (the copy of what was kept). */
public class Starts {
    public static void main(String[] a) throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        try (SparseMatrix m = Npz.read(Path.of(a[0]), DType.FLOAT32)) {
            for (int call = 0; call < 6; call++) {
                long cpu = threads.getCurrentThreadCpuTime();
                long[] s = m.columnStarts();
                System.out.printf("call %d: %.2f ms (%d columns)%n", call,
                        (threads.getCurrentThreadCpuTime() - cpu) / 1e6, s.length - 1);
            }
        }
    }
}

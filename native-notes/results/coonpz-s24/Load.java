import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.autobalance.io.Npz;
import org.autobalance.memory.DType;
import org.autobalance.memory.SparseMatrix;

/** Reads a .npz and nothing else: the load's own peak RSS (time -v) and thread CPU time. */
public class Load {
    public static void main(String[] a) throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        long cpu = threads.getCurrentThreadCpuTime();
        long wall = System.nanoTime();
        try (SparseMatrix m = Npz.read(Path.of(a[0]), DType.parse(a[1]))) {
            System.out.printf("%s %s nnz %d cpu %.2f s wall %.2f s%n", a[0], a[1], m.nonZeros(),
                    (threads.getCurrentThreadCpuTime() - cpu) / 1e9, (System.nanoTime() - wall) / 1e9);
        }
    }
}

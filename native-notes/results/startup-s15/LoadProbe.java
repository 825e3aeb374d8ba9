import java.lang.foreign.*;
import java.lang.management.*;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import org.autobalance.io.Npy;
import org.autobalance.memory.*;

public class LoadProbe {
    static ThreadMXBean tm = ManagementFactory.getThreadMXBean();
    static long wall, cpu, flt;
    static long minflt() throws Exception {
        String s = Files.readString(Path.of("/proc/self/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[7]);
    }
    static void start() throws Exception {
        wall = System.nanoTime();
        cpu = tm.getCurrentThreadCpuTime();
        flt = minflt();
    }
    static void stop(String what) throws Exception {
        System.out.printf("%-28s wall %7.1f ms cpu %7.1f ms minflt %7d%n", what, (System.nanoTime() - wall) / 1e6,
            (tm.getCurrentThreadCpuTime() - cpu) / 1e6, minflt() - flt);
    }
    public static void main(String[] a) throws Exception {
        Path p = Path.of(a[0]);
        DType dt = a.length > 1 && a[1].equals("float64") ? DType.FLOAT64 : DType.FLOAT32;
        int reps = a.length > 2 ? Integer.parseInt(a[2]) : 2;
        for (int rep = 0; rep < reps; rep++) {
            System.out.println("-- rep " + rep);
            start();
            if (rep > 0 || System.getProperty("whole") != null) {
                start();
                try (DenseMatrix m = Npy.read(p, dt)) {
                    stop("Npy.read whole");
                }
            }
            // pieces
            try (FileChannel ch = FileChannel.open(p); Arena ar = Arena.ofShared()) {
                start();
                MemorySegment f = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), ar);
                stop("map");
                long off = 128; // v1 header of these files
                String hdr = new String(f.asSlice(10, off - 10).toArray(ValueLayout.JAVA_BYTE));
                String sh = hdr.substring(hdr.indexOf("(") + 1, hdr.indexOf(")"));
                int rows = Integer.parseInt(sh.split(",")[0].trim()), cols = Integer.parseInt(sh.split(",")[1].trim());
                start();
                long sum = 0;
                for (long i = off; i < f.byteSize(); i += 4096) sum += f.get(ValueLayout.JAVA_BYTE, i);
                stop("touch file pages");
                start();
                DenseMatrix m = DenseMatrix.allocate(dt, rows, cols);
                stop("allocate (zero+madvise)");
                start();
                MemorySegment data = f.asSlice(off);
                m.copyFrom(data,
                    dt == DType.FLOAT32 ? ValueLayout.JAVA_FLOAT_UNALIGNED : ValueLayout.JAVA_DOUBLE_UNALIGNED,
                    DenseMatrix.Order.ROW_MAJOR);
                stop("copyFrom rows");
                start();
                m.copyFrom(data,
                    dt == DType.FLOAT32 ? ValueLayout.JAVA_FLOAT_UNALIGNED : ValueLayout.JAVA_DOUBLE_UNALIGNED,
                    DenseMatrix.Order.ROW_MAJOR);
                stop("copyFrom again (no faults)");
                start();
                int[] bad = m.firstNonFinite();
                stop("firstNonFinite");
                start();
                m.close();
                stop("close");
                if (bad != null || sum == 42) System.out.println("?");
            }
        }
    }
}

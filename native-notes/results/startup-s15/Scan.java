import java.lang.foreign.*;
import java.lang.management.*;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import org.autobalance.memory.*;

public class Scan {
    public static void main(String[] a) throws Exception {
        Path p = Path.of(a[0]);
        String variant = a[1];
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        try (FileChannel ch = FileChannel.open(p); Arena ar = Arena.ofShared()) {
            MemorySegment f = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), ar);
            String hdr = new String(f.asSlice(10, 118).toArray(ValueLayout.JAVA_BYTE));
            String sh = hdr.substring(hdr.indexOf("(") + 1, hdr.indexOf(")"));
            int rows = Integer.parseInt(sh.split(",")[0].trim()), cols = Integer.parseInt(sh.split(",")[1].trim());
            DenseMatrix m = DenseMatrix.allocate(DType.FLOAT32, rows, cols);
            if (variant.equals("one") || variant.equals("par")) {
                copyAndScan(m, f.asSlice(128), variant.equals("par"));
                return;
            }
            m.copyFrom(f.asSlice(128), ValueLayout.JAVA_FLOAT_UNALIGNED, DenseMatrix.Order.ROW_MAJOR);
            long c0 = tm.getCurrentThreadCpuTime(), w0 = System.nanoTime();
            Object r = switch (variant) {
                case "current" -> m.firstNonFinite();
                case "swar" -> swar(m);
                case "mul" -> mul(m);
                default -> throw new IllegalArgumentException();
            };
            System.out.printf("%s %s cpu %.1f ms wall %.1f%n", variant, r, (tm.getCurrentThreadCpuTime() - c0) / 1e6,
                    (System.nanoTime() - w0) / 1e6);
        }
    }
    static final long EXP2 = 0x7F8000007F800000L;
    static int[] swar(DenseMatrix m) {
        MemorySegment s = m.segment();
        int cols = m.cols(), half = cols >>> 1;
        long[] row = new long[half];
        float[] tail = new float[1];
        for (int i = 0; i < m.rows(); i++) {
            long off = (long) i * m.stride() * 4;
            MemorySegment.copy(s, ValueLayout.JAVA_LONG_UNALIGNED, off, row, 0, half);
            for (int j = 0; j < half; j++) {
                long v = (row[j] & EXP2) ^ EXP2;
                if (((v - 0x0000000100000001L) & ~v & 0x8000000080000000L) != 0) {
                    return new int[] {i, 2 * j};
                }
            }
        }
        return null;
    }
    static int[] mul(DenseMatrix m) {
        MemorySegment s = m.segment();
        int cols = m.cols();
        float[] row = new float[cols];
        for (int i = 0; i < m.rows(); i++) {
            MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, (long) i * m.stride() * 4, row, 0, cols);
            float acc = 0;
            for (int j = 0; j < cols; j++) {
                acc += row[j] * 0f;
            }
            if (acc != 0) return new int[] {i, 0};
        }
        return null;
    }

    /**
     * The copy and the scan together, on this thread ("one") or half the rows each on two ("par"; Par in the notes).
     */
    static void copyAndScan(DenseMatrix m, MemorySegment data, boolean par) throws Exception {
        int rows = m.rows();
        var os = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);
        long pc0 = os.getProcessCpuTime();
        long w0 = System.nanoTime();
        int[] r;
        if (par) {
            int half = rows / 2;
            int[][] other = new int[1][];
            Thread t = new Thread(() -> other[0] = copyScan(m, data, half, rows));
            t.start();
            r = copyScan(m, data, 0, half);
            t.join();
            if (r == null) r = other[0];
        } else {
            r = copyScan(m, data, 0, rows);
        }
        System.out.printf("%s %s wall %.1f ms process cpu %.1f ms%n", par ? "par" : "one", r,
            (System.nanoTime() - w0) / 1e6, (os.getProcessCpuTime() - pc0) / 1e6);
    }

    static int[] copyScan(DenseMatrix m, MemorySegment data, int from, int to) {
        int cols = m.cols();
        long rowBytes = cols * 4L;
        for (int i = from; i < to; i++) m.copyRowFrom(i, data, i * rowBytes, ValueLayout.JAVA_FLOAT_UNALIGNED);
        float[] row = new float[cols];
        MemorySegment s = m.segment();
        for (int i = from; i < to; i++) {
            MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, (long) i * m.stride() * 4, row, 0, cols);
            for (int j = 0; j < cols; j++) if (row[j] - row[j] != 0) return new int[] {i, j};
        }
        return null;
    }
}

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
            m.copyFrom(f.asSlice(128), ValueLayout.JAVA_FLOAT_UNALIGNED, DenseMatrix.Order.ROW_MAJOR);
            long c0 = tm.getCurrentThreadCpuTime(), w0 = System.nanoTime();
            Object r = switch (variant) {
                case "current" -> m.firstNonFinite();
                case "swar" -> swar(m);
                case "mul" -> mul(m);
                default -> throw new IllegalArgumentException();
            };
            System.out.printf("%s %s cpu %.1f ms wall %.1f%n", variant, r, (tm.getCurrentThreadCpuTime() - c0) / 1e6, (System.nanoTime() - w0) / 1e6);
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
}

import java.lang.foreign.*;
import java.lang.management.*;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import org.autobalance.memory.*;

public class Par {
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
    public static void main(String[] a) throws Exception {
        Path p = Path.of(a[0]);
        boolean par = a[1].equals("par");
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        try (FileChannel ch = FileChannel.open(p); Arena ar = Arena.ofShared()) {
            MemorySegment f = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), ar);
            String hdr = new String(f.asSlice(10, 118).toArray(ValueLayout.JAVA_BYTE));
            String sh = hdr.substring(hdr.indexOf("(") + 1, hdr.indexOf(")"));
            int rows = Integer.parseInt(sh.split(",")[0].trim()), cols = Integer.parseInt(sh.split(",")[1].trim());
            DenseMatrix m = DenseMatrix.allocate(DType.FLOAT32, rows, cols);
            MemorySegment data = f.asSlice(128);
            long pc0 = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class).getProcessCpuTime();
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
            long w = System.nanoTime() - w0;
            long pc = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class).getProcessCpuTime() - pc0;
            System.out.printf("%s %s wall %.1f ms process cpu %.1f ms%n", a[1], r, w / 1e6, pc / 1e6);
        }
    }
}

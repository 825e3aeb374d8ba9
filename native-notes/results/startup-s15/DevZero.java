import java.lang.foreign.*;
import java.lang.management.*;
import java.nio.channels.FileChannel;
import java.nio.file.*;
public class DevZero {
    static long minflt() throws Exception {
        String s = Files.readString(Path.of("/proc/self/stat"));
        return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[7]);
    }
    public static void main(String[] a) throws Exception {
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        long bytes = 64L << 20;
        Arena arena = Arena.ofShared();
        long c = tm.getCurrentThreadCpuTime(), f = minflt();
        MemorySegment s;
        if (a[0].equals("zero")) {
            try (FileChannel ch = FileChannel.open(Path.of("/dev/zero"), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                s = ch.map(FileChannel.MapMode.PRIVATE, 0, bytes + (2 << 20), arena);
            }
        } else {
            s = arena.allocate(bytes, 2 << 20);
        }
        long c1 = tm.getCurrentThreadCpuTime(), f1 = minflt();
        for (long i = 0; i < bytes; i += 4096) s.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
        long c2 = tm.getCurrentThreadCpuTime(), f2 = minflt();
        System.out.printf("%s alloc cpu %.1f ms flt %d; touch cpu %.1f ms flt %d; addr %% 2M = %d%n", a[0],
                (c1 - c) / 1e6, f1 - f, (c2 - c1) / 1e6, f2 - f1, s.address() % (2 << 20));
        System.out.println(Files.readAllLines(Path.of("/proc/self/smaps")).stream()
                .filter(l -> l.startsWith("AnonHugePages") && !l.endsWith(" 0 kB")).toList());
    }
}

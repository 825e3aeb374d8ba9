import java.lang.foreign.*;
import java.lang.invoke.*;
import java.lang.management.*;

public class Link {
    public static void main(String[] a) throws Throwable {
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        Linker l = Linker.nativeLinker();
        long c = tm.getCurrentThreadCpuTime();
        MethodHandle madvise = l.downcallHandle(l.defaultLookup().find("madvise").get(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT));
        long c1 = tm.getCurrentThreadCpuTime();
        MethodHandle mmap = l.downcallHandle(l.defaultLookup().find("mmap").get(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        long c2 = tm.getCurrentThreadCpuTime();
        MethodHandle munmap = l.downcallHandle(l.defaultLookup().find("munmap").get(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        long c3 = tm.getCurrentThreadCpuTime();
        long bytes = 64L << 20;
        MemorySegment p = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, bytes, 3, 0x22, -1, 0L);
        long c4 = tm.getCurrentThreadCpuTime();
        int r = (int) madvise.invokeExact(p, bytes, 14);
        long c5 = tm.getCurrentThreadCpuTime();
        int u = (int) munmap.invokeExact(p, bytes);
        long c6 = tm.getCurrentThreadCpuTime();
        System.out.printf(
            "link madvise %.1f mmap %.1f munmap %.1f; call mmap %.1f madvise %.1f munmap %.1f ms (%d %d)%n",
            (c1 - c) / 1e6, (c2 - c1) / 1e6, (c3 - c2) / 1e6, (c4 - c3) / 1e6, (c5 - c4) / 1e6, (c6 - c5) / 1e6, r, u);
    }
}

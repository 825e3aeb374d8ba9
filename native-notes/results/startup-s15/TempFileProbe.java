import java.lang.management.*;
import java.nio.file.*;
import java.util.concurrent.ThreadLocalRandom;
public class TempFileProbe {
    public static void main(String[] a) throws Exception {
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        Path d = Path.of(a[1]);
        Files.exists(d); if (a.length > 2) java.security.MessageDigest.getInstance("SHA-256");
        long c = tm.getCurrentThreadCpuTime(), w = System.nanoTime();
        if (a[0].equals("temp")) {
            Files.delete(Files.createTempFile(d, ".probe-", null));
        } else {
            Path p = d.resolve(".probe-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
            Files.createFile(p);
            Files.delete(p);
        }
        System.out.printf("%s cpu %.1f ms wall %.1f ms%n", a[0], (tm.getCurrentThreadCpuTime() - c) / 1e6,
                (System.nanoTime() - w) / 1e6);
    }
}

package org.autobalance.memory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The native memory held by this JVM's matrices, and its limit: the machine's physical memory (the container's limit
 * inside one). A matrix that would take the total past the limit is refused before any of it is allocated, with a
 * message that says so: without swap the kernel would kill the process when it touched the pages (native allocations
 * are overcommitted, and a new matrix is zero-filled), after minutes of paging — measured with a valid 2·10⁸ × 3
 * sparse file factorised at rank 1, whose work matrices of 12.8 GB each grew the process to 23.8 GB in 171 s before it
 * was killed on a 24 GB machine. {@link #requireHeap} is the same refusal for the arrays a run keeps on the Java heap,
 * whose limit is the JVM's own ({@code -Xmx}).
 */
public final class NativeMemory {
    /**
     * The most elements of one Java array: HotSpot refuses a longer one ("Requested array size exceeds VM limit")
     * whatever the heap, and an int count past 2³¹ − 1 wraps negative.
     */
    public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    /** The largest n whose n × n matrix is one Java array ({@link #MAX_ARRAY_LENGTH} elements at most): 46 340. */
    public static final int MAX_SQUARE_SIDE = (int) Math.sqrt(MAX_ARRAY_LENGTH);

    /**
     * Totals up to this many bytes are not checked against the limit, so that a JVM of small matrices never asks for
     * it: the operating system's management bean costs 40–50 ms of a fresh JVM's start.
     */
    private static final long UNCHECKED = 256L << 20;
    private static final AtomicLong LIVE = new AtomicLong();

    /** The limit, asked for once, when a total first passes {@link #UNCHECKED} or a caller asks for it. */
    private static final class Limit {
        static final long BYTES = askTheSystem();
    }

    private NativeMemory() {
    }

    /** This machine's physical memory in bytes (the container's limit inside one), or Long.MAX_VALUE if unknown. */
    public static long physicalBytes() {
        return Limit.BYTES;
    }

    private static long askTheSystem() {
        try {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                return os.getTotalMemorySize();
            }
        } catch (LinkageError e) {
            // java.management or jdk.management absent: no limit beyond what the allocation itself enforces
        }
        return Long.MAX_VALUE;
    }

    /**
     * Bytes of native memory held by the open matrices of this JVM ({@link DenseMatrix}, {@link SparseMatrix}) and by
     * the engines' sparse panel layouts ({@link NativeArena}).
     */
    public static long liveBytes() {
        return LIVE.get();
    }

    /**
     * Refuses, before anything is allocated, work that will need {@code bytes} more native memory than the open
     * matrices hold: a solver calls it with what it knows it will allocate, so that the refusal does not come after
     * gigabytes have been allocated and zero-filled.
     *
     * @throws IllegalArgumentException naming {@code what} if the total would pass the limit
     */
    public static void requireRoom(long bytes, Supplier<String> what) {
        Objects.requireNonNull(what, "what must not be null");
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be at least 0, got " + bytes);
        }
        if (!fitsAfterCollecting(() -> bytes <= UNCHECKED - LIVE.get() || bytes <= Limit.BYTES - LIVE.get())) {
            throw new IllegalArgumentException(refusal(what.get(), bytes, LIVE.get(), Limit.BYTES));
        }
    }

    /**
     * Refuses, before anything is allocated, work whose arrays on the Java heap take {@code bytes} at once: more than
     * the heap may grow to ({@code -Xmx}; by default a quarter of the physical memory) certainly fails, and late — with
     * an {@code OutOfMemoryError} and its stack trace after the native matrices were allocated and zero-filled, or
     * after minutes of collections as the heap fills. The native memory's counterpart is {@link #requireRoom}; here the
     * callers count a floor of what they hold at once, so a refusal is certain.
     *
     * @throws IllegalArgumentException naming {@code what}, the bytes and the heap's limit
     */
    public static void requireHeap(long bytes, Supplier<String> what) {
        Objects.requireNonNull(what, "what must not be null");
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be at least 0, got " + bytes);
        }
        long max = Runtime.getRuntime().maxMemory();
        if (bytes > max) {
            throw new IllegalArgumentException("cannot " + what.get() + ": that takes at least " + size(bytes)
                    + " of Java heap, more than the " + size(max) + " this JVM's heap may take" + heapAdvice(bytes,
                    physicalBytes()));
        }
    }

    /**
     * {@link #requireHeap} for arrays that live in the heap's old generation: one too large for the young generation
     * is allocated there directly, and one kept for the whole run is promoted there; the old generation cannot borrow
     * the young one's room, so such arrays must fit it, not the whole heap. Its size is taken as two thirds of {@link
     * Runtime#maxMemory}: the launcher runs the serial collector, whose heap H is a young generation of H / (NewRatio
     * + 1) = H / 3 (NewRatio 2 by default; eden and two survivor spaces of H / 30) and an old generation of 2H / 3, and
     * whose maxMemory is H less one survivor space, 29H / 30; two thirds of that, 0.64 H, is under the old generation.
     * The parallel collector splits the heap alike; G1 sizes its young generation as it goes and puts a huge array in
     * free regions anywhere, so two thirds is conservative there. dense:7000 under -Xmx1g (its 7000 x 7000 matrix
     * invariant twice, 748 MiB, under the 990 MiB maxMemory but over the 683 MiB old generation) passed {@link
     * #requireHeap} and ran out of heap at its first record.
     *
     * @throws IllegalArgumentException naming {@code what}, the bytes and the old generation's share of the heap
     */
    public static void requireOldGeneration(long bytes, Supplier<String> what) {
        Objects.requireNonNull(what, "what must not be null");
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be at least 0, got " + bytes);
        }
        long max = Runtime.getRuntime().maxMemory();
        long old = max / 3 * 2;
        if (bytes > old) {
            throw new IllegalArgumentException("cannot " + what.get() + ": that takes at least " + size(bytes)
                    + " of Java heap in arrays its old generation holds, more than the " + size(old) + " (two thirds "
                    + "of the " + size(max) + " this JVM's heap may take) that generation is sure to have"
                    + heapAdvice(bytes, physicalBytes()));
        }
    }

    /** A size in MiB or GiB, to one decimal, for messages. */
    public static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    /**
     * How to run with a heap of twice {@code bytes}, in whole GiB, but no more than this machine's memory holds when
     * that still exceeds {@code bytes}: the option through {@code JDK_JAVA_OPTIONS}, which the java launcher (and so
     * {@code ./autobalance}) reads. Twice, as the callers know a floor of what a run holds, or only the limit it
     * passed; capped, as a heap larger than the memory is no advice (-Xmx30g was offered on a 23 GiB machine).
     */
    public static String heapOption(long bytes) {
        return heapOption(bytes, physicalBytes());
    }

    /** {@link #heapOption(long)} on a machine of {@code physical} bytes. */
    static String heapOption(long bytes, long physical) {
        long gib = Math.max(1, (long) Math.ceil(2.0 * bytes / (1L << 30)));
        long whole = physical / (1L << 30);
        return "JDK_JAVA_OPTIONS=-Xmx" + (gib > whole && heapCanExceed(bytes, physical) ? whole : gib) + "g";
    }

    /**
     * Whether a heap larger than {@code bytes} fits this machine's memory in whole GiB (-Xmx takes whole GiB here):
     * else no heap option is worth advising, only a smaller problem.
     */
    public static boolean heapCanExceed(long bytes) {
        return heapCanExceed(bytes, physicalBytes());
    }

    private static boolean heapCanExceed(long bytes, long physical) {
        return (physical >> 30) << 30 > bytes;
    }

    /**
     * What follows "more than the heap may take" in {@link #requireHeap}'s refusal on a machine of {@code physical}
     * bytes: the option that gives the heap more, or that the machine cannot.
     */
    static String heapAdvice(long bytes, long physical) {
        return heapCanExceed(bytes, physical) ? "; give it more with " + heapOption(bytes, physical)
                : ", and this machine's " + size(physical) + " of memory holds no heap that large";
    }

    /**
     * Counts {@code bytes} as held, or refuses them if the total would pass the limit.
     *
     * @throws IllegalArgumentException naming {@code what} if the total would pass the limit; nothing is counted
     */
    static void reserve(long bytes, Supplier<String> what) {
        if (!fitsAfterCollecting(() -> tryReserve(LIVE, UNCHECKED, bytes)
                || fitsAvailable(bytes, NativeMemory::availableBytes) && tryReserve(LIVE, Limit.BYTES, bytes))) {
            long available = availableBytes();
            throw new IllegalArgumentException(fitsAvailable(bytes, () -> available)
                    ? refusal("allocate " + what.get(), bytes, LIVE.get(), Limit.BYTES)
                    : "cannot allocate " + what.get() + " (" + bytes + " bytes of native memory): the machine has "
                    + available + " bytes available now (of " + Limit.BYTES + " physical; the rest is in use)");
        }
    }

    /**
     * Whether one allocation of {@code bytes} fits in what the machine has {@code available} now. Below the physical
     * memory is not enough: a 3 × 2·10⁹ float32 .npy (24 GB of 25.3 GB physical, 21 GB available) was allocated and
     * zero-filled until the kernel's out-of-memory killer ended the process, without a word. Only an allocation above
     * {@link #UNCHECKED} is held to it, and only then is {@code available} asked (a small one cannot be what exhausts
     * the machine, and the answer reads a file).
     */
    static boolean fitsAvailable(long bytes, LongSupplier available) {
        return bytes <= UNCHECKED || bytes <= available.getAsLong();
    }

    /**
     * The memory the machine can give now: {@code MemAvailable} of {@code /proc/meminfo} (free memory plus what the
     * kernel can reclaim, such as the page cache of a mapped input; swap not counted), and in a container limited by
     * cgroup v2 at most its {@code memory.max − memory.current} ({@code /proc/meminfo} shows the host's memory there);
     * Long.MAX_VALUE where neither is known.
     */
    static long availableBytes() {
        long available = Long.MAX_VALUE;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    available = Long.parseLong(line.substring("MemAvailable:".length()).replace("kB", "").strip())
                            * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no such line (kernels before 3.14): the physical limit alone
        }
        try {
            Path cgroup = Path.of("/sys/fs/cgroup");
            String max = Files.readString(cgroup.resolve("memory.max")).strip();
            if (!max.equals("max")) {
                long current = Long.parseLong(Files.readString(cgroup.resolve("memory.current")).strip());
                available = Math.min(available, Math.max(0, Long.parseLong(max) - current));
            }
        } catch (IOException | RuntimeException e) {
            // no cgroup v2 limit visible here (cgroup v1, the host's root cgroup, not Linux)
        }
        return available;
    }

    /** Counts {@code bytes} as freed. */
    static void release(long bytes) {
        LIVE.addAndGet(-bytes);
    }

    /** Adds {@code bytes} to {@code live} unless the total would pass {@code limit} (package-private for the tests). */
    static boolean tryReserve(AtomicLong live, long limit, long bytes) {
        long held = live.get();
        while (bytes <= limit - held) {
            long witness = live.compareAndExchange(held, held + bytes);
            if (witness == held) {
                return true;
            }
            held = witness;
        }
        return false;
    }

    /**
     * {@code attempt}, and if it fails, again after a garbage collection has let the {@link java.lang.ref.Cleaner}
     * free the matrices dropped without {@code close()} (waiting up to about half a second, as {@code java.nio} does
     * for direct buffers): they still count until then.
     */
    private static boolean fitsAfterCollecting(BooleanSupplier attempt) {
        if (attempt.getAsBoolean()) {
            return true;
        }
        System.gc();
        for (long wait = 1; wait <= 256; wait *= 2) {
            if (attempt.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return attempt.getAsBoolean();
    }

    private static String refusal(String what, long bytes, long held, long limit) {
        return "cannot " + what + " (" + bytes + " bytes of native memory): with the " + held + " bytes this "
                + "process's matrices hold already, that is more than the " + limit + " bytes of physical memory";
    }
}

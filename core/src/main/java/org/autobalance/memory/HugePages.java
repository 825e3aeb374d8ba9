package org.autobalance.memory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.autobalance.kernel.EngineProperties;

/**
 * Transparent huge pages (Linux) for the large matrices {@link DenseMatrix} allocates, as numpy does for its arrays.
 *
 * <p>Why: the kernels stream M once per iteration. In 4 KiB pages a 64 MiB M is 16 384 pages: a TLB miss and a stop of
 * the hardware prefetchers (which do not cross a 4 KiB page) every 64 cache lines. In 2 MiB pages the same pass ran
 * 2–15 % faster (float32 r = 1 −12 %, r = 16 −3.5 %, r = 64 −3 %; float64 r = 1 −15 %, r = 64 −2 %: the same M in
 * both page sizes, calls alternated in one JVM; native-notes/kernels.md §20).
 *
 * <p>How: a matrix of at least {@link #THRESHOLD} bytes is allocated on a huge-page boundary. Where the kernel gives
 * huge pages to every large enough anonymous region ({@code always} in {@code
 * /sys/kernel/mm/transparent_hugepage/enabled}) that is all it takes. Where it gives them only on request
 * ({@code madvise}, the default of Debian and Ubuntu), the whole huge pages of the matrix are marked with {@code
 * madvise(MADV_HUGEPAGE)} before anything touches them: the matrix's memory is mapped anonymously ({@code mmap}),
 * and its first writes fault in zeroed huge pages. ({@code Arena.allocate} writes zeros into its memory first, as 4
 * KiB pages, one fault each: a 128 MiB matrix took 0.36 s to allocate on the 2-core Zen 5 guest, numpy's array with
 * its own madvise 0.02 s; marking and releasing those pages afterwards, as this class first did, only added to that.)
 * Where the mapping fails, {@code Arena.allocate}'s memory is marked and its 4 KiB pages released ({@code
 * MADV_DONTNEED}), so that the next touch faults in zeroed huge pages. Contents are zero either way,
 * so the matrix reads exactly as a freshly allocated one. Calling {@code madvise} is a restricted method of the
 * foreign-function API, so it is only done when native access is enabled for this code ({@code
 * --enable-native-access}, which the launcher passes); without it, and on other systems, nothing changes. Best effort:
 * the kernel may still hand out 4 KiB pages (no huge page free), which is only slower.
 * {@code -Dautobalance.memory.hugePages=false} turns it off.
 */
final class HugePages {
    /** Matrices of at least this many bytes go on huge pages (numpy's threshold for the same advice). */
    static final long THRESHOLD = 4L << 20;
    private static final int MADV_DONTNEED = 4;
    private static final int MADV_HUGEPAGE = 14;
    private static final Path SYSFS = Path.of("/sys/kernel/mm/transparent_hugepage");
    /**
     * What the system gives, read once (after the constants above, which reading it uses).
     * {@code -Dautobalance.memory.hugePages} is not read here but from {@link EngineProperties}, whose first check
     * (every matrix's constructor makes it before allocating) fixes it for the JVM's life and refuses a value that is
     * not true or false, which must not be thrown from this class's initialiser.
     */
    static final Mode MODE = mode();
    private static final long SIZE = MODE == Mode.NONE ? 0 : pmdSize();

    /**
     * The madvise downcall, linked when the first large matrix is allocated, not when the first matrix is: linking
     * it took 50–70 ms of a fresh JVM here (the first 10 × 10 allocation 74–100 ms with it, 26–32 without), which a
     * process of small matrices has no use for.
     */
    private static final class Madvise {
        static final MethodHandle HANDLE = MODE == Mode.ADVISE && SIZE > 0 ? madvise() : null;
    }

    /**
     * The mmap and munmap downcalls, linked with {@link Madvise} (same restriction), for the mapped allocation of
     * {@link #allocate}.
     */
    private static final class Mapping {
        static final MethodHandle MMAP = Madvise.HANDLE == null ? null : downcall("mmap", FunctionDescriptor.of(
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        static final MethodHandle MUNMAP = MMAP == null ? null : downcall("munmap", FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    /** PROT_READ | PROT_WRITE. */
    private static final int READ_WRITE = 3;
    /** MAP_PRIVATE | MAP_ANONYMOUS (Linux). */
    private static final int PRIVATE_ANONYMOUS = 0x22;

    /** What the allocation does about huge pages. */
    enum Mode {
        /** Nothing (not Linux, THP off, or requested-only THP without native access). */
        NONE,
        /** Align large matrices to a huge page; the kernel backs them with huge pages by itself. */
        ALIGN,
        /** Align, then ask for huge pages with {@code madvise}. */
        ADVISE
    }

    private HugePages() {
    }

    /** The alignment to allocate {@code bytes} of matrix with: a huge page for a large matrix where they are used. */
    static long alignment(long bytes, long minimum) {
        return bytes >= THRESHOLD && EngineProperties.HUGE_PAGES.or(true) && SIZE > 0
                && (MODE == Mode.ALIGN || Madvise.HANDLE != null) ? SIZE : minimum;
    }

    /**
     * Zeroed memory of {@code bytes} for a matrix, freed when {@code arena} closes, on a {@code minimum} boundary or,
     * for a large matrix where huge pages are used, a huge page's: where they are given on request, mapped and marked
     * for them before it is touched; otherwise {@code arena.allocate}'s, marked afterwards ({@link #advise}).
     *
     * @throws OutOfMemoryError if the memory cannot be had
     */
    static MemorySegment allocate(Arena arena, long bytes, long minimum) {
        long alignment = alignment(bytes, minimum);
        if (alignment == SIZE && MODE == Mode.ADVISE && Mapping.MUNMAP != null) {
            MemorySegment mapped = map(arena, bytes);
            if (mapped != null) {
                return mapped;
            }
        }
        MemorySegment segment = arena.allocate(bytes, alignment);
        advise(segment);
        return segment;
    }

    /**
     * {@code bytes} of anonymous memory from a huge-page boundary, marked for huge pages, unmapped when {@code arena}
     * closes; null when the mapping fails ({@code arena.allocate} then tries, and says why if it fails too).
     */
    @SuppressWarnings("restricted")
    private static MemorySegment map(Arena arena, long bytes) {
        long length = bytes + SIZE; // room to start on a huge page
        long base;
        try {
            base = ((MemorySegment) Mapping.MMAP.invokeExact(MemorySegment.NULL, length, READ_WRITE,
                    PRIVATE_ANONYMOUS, -1, 0L)).address();
        } catch (Throwable e) {
            return null;
        }
        if (base == -1L) { // MAP_FAILED
            return null;
        }
        long start = (base + SIZE - 1) / SIZE * SIZE;
        MemorySegment segment = MemorySegment.ofAddress(start).reinterpret(bytes, arena, s -> unmap(base, length));
        try {
            int ignored = (int) Madvise.HANDLE.invokeExact(segment, bytes / SIZE * SIZE, MADV_HUGEPAGE);
        } catch (Throwable e) {
            // a hint: without it the memory is still zero and whole, in 4 KiB pages
        }
        return segment;
    }

    private static void unmap(long base, long length) {
        try {
            int ignored = (int) Mapping.MUNMAP.invokeExact(MemorySegment.ofAddress(base), length);
        } catch (Throwable e) {
            // nothing to do: the address range stays reserved until the process ends
        }
    }

    /**
     * Asks for huge pages under a segment that {@link #alignment} aligned and that holds only zeros; a no-op
     * otherwise. Returns the number of bytes advised (0 when nothing was done).
     */
    static long advise(MemorySegment zeroed) {
        long len = SIZE > 0 ? zeroed.byteSize() / SIZE * SIZE : 0;
        if (MODE != Mode.ADVISE || !EngineProperties.HUGE_PAGES.or(true) || zeroed.byteSize() < THRESHOLD || len == 0
                || zeroed.address() % SIZE != 0 || Madvise.HANDLE == null) {
            return 0;
        }
        try {
            if ((int) Madvise.HANDLE.invokeExact(zeroed, len, MADV_HUGEPAGE) != 0) {
                return 0;
            }
            // Frees the 4 KiB pages the allocation zeroed; the next touch faults in zeroed huge pages.
            return (int) Madvise.HANDLE.invokeExact(zeroed, len, MADV_DONTNEED) == 0 ? len : 0;
        } catch (Throwable e) {
            // A hint about pages must never fail an allocation: the matrix is complete and zero without it.
            return 0;
        }
    }

    /**
     * The mode for the text of {@code /sys/kernel/mm/transparent_hugepage/enabled} ({@code always [madvise] never}:
     * the bracketed word is the setting), or NONE when it is unreadable ({@code null}) or not understood.
     */
    static Mode parse(String enabled, boolean nativeAccess) {
        if (enabled == null) {
            return Mode.NONE;
        }
        int a = enabled.indexOf('[');
        int b = enabled.indexOf(']', a + 1);
        String setting = a >= 0 && b > a ? enabled.substring(a + 1, b) : "";
        return switch (setting) {
            case "always" -> Mode.ALIGN;
            case "madvise" -> nativeAccess ? Mode.ADVISE : Mode.NONE;
            default -> Mode.NONE;
        };
    }

    private static Mode mode() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return Mode.NONE;
        }
        return parse(read("enabled"), HugePages.class.getModule().isNativeAccessEnabled());
    }

    /**
     * The huge page size, or 0 where it is not 2 MiB (x86-64, and aarch64 with 4 KiB pages): elsewhere (512 MiB on
     * 64 KiB-page kernels) aligning every large matrix to one would cost more address space than it is worth.
     */
    private static long pmdSize() {
        String s = read("hpage_pmd_size");
        return s != null && s.strip().equals(Long.toString(2L << 20)) ? 2L << 20 : 0;
    }

    private static String read(String name) {
        try {
            return Files.readString(SYSFS.resolve(name));
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** Called only when {@link #mode} found native access enabled, so the restricted call never warns. */
    private static MethodHandle madvise() {
        return downcall("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }

    /** The C library's {@code name} as a method handle, null where it is not found. */
    @SuppressWarnings("restricted")
    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find(name).map(f -> linker.downcallHandle(f, descriptor)).orElse(null);
    }
}

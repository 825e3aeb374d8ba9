package org.autobalance.bench.baseline;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.memory.DType;

/**
 * OpenBLAS's CBLAS interface through {@code java.lang.foreign}: no JNI, no copies — the routines read and write the
 * native segments of {@link org.autobalance.memory.DenseMatrix} in place (row-major, leading dimension = stride).
 *
 * <p>Where the library comes from, first found wins:
 * <ol>
 *   <li>{@code -Dautobalance.openblas=/path/libopenblas.so} (an explicit choice);
 *   <li>the class path: {@code org.bytedeco:openblas:0.3.31-1.5.13:linux-x86_64} (a Maven dependency of the bench
 *       module, shaded into {@code benchmarks.jar}) holds {@code libopenblas.so.0} with the gfortran/quadmath/gcc_s
 *       runtime it needs; they are extracted into {@code ~/.cache/autobalance/openblas-0.3.31/} (or a temporary
 *       directory) and loaded from there — its RUNPATH is {@code $ORIGIN}, so the runtime is found beside it;
 *   <li>the system's {@code libopenblas.so.0} (Debian {@code libopenblas0}).
 * </ol>
 * When none loads, {@link #available()} is false and {@link #unavailableReason()} says why; callers skip the OpenBLAS
 * baselines and say so.
 *
 * <p>The library stays loaded for the life of the JVM (a global arena): OpenBLAS starts its own thread pool at load
 * and cannot be unloaded safely.
 */
public final class OpenBlas {
    /** CBLAS enum values (cblas.h). */
    static final int ROW_MAJOR = 101;
    static final int NO_TRANS = 111;
    static final int TRANS = 112;

    private static final String VERSION = "0.3.31";
    private static final String RESOURCE_DIR = "org/bytedeco/openblas/linux-x86_64/";
    /** The library and the runtime it links against. */
    private static final String[] RESOURCE_FILES = {"libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5",
        "libopenblas.so.0"};
    /**
     * Loaded by path before the library, in this order: libopenblas's RUNPATH ($ORIGIN) finds libgfortran beside it,
     * but libgfortran has no RUNPATH, so its libquadmath would be looked up only in the system's directories. Once a
     * library with that soname is loaded, the dynamic linker reuses it. libgcc_s is left to the system (every glibc
     * system has it, and the JVM may have loaded it already).
     */
    private static final String[] PRELOAD = {"libquadmath.so.0", "libgfortran.so.5"};

    private static final Holder HOLDER = Holder.load();

    private OpenBlas() {
    }

    /** Whether a usable OpenBLAS was found. */
    public static boolean available() {
        return HOLDER.failure == null;
    }

    /** Why OpenBLAS is unavailable, or {@code null} when it is available. */
    public static String unavailableReason() {
        return HOLDER.failure;
    }

    /** Where the library was loaded from and its build configuration (e.g. {@code OpenBLAS 0.3.31 ... Zen}). */
    public static String describe() {
        requireAvailable();
        return HOLDER.config + " (" + HOLDER.origin + ")";
    }

    /** Sets the number of OpenBLAS threads for all later calls (a process-wide setting). */
    public static void setThreads(int threads) {
        requireAvailable();
        try {
            HOLDER.setNumThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The number of OpenBLAS threads now in force. */
    public static int threads() {
        requireAvailable();
        try {
            return (int) HOLDER.getNumThreads.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** C ← α·op(A)·op(B) + β·C in float32, row-major; a, b, c are native segments, ld* in elements. */
    private static void sgemm(int transA, int transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
            MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        try {
            HOLDER.sgemm.invokeExact(ROW_MAJOR, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** C ← α·op(A)·op(B) + β·C in float64, row-major. */
    private static void dgemm(int transA, int transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
            MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        try {
            HOLDER.dgemm.invokeExact(ROW_MAJOR, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** y ← α·op(A)·x + β·y in float32, row-major A (m × n); incX, incY are element strides of x and y. */
    private static void sgemv(int trans, int m, int n, float alpha, MemorySegment a, int lda, MemorySegment x,
            int incX, float beta, MemorySegment y, int incY) {
        try {
            HOLDER.sgemv.invokeExact(ROW_MAJOR, trans, m, n, alpha, a, lda, x, incX, beta, y, incY);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** y ← α·op(A)·x + β·y in float64. */
    private static void dgemv(int trans, int m, int n, double alpha, MemorySegment a, int lda, MemorySegment x,
            int incX, double beta, MemorySegment y, int incY) {
        try {
            HOLDER.dgemv.invokeExact(ROW_MAJOR, trans, m, n, alpha, a, lda, x, incX, beta, y, incY);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** y ← α·x + y over n float32 elements. */
    private static void saxpy(int n, float alpha, MemorySegment x, MemorySegment y) {
        try {
            HOLDER.saxpy.invokeExact(n, alpha, x, 1, y, 1);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** y ← α·x + y over n float64 elements. */
    private static void daxpy(int n, double alpha, MemorySegment x, MemorySegment y) {
        try {
            HOLDER.daxpy.invokeExact(n, alpha, x, 1, y, 1);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@link #sgemm} or {@link #dgemm} by {@code dtype}; α and β are rounded to float for float32. */
    static void gemm(DType dtype, int transA, int transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
            MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        if (dtype == DType.FLOAT32) {
            sgemm(transA, transB, m, n, k, (float) alpha, a, lda, b, ldb, (float) beta, c, ldc);
        } else {
            dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /** {@link #saxpy} or {@link #daxpy} by {@code dtype}. */
    static void axpy(DType dtype, int n, double alpha, MemorySegment x, MemorySegment y) {
        if (dtype == DType.FLOAT32) {
            saxpy(n, (float) alpha, x, y);
        } else {
            daxpy(n, alpha, x, y);
        }
    }

    /**
     * C ← op(A)·B for a d1 × d2 matrix A and a skinny B of r columns: gemv when r = 1, as numpy's matmul does (gemm
     * with one column does not stream A and measured ~4× slower), gemm otherwise. Leading dimensions in elements; for
     * r = 1 they are the strides between the single column's entries.
     */
    static void skinnyProduct(DType dtype, int transA, int d1, int d2, int r, MemorySegment a, int lda,
            MemorySegment b, int ldb, MemorySegment c, int ldc) {
        if (r == 1) {
            if (dtype == DType.FLOAT32) {
                sgemv(transA, d1, d2, 1f, a, lda, b, ldb, 0f, c, ldc);
            } else {
                dgemv(transA, d1, d2, 1, a, lda, b, ldb, 0, c, ldc);
            }
        } else {
            boolean plain = transA == NO_TRANS;
            gemm(dtype, transA, NO_TRANS, plain ? d1 : d2, r, plain ? d2 : d1, 1, a, lda, b, ldb, 0, c, ldc);
        }
    }

    private static void requireAvailable() {
        if (HOLDER.failure != null) {
            throw new IllegalStateException("OpenBLAS is not available: " + HOLDER.failure);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    /** The loaded library and its downcall handles (all null with a failure message when nothing loaded). */
    private record Holder(String failure, String origin, String config, MethodHandle sgemm, MethodHandle dgemm,
            MethodHandle sgemv, MethodHandle dgemv, MethodHandle saxpy, MethodHandle daxpy, MethodHandle setNumThreads,
            MethodHandle getNumThreads) {

        static Holder load() {
            List<String> tried = new ArrayList<>();
            String explicit = System.getProperty("autobalance.openblas");
            if (explicit != null) {
                return tryLoad(SymbolLookupSource.path(Path.of(explicit)), "-Dautobalance.openblas=" + explicit, tried);
            }
            Path extracted = null;
            try {
                extracted = extractFromClassPath();
            } catch (IOException | RuntimeException e) {
                tried.add("class path (org.bytedeco:openblas:" + VERSION + "-1.5.13:linux-x86_64): " + e.getMessage());
            }
            if (extracted != null) {
                Holder h = tryLoad(SymbolLookupSource.path(extracted), "org.bytedeco:openblas jar, extracted to "
                        + extracted.getParent(), tried);
                if (h.failure == null) {
                    return h;
                }
            } else if (tried.isEmpty()) {
                tried.add("class path: no org.bytedeco:openblas:linux-x86_64 jar");
            }
            Holder h = tryLoad(SymbolLookupSource.name("libopenblas.so.0"), "system libopenblas.so.0", tried);
            if (h.failure == null) {
                return h;
            }
            return failed(String.join("; ", tried) + " (install it with 'apt-get install libopenblas0' or build the "
                    + "bench module, whose benchmarks.jar carries it)");
        }

        private static Holder failed(String why) {
            return new Holder(why, null, null, null, null, null, null, null, null, null, null);
        }

        // restricted methods (native linking): the launcher and the benchmark forks pass --enable-native-access
        @SuppressWarnings("restricted")
        private static Holder tryLoad(SymbolLookupSource source, String origin, List<String> tried) {
            try {
                SymbolLookup lookup = source.open();
                Linker linker = Linker.nativeLinker();
                ValueLayout.OfInt i = ValueLayout.JAVA_INT;
                var p = ValueLayout.ADDRESS;
                MethodHandle sgemm = linker.downcallHandle(find(lookup, "cblas_sgemm"), FunctionDescriptor.ofVoid(
                        i, i, i, i, i, i, ValueLayout.JAVA_FLOAT, p, i, p, i, ValueLayout.JAVA_FLOAT, p, i));
                MethodHandle dgemm = linker.downcallHandle(find(lookup, "cblas_dgemm"), FunctionDescriptor.ofVoid(
                        i, i, i, i, i, i, ValueLayout.JAVA_DOUBLE, p, i, p, i, ValueLayout.JAVA_DOUBLE, p, i));
                MethodHandle sgemv = linker.downcallHandle(find(lookup, "cblas_sgemv"), FunctionDescriptor.ofVoid(
                        i, i, i, i, ValueLayout.JAVA_FLOAT, p, i, p, i, ValueLayout.JAVA_FLOAT, p, i));
                MethodHandle dgemv = linker.downcallHandle(find(lookup, "cblas_dgemv"), FunctionDescriptor.ofVoid(
                        i, i, i, i, ValueLayout.JAVA_DOUBLE, p, i, p, i, ValueLayout.JAVA_DOUBLE, p, i));
                MethodHandle saxpy = linker.downcallHandle(find(lookup, "cblas_saxpy"),
                        FunctionDescriptor.ofVoid(i, ValueLayout.JAVA_FLOAT, p, i, p, i));
                MethodHandle daxpy = linker.downcallHandle(find(lookup, "cblas_daxpy"),
                        FunctionDescriptor.ofVoid(i, ValueLayout.JAVA_DOUBLE, p, i, p, i));
                MethodHandle set = linker.downcallHandle(find(lookup, "openblas_set_num_threads"),
                        FunctionDescriptor.ofVoid(i));
                MethodHandle get = linker.downcallHandle(find(lookup, "openblas_get_num_threads"),
                        FunctionDescriptor.of(i));
                MethodHandle cfg = linker.downcallHandle(find(lookup, "openblas_get_config"),
                        FunctionDescriptor.of(p.withTargetLayout(
                                MemoryLayout.sequenceLayout(256, ValueLayout.JAVA_BYTE))));
                String config = ((MemorySegment) cfg.invokeExact()).getString(0);
                return new Holder(null, origin, config, sgemm, dgemm, sgemv, dgemv, saxpy, daxpy, set, get);
            } catch (Throwable t) {
                tried.add(origin + ": " + t.getMessage());
                return failed(t.getMessage());
            }
        }

        private static MemorySegment find(SymbolLookup lookup, String name) {
            return lookup.find(name).orElseThrow(() -> new IllegalArgumentException("symbol " + name + " not found"));
        }

        /**
         * Copies the library and its runtime out of the jar into a per-version cache directory (reused when the
         * files are already there with the same sizes), returning the path of {@code libopenblas.so.0}, or null when
         * the jar is not on the class path.
         */
        private static Path extractFromClassPath() throws IOException {
            ClassLoader loader = OpenBlas.class.getClassLoader();
            if (loader.getResource(RESOURCE_DIR + "libopenblas.so.0") == null) {
                return null;
            }
            Path dir;
            String home = System.getProperty("user.home");
            try {
                dir = Path.of(home, ".cache", "autobalance", "openblas-" + VERSION);
                Files.createDirectories(dir);
            } catch (IOException | RuntimeException e) {
                dir = Files.createTempDirectory("autobalance-openblas-");
            }
            for (String file : RESOURCE_FILES) {
                Path target = dir.resolve(file);
                var url = loader.getResource(RESOURCE_DIR + file);
                if (url == null) {
                    continue; // the runtime may be absent from other builds; the system's is used then
                }
                long size = url.openConnection().getContentLengthLong();
                if (Files.isRegularFile(target) && size >= 0 && Files.size(target) == size) {
                    continue;
                }
                // write beside, then rename: a concurrent JVM never loads a half-written library
                Path tmp = Files.createTempFile(dir, file, ".part");
                try (InputStream in = url.openStream()) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return dir.resolve("libopenblas.so.0");
        }
    }

    /** A library to open by path or by name (the dynamic linker's search). */
    private record SymbolLookupSource(Path path, String name) {
        static SymbolLookupSource path(Path p) {
            return new SymbolLookupSource(p, null);
        }

        static SymbolLookupSource name(String n) {
            return new SymbolLookupSource(null, n);
        }

        @SuppressWarnings("restricted") // loading a native library; see tryLoad
        SymbolLookup open() {
            if (path != null) {
                for (String lib : PRELOAD) {
                    Path dep = path.resolveSibling(lib);
                    if (Files.isRegularFile(dep)) {
                        SymbolLookup.libraryLookup(dep, Arena.global());
                    }
                }
            }
            // global arena: OpenBLAS's thread pool lives as long as the process and the library must never unload
            return path != null ? SymbolLookup.libraryLookup(path, Arena.global())
                    : SymbolLookup.libraryLookup(name, Arena.global());
        }
    }
}

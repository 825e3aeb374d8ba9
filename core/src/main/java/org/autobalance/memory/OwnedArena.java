package org.autobalance.memory;

import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The arena of one matrix ({@link DenseMatrix}, {@link SparseMatrix}), closed exactly once: by the matrix's
 * {@code close()} or, for a matrix that becomes unreachable while open, by a {@link Cleaner} after the garbage
 * collector finds it — a safety net, not the contract, so that case logs one WARNING per JVM and kind of matrix
 * (logger: the matrix class's name).
 */
final class OwnedArena {
    /** One daemon thread frees every matrix dropped while open. */
    private static final Cleaner CLEANER = Cleaner.create();
    private static final Set<Class<?>> WARNED = ConcurrentHashMap.newKeySet();

    private final Release release;
    private final Cleaner.Cleanable cleanable;

    /** What the cleaner runs. It must not refer to the matrix, or the matrix would never become unreachable. */
    private static final class Release implements Runnable {
        private final Arena arena;
        private final Class<?> kind;
        private final String description;
        private final long bytes;
        private volatile boolean closedByOwner;

        Release(Arena arena, Class<?> kind, String description, long bytes) {
            this.arena = arena;
            this.kind = kind;
            this.description = description;
            this.bytes = bytes;
        }

        @Override
        public void run() {
            if (!closedByOwner && WARNED.add(kind)) {
                System.getLogger(kind.getName()).log(System.Logger.Level.WARNING, "a {0} was garbage-collected "
                        + "without close(); its native memory was freed late, by the safety net. Close every "
                        + "{1} and Result (try-with-resources) to free native memory promptly. (Warned once per JVM.)",
                        description, kind.getSimpleName());
            }
            try {
                arena.close();
            } finally {
                NativeMemory.release(bytes);
            }
        }
    }

    /**
     * Takes ownership of {@code arena} for {@code matrix}, described as {@code description} in the warning; the
     * {@code bytes} reserved for it with {@link NativeMemory} are released with it.
     */
    OwnedArena(Object matrix, Arena arena, String description, long bytes) {
        this.release = new Release(arena, matrix.getClass(), description, bytes);
        this.cleanable = CLEANER.register(matrix, release);
    }

    /** Frees the arena now (at most once), as the owner's {@code close()}. */
    void close() {
        release.closedByOwner = true;
        cleanable.clean();
    }
}

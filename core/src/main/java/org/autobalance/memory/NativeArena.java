package org.autobalance.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * Native memory of an engine structure that is not a matrix (the kernels' sparse panel layout), held as a matrix's
 * is: counted in {@link NativeMemory#liveBytes()} (so {@link NativeMemory#requireRoom} sees it) and freed by
 * {@link #close()} or, for an owner dropped while open, by the same safety net as {@link DenseMatrix}'s.
 *
 * <p>Internal: public only for the module's kernel package, which the module does not export.
 */
public final class NativeArena implements AutoCloseable {
    private final Arena arena;
    private final OwnedArena owned;

    private NativeArena(Object owner, long bytes, String description) {
        this.arena = Arena.ofShared();
        this.owned = new OwnedArena(owner, arena, description, bytes);
    }

    /**
     * Counts {@code bytes} for {@code owner} (described as {@code what} in a refusal and in the safety net's warning)
     * and opens an arena for them; the owner allocates at most {@code bytes} from it.
     *
     * @throws IllegalArgumentException naming {@code what} if the bytes would pass the limit; nothing is counted
     */
    public static NativeArena open(Object owner, long bytes, Supplier<String> what) {
        NativeMemory.reserve(bytes, what);
        try {
            return new NativeArena(owner, bytes, what.get());
        } catch (RuntimeException | Error e) {
            NativeMemory.release(bytes);
            throw e;
        }
    }

    /** A zero-filled segment of {@code bytes} from the arena, aligned to {@code alignment}. */
    public MemorySegment allocate(long bytes, long alignment) {
        return arena.allocate(bytes, alignment);
    }

    /** Frees the arena and its count (at most once). */
    @Override
    public void close() {
        owned.close();
    }
}

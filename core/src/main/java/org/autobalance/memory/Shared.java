package org.autobalance.memory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.autobalance.memory.internal.Closing;

/**
 * One holder's lease on a structure built from a sparse matrix and shared by every engine over it that asks for the
 * same key (the kernels' panel layouts of M and Mᵀ): the first {@link #acquire} builds it, later ones with an equal
 * key get the same object, and it is closed when its last lease is closed or when the matrix is closed, whichever
 * comes first.
 *
 * <p>Why leases rather than keeping each structure until the matrix is closed (as {@link SparseMatrix#transposed()}
 * is kept): the engines of one run overlap (the iterations' engine is open while σ₁'s and each plateau check's are
 * built and closed), so they share the structure all the same, and a matrix kept open across runs holds nothing
 * between them; a library user's runs at several thread counts (other chunks, another key) would otherwise
 * accumulate one layout per count for the matrix's life.
 *
 * <p>A lease never closed holds its structure until the matrix is closed (the table refers to it): unlike an
 * engine's own scratch, no Cleaner frees it when the lease becomes unreachable. The engines close their leases in
 * their {@code close}; an engine dropped unclosed keeps the layouts of its matrix alive as long as the matrix is
 * open.
 *
 * <p>Thread-safe: the matrix's monitor guards its table, and a build runs under it, so two engines built on different
 * threads build one structure, the second waiting for the first (a build of the layouts takes a few hundred ms).
 * Internal: public only for the module's kernel package, which the module does not export.
 *
 * @param <T> the structure
 */
public final class Shared<T extends AutoCloseable> implements AutoCloseable {
    private final SparseMatrix matrix;
    private final Object key;
    private final Entry entry;
    private boolean closed;

    /** A structure in a matrix's table and its open leases. */
    static final class Entry {
        final AutoCloseable value;
        int holders;

        Entry(AutoCloseable value) {
            this.value = value;
        }
    }

    private Shared(SparseMatrix matrix, Object key, Entry entry) {
        this.matrix = matrix;
        this.key = key;
        this.entry = entry;
    }

    /**
     * A lease on {@code matrix}'s structure for {@code key} (compared by {@code equals}), built by {@code build} if no
     * open lease holds one. The structure belongs to the matrix's table: callers close the lease, never the structure.
     *
     * @throws IllegalStateException if the matrix was closed
     * @throws RuntimeException whatever {@code build} throws (nothing is left in the table then)
     */
    public static <T extends AutoCloseable> Shared<T> acquire(SparseMatrix matrix, Object key, Supplier<T> build) {
        Objects.requireNonNull(key, "key must not be null");
        synchronized (matrix) {
            matrix.ensureOpen();
            Map<Object, Entry> table = matrix.sharedTable();
            Entry e = table.get(key);
            if (e == null) {
                e = new Entry(Objects.requireNonNull(build.get(), "build returned null"));
                table.put(key, e);
            }
            e.holders++;
            return new Shared<>(matrix, key, e);
        }
    }

    /** The shared structure (do not close it: close this lease). */
    @SuppressWarnings("unchecked")
    public T get() {
        return (T) entry.value;
    }

    /** Ends this lease (at most once); the structure is closed with its last lease, if the matrix has not already. */
    @Override
    public void close() {
        synchronized (matrix) {
            if (closed) {
                return;
            }
            closed = true;
            // after the matrix's close the table no longer holds this entry, whose structure that close freed
            if (--entry.holders == 0 && matrix.sharedTable().remove(key, entry)) {
                Closing.closeAll(List.of(entry.value), "a shared structure");
            }
        }
    }

    /**
     * Closes every structure of a table (the matrix's close) and empties it, whatever fails: a close that throws
     * skips none of the others, and the first failure is thrown with the later ones suppressed.
     */
    static void closeAll(Map<Object, Entry> table) {
        try {
            Closing.closeAll(table.values().stream().map(e -> e.value).toList(), "a shared structure");
        } finally {
            table.clear();
        }
    }

    /** A new, empty table for a matrix. */
    static Map<Object, Entry> newTable() {
        return new HashMap<>();
    }
}

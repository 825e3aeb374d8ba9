package org.autobalance.memory.internal;

/**
 * How often a loop over many entries looks at an interrupt: once in {@value #EVERY} entries, a few milliseconds of
 * parsing or sorting. One home for the mapped parse, its hand-on into the matrix, the sparse builder's sort, a sparse
 * matrix's dense copy and the inflate of a {@code .npz} member (blocks of this many elements).
 *
 * <p>Where the look goes matters. In a loop whose entries are heavy (the mapped Matrix Market parse: each a number
 * parsed from text) a look inside the loop, {@code if (due(k + 1))}, cost nothing measurable (native-notes/
 * reliability.md, seventeenth session). In a light loop (the sparse builder's passes over its entries: a few loads and
 * stores each) the same look, a call on a branch taken once in 65536 entries, made the build of 5 million entries take
 * 1.7 times its CPU time, and blocks of {@value #EVERY} in the same method still 1.5 times in a fresh JVM; a method
 * called per block, the look between calls, cost nothing measurable (eighteenth session). So a light loop runs as
 * blocks, each a call, and looks between them ({@code SparseMatrix.Builder.build}, {@code ChunkedBody}'s hand-ons).
 *
 * <p>Not exported by the module: public for the project's io package.
 */
public final class InterruptLooks {
    /** Entries between two looks. */
    public static final long EVERY = 1 << 16;

    private InterruptLooks() {
    }

    /** Whether a loop that has done {@code done} entries looks now: after every {@value #EVERY}, never at the start. */
    public static boolean due(long done) {
        return (done & (EVERY - 1)) == 0 && done != 0;
    }

    /**
     * Whether a loop whose steps do several entries each (a row of a sort) looks after a step that took it from
     * {@code before} to {@code after} entries done (both at least 0): when it passed a multiple of {@value #EVERY}.
     */
    public static boolean passed(long before, long after) {
        return before / EVERY != after / EVERY;
    }
}

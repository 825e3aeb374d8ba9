package org.autobalance.memory.internal;

/**
 * How often a loop over many entries looks at an interrupt: once in {@value #EVERY} entries, a branch taken once in
 * 65536 and a few milliseconds of parsing or sorting, which cost nothing measurable in the mapped Matrix Market parse
 * (native-notes/reliability.md, seventeenth session). One home for the mapped parse, its hand-on into the matrix and
 * the sparse builder's sort.
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

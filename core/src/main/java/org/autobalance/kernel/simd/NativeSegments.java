package org.autobalance.kernel.simd;

import java.lang.foreign.MemorySegment;

/**
 * The kernels' segments, typed for C2. A vector load or store from a {@link MemorySegment} calls the segment's
 * {@code unsafeGetBase} and {@code unsafeGetOffset}; C2 inlines them only when it knows the segment's class (unique in
 * the class hierarchy, or seen in a type profile). Once heap segments exist (every reader) the hierarchy has no
 * unique class, and the profile of a call site can be empty when the kernel is compiled early, on its few first calls
 * (the launcher's thresholds): {@code FloatSparseLarge.product1} was then compiled with the accessors as virtual
 * calls in some processes and not in others, and a sparse iteration cost 0.4–1.5 ms of CPU instead of 0.1–0.2
 * (native-notes/startup.md, "Segment types made exact"). Every segment the kernels read or write is native memory
 * ({@code DenseMatrix} allocates it or refuses to wrap a heap segment; {@code SparseMatrix} allocates it), so a cast
 * to the native implementation's class (a mapped file's segment is a subclass of it) gives C2 the type from the code
 * itself, whatever the profile; the accessors have one implementation below that class, which C2 then inlines.
 */
final class NativeSegments {
    /** The JDK's class of native segments (not exported: taken from an instance). */
    private static final Class<?> NATIVE = MemorySegment.NULL.getClass();

    private NativeSegments() {
    }

    /**
     * {@code s}, typed as a native segment for the code that uses the result (a heap segment fails the cast, which no
     * caller passes).
     */
    static MemorySegment exact(MemorySegment s) {
        return (MemorySegment) NATIVE.cast(s);
    }
}

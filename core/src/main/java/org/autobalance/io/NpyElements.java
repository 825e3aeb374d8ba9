package org.autobalance.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The elements of a {@code .npy} array's data, read one at a time and widened: integers ({@code kind} 'i' signed,
 * 'u' unsigned; booleans are read as 'u' of 1 byte) of 1, 2, 4 or 8 bytes, and floats ('f') of 4 or 8, in either
 * byte order. For the arrays that are converted element by element rather than copied in bulk: the index arrays and
 * integer values of a {@code .npz}, and an integer matrix in a {@code .npy}.
 *
 * @param bytes the array's bytes, {@code offset} the byte where element 0 starts, {@code length} the element count
 */
record NpyElements(MemorySegment bytes, long offset, long length, char kind, int itemSize, ByteOrder order) {

    /** Whether elements of {@code kind} ('f', 'i', 'u', 'b') and {@code itemSize} bytes can be read. */
    static boolean readable(char kind, int itemSize) {
        return switch (kind) {
            case 'f' -> itemSize == 4 || itemSize == 8;
            case 'i', 'u' -> itemSize == 1 || itemSize == 2 || itemSize == 4 || itemSize == 8;
            case 'b' -> itemSize == 1;
            default -> false;
        };
    }

    /** The elements of {@code header}'s array, whose data is {@code data}. */
    static NpyElements of(NpyHeader header, MemorySegment data, long offset, long length) {
        return new NpyElements(data, offset, length, header.kind() == 'b' ? 'u' : header.kind(), header.itemSize(),
                header.byteOrder());
    }

    /** Element {@code k} of an integer array (a uint64 beyond the long range reads negative). */
    long integer(long k) {
        long o = offset + k * itemSize;
        return switch (itemSize) {
            case 1 -> kind == 'i' ? bytes.get(ValueLayout.JAVA_BYTE, o)
                    : Byte.toUnsignedLong(bytes.get(ValueLayout.JAVA_BYTE, o));
            case 2 -> kind == 'i' ? bytes.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order), o)
                    : Short.toUnsignedLong(bytes.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order), o));
            case 4 -> kind == 'i' ? bytes.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(order), o)
                    : Integer.toUnsignedLong(bytes.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(order), o));
            default -> bytes.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order), o);
        };
    }

    /**
     * Element {@code k} as the nearest double (exact for floats and for integers of magnitude ≤ 2⁵³; beyond,
     * rounded to nearest, as numpy's {@code astype(np.float64)} rounds).
     */
    double number(long k) {
        if (kind != 'f') {
            return kind == 'u' && itemSize == 8 ? unsignedToDouble(integer(k)) : integer(k);
        }
        long o = offset + k * itemSize;
        return itemSize == 4 ? bytes.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order), o)
                : bytes.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order), o);
    }

    /**
     * Elements {@code from} to {@code from + count} of an integer array into {@code into}, as {@link #integer} reads
     * each: one layout per call, where a layout made per element ({@code withOrder}) allocated about 128 bytes an
     * element (1 GB for 8.4 M of them in a test's JVM).
     */
    void integers(long from, long[] into, int count) {
        long o = offset + from * itemSize;
        boolean signed = kind == 'i';
        switch (itemSize) {
            case 1 -> {
                for (int p = 0; p < count; p++) {
                    byte x = bytes.get(ValueLayout.JAVA_BYTE, o + p);
                    into[p] = signed ? x : Byte.toUnsignedLong(x);
                }
            }
            case 2 -> {
                ValueLayout.OfShort layout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order);
                for (int p = 0; p < count; p++) {
                    short x = bytes.get(layout, o + 2L * p);
                    into[p] = signed ? x : Short.toUnsignedLong(x);
                }
            }
            case 4 -> {
                ValueLayout.OfInt layout = ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
                for (int p = 0; p < count; p++) {
                    int x = bytes.get(layout, o + 4L * p);
                    into[p] = signed ? x : Integer.toUnsignedLong(x);
                }
            }
            default -> MemorySegment.copy(bytes, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order), o, into, 0, count);
        }
    }

    /**
     * Elements {@code from} to {@code from + count} into {@code into}, each as {@link #number} reads it; integers pass
     * through {@code whole} (at least {@code count} long, unused for floats).
     */
    void numbers(long from, double[] into, long[] whole, int count) {
        if (kind != 'f') {
            integers(from, whole, count);
            boolean wide = kind == 'u' && itemSize == 8;
            for (int p = 0; p < count; p++) {
                into[p] = wide ? unsignedToDouble(whole[p]) : whole[p];
            }
        } else if (itemSize == 4) {
            ValueLayout.OfFloat layout = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order);
            for (int p = 0; p < count; p++) {
                into[p] = bytes.get(layout, offset + (from + p) * 4);
            }
        } else {
            MemorySegment.copy(bytes, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order), offset + from * 8, into, 0,
                    count);
        }
    }

    private static double unsignedToDouble(long x) {
        // halve (keeping the lost bit as a sticky bit, so the one rounding to double is still to nearest), then double
        return x >= 0 ? x : ((x >>> 1) | (x & 1)) * 2.0;
    }
}

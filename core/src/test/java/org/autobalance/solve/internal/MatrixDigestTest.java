package org.autobalance.solve.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The digest of dense matrices against SHA-256 of their elements' bytes, taken one element at a time. */
class MatrixDigestTest {

    /**
     * Shapes for each way through: rows without padding (one run of bytes), short padded rows (gathered, across
     * several fills of the buffer), rows of at least the buffer's 64 KiB (one update each), and two matrices in one
     * digest; one element a NaN with a payload, which must be digested as its bits.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void isTheSha256OfTheElementsRowByRow(DType dtype) throws NoSuchAlgorithmException {
        int[][] shapes = {{40, 16}, {9000, 1}, {20_000, 3}, {3001, 5}, {3, 16_385}, {7, 33}};
        SplittableRandom random = new SplittableRandom(5);
        for (int[] shape : shapes) {
            try (DenseMatrix a = filled(dtype, shape[0], shape[1], random);
                    DenseMatrix b = filled(dtype, shape[1] + 2, 3, random)) {
                long last = (long) (shape[0] - 1) * a.stride() + shape[1] - 1;
                if (dtype == DType.FLOAT32) {
                    a.segment().setAtIndex(ValueLayout.JAVA_INT, last, 0x7fc0_1234);
                } else {
                    a.segment().setAtIndex(ValueLayout.JAVA_LONG, last, 0x7ff8_0000_0000_1234L);
                }
                String shape2 = shape[0] + " x " + shape[1];
                assertEquals(reference(a), MatrixDigest.of(a), shape2);
                assertEquals(reference(a, b), MatrixDigest.of(a, b), shape2 + " and another");
                // the payload is part of the digest: another NaN differs
                if (dtype == DType.FLOAT32) {
                    a.segment().setAtIndex(ValueLayout.JAVA_INT, last, 0x7fc0_1235);
                } else {
                    a.segment().setAtIndex(ValueLayout.JAVA_LONG, last, 0x7ff8_0000_0000_1235L);
                }
                assertNotEquals(reference(a, b), MatrixDigest.of(a), shape2);
                assertEquals(reference(a), MatrixDigest.of(a), shape2);
            }
        }
    }

    private static DenseMatrix filled(DType dtype, int rows, int cols, SplittableRandom random) {
        DenseMatrix m = DenseMatrix.allocate(dtype, rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) {
                m.set(i, c, random.nextGaussian());
            }
        }
        return m;
    }

    /** SHA-256 of each element's bits in the machine's byte order, row by row, matrix after matrix. */
    private static String reference(DenseMatrix... ms) throws NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (DenseMatrix m : ms) {
            int bytes = m.dtype().bytes();
            ByteBuffer element = ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder());
            for (int i = 0; i < m.rows(); i++) {
                for (int c = 0; c < m.cols(); c++) {
                    long at = (long) i * m.stride() + c;
                    element.clear();
                    if (bytes == Float.BYTES) {
                        element.putInt(m.segment().getAtIndex(ValueLayout.JAVA_INT, at));
                    } else {
                        element.putLong(m.segment().getAtIndex(ValueLayout.JAVA_LONG, at));
                    }
                    sha.update(element.flip());
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}

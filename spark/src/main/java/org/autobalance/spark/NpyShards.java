package org.autobalance.spark;

import java.io.IOException;
import java.nio.file.Path;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/** The {@code .npy} files of the input (placeholder until core's reader lands). */
final class NpyShards {
    private NpyShards() {
    }

    static long[] shape(Path path) {
        throw new IllegalArgumentException(".npy input is not supported yet: " + path);
    }

    static DenseMatrix read(Path path, DType dtype) throws IOException {
        throw new IOException(".npy input is not supported yet: " + path);
    }
}

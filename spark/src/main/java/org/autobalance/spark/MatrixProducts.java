package org.autobalance.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/** M·X for a small X on the driver (d1 × r, collected): what an initialiser may ask for (Ward–Kolda's MΦ). */
final class MatrixProducts {
    private MatrixProducts() {
    }

    /**
     * M·x as a new d1 × r matrix on the driver (the caller closes it); one job, one pass over M, each task on its
     * block's team of {@code threads}.
     */
    static DenseMatrix times(JavaSparkContext sc, JavaRDD<MatrixBlock> m, DenseMatrix x, long d1, int threads) {
        DType dtype = x.dtype();
        int d2 = x.rows();
        int r = x.cols();
        Broadcast<byte[]> xb = sc.broadcast(EngineAdapter.toBytes(x));
        try {
            List<byte[]> blocks = m.map(b -> {
                DenseMatrix rows = b.rows();
                List<DenseMatrix> made = new ArrayList<>();
                try (DenseMatrix xm = EngineAdapter.fromBytes(xb.value(), dtype, d2, r);
                        DenseMatrix mx = DenseMatrix.allocate(dtype, rows.rows(), r);
                        DenseMatrix zero = DenseMatrix.allocate(dtype, rows.rows(), r)) {
                    // the fused pass is the kernel that forms M·X; its MᵀU half (with U = 0) is discarded
                    DenseMatrix[] unused = MatrixBlock.partials(made, dtype, d2, r, threads);
                    b.withTeam(threads, team -> team.fusedPass(rows, zero, xm, mx, unused));
                    return EngineAdapter.toBytes(mx);
                } finally {
                    made.forEach(DenseMatrix::close);
                }
            }).collect();
            DenseMatrix out = DenseMatrix.allocate(dtype, Math.toIntExact(d1), r);
            long first = 0;
            for (byte[] bytes : blocks) {
                int rows = bytes.length / (out.stride() * dtype.bytes());
                try (DenseMatrix block = EngineAdapter.fromBytes(bytes, dtype, rows, r)) {
                    EngineAdapter.copyRows(block, out, first);
                }
                first += rows;
            }
            return out;
        } finally {
            xb.destroy();
        }
    }
}

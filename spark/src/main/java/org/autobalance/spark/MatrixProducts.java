package org.autobalance.spark;

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
                // X, M·X, a zero U and the partials of the discarded MᵀU in the block's scratch of r columns
                MatrixBlock.Scratch scratch = b.takeScratch(dtype, r, threads);
                try {
                    EngineAdapter.copyInto(xb.value(), scratch.v());
                    scratch.u().segment().fill((byte) 0);
                    // the fused pass is the kernel that forms M·X; its MᵀU half (with U = 0) is discarded
                    b.withTeam(threads, team -> team.fusedPass(b.rows(), scratch.u(), scratch.v(), scratch.mv(),
                            scratch.mtu()));
                    return EngineAdapter.toBytes(scratch.mv());
                } finally {
                    b.giveBack(scratch);
                }
            }).collect();
            DenseMatrix out = DenseMatrix.allocate(dtype, Math.toIntExact(d1), r);
            long first = 0;
            for (byte[] bytes : blocks) {
                first += EngineAdapter.copyRows(bytes, out, first);
            }
            return out;
        } finally {
            xb.destroy();
        }
    }
}

package org.autobalance.spark;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.broadcast.Broadcast;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * ‖U_pVᵀ − M_p‖²_F of one partition, exactly (residual rows formed on the fly by the kernel), on the block's team of
 * T threads (chunk sums in chunk order, as the engine's).
 */
final class ResidualTask implements FlatMapFunction2<Iterator<FactorBlock>, Iterator<MatrixBlock>, Double> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> v;
    private final DType dtype;
    private final int d2;
    private final int rank;
    private final int threads;

    ResidualTask(Broadcast<byte[]> v, DType dtype, int d2, int rank, int threads) {
        this.v = v;
        this.dtype = dtype;
        this.d2 = d2;
        this.rank = rank;
        this.threads = threads;
    }

    @Override
    public Iterator<Double> call(Iterator<FactorBlock> factors, Iterator<MatrixBlock> matrix) {
        MatrixBlock block = matrix.next();
        try (DenseMatrix u = MatrixSource.single(factors).toMatrix();
                DenseMatrix vm = EngineAdapter.fromBytes(v.value(), dtype, d2, rank)) {
            double residual = block.withTeam(threads, team -> team.residualSquared(block.rows(), u, vm));
            MatrixSource.end(matrix);
            return List.of(residual).iterator();
        }
    }
}

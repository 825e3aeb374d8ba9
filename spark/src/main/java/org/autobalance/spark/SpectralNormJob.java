package org.autobalance.spark;

import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * σ₁(M) by power iteration on the fused pass with r = 1, distributed: two interleaved chains (x ← Mᵀy/‖·‖,
 * y ← Mx/‖·‖, so every pass advances both), x (d2) on the driver, y (d1) in the partitions, the estimate the largest
 * ‖Mx‖ or ‖Mᵀy‖ seen. This is the engine's earlier estimate; the engine now runs a block power iteration at the
 * solver's rank (fewer passes on clustered top singular values). Both converge to σ₁ within the tolerance, not bit
 * for bit, so with {@code --schedule auto} the step (and the factors) match the engine's to rounding only. The chain
 * of y starts from the first image Mx₀ instead of a random vector (no extra reduction).
 */
final class SpectralNormJob {
    /** Passes over M at most; the relative error is then below (σ₂/σ₁)^passes anyway. */
    static final int MAX_PASSES = 300;
    /** Stop when one pass improves the estimate by less than this, relatively. */
    static final double RELATIVE_TOLERANCE = 1e-9;

    private SpectralNormJob() {
    }

    /** What a pass broadcasts: x, and the scale 1/‖Mx‖ of the previous pass that turns its Mx into y (0: y = 0). */
    record Pass(byte[] x, double scale) implements java.io.Serializable {
    }

    static double estimate(JavaSparkContext sc, JavaRDD<MatrixBlock> m, DType dtype, int d2, long seed) {
        Lineage lineage = new Lineage(sc, SparkFactorizer.DEFAULT_CHECKPOINT_EVERY);
        try (DenseMatrix x = DenseMatrix.allocate(dtype, d2, 1);
                DenseMatrix mty = DenseMatrix.allocate(dtype, d2, 1)) {
            SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
            double norm = 0.0;
            double[] g = new double[d2];
            for (int j = 0; j < d2; j++) {
                g[j] = random.nextGaussian();
                norm += g[j] * g[j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d2; j++) {
                x.set(j, 0, g[j] / norm);
            }
            JavaRDD<FactorBlock> images = m.map(b -> {
                try (DenseMatrix zero = DenseMatrix.allocate(dtype, b.rows().rows(), 1)) {
                    return FactorBlock.of(b.partition(), zero, null);
                }
            });
            double scale = 0.0;
            double best = 0.0;
            for (int k = 0; k < MAX_PASSES; k++) {
                Broadcast<Pass> pass = sc.broadcast(new Pass(EngineAdapter.toBytes(x), scale));
                lineage.keep(pass);
                JavaRDD<FactorBlock> next = images.zipPartitions(m, new PassTask(pass, dtype, d2))
                        .persist(StorageLevel.MEMORY_ONLY());
                lineage.checkpointIfDue(next, k + 1);
                List<Partials> parts = next.map(FactorBlock::partials).collect();
                lineage.advance(next);
                images = next;
                double mxSquared = 0.0;
                EngineAdapter.copyInto(parts.get(0).mtu(), mty);
                for (int p = 0; p < parts.size(); p++) {
                    mxSquared += parts.get(p).value();
                    if (p > 0) {
                        EngineAdapter.add(mty, parts.get(p).mtu());
                    }
                }
                double mx = Math.sqrt(mxSquared);
                double mtyNorm = 0.0;
                for (int j = 0; j < d2; j++) {
                    mtyNorm += mty.get(j, 0) * mty.get(j, 0);
                }
                mtyNorm = Math.sqrt(mtyNorm);
                double estimate = Math.max(mx, mtyNorm);
                if (estimate == 0.0) {
                    return 0.0;
                }
                boolean done = estimate <= best * (1 + RELATIVE_TOLERANCE);
                best = Math.max(best, estimate);
                if (done) {
                    break;
                }
                if (mtyNorm > 0) {
                    for (int j = 0; j < d2; j++) {
                        x.set(j, 0, mty.get(j, 0) * (1.0 / mtyNorm));
                    }
                }
                scale = mx > 0 ? 1.0 / mx : 0.0;
            }
            return best;
        } finally {
            lineage.close();
        }
    }

    /** One pass: y = scale·(Mx of the previous pass), then the fused pass at (y, x); reports Mᵀy and ‖Mx‖². */
    private static final class PassTask
            implements FlatMapFunction2<Iterator<FactorBlock>, Iterator<MatrixBlock>, FactorBlock> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<Pass> pass;
        private final DType dtype;
        private final int d2;

        PassTask(Broadcast<Pass> pass, DType dtype, int d2) {
            this.pass = pass;
            this.dtype = dtype;
            this.d2 = d2;
        }

        @Override
        public Iterator<FactorBlock> call(Iterator<FactorBlock> images, Iterator<MatrixBlock> matrix) {
            Pass p = pass.value();
            MatrixBlock block = matrix.next();
            DenseMatrix m = block.rows();
            int rows = m.rows();
            try (DenseMatrix y = MatrixSource.single(images).toMatrix();
                    DenseMatrix x = EngineAdapter.fromBytes(p.x(), dtype, d2, 1);
                    DenseMatrix mx = DenseMatrix.allocate(dtype, rows, 1);
                    DenseMatrix mty = DenseMatrix.allocate(dtype, d2, 1)) {
                for (int i = 0; i < rows; i++) {
                    y.set(i, 0, y.get(i, 0) * p.scale());
                }
                EngineAdapter.kernels().fusedPass(m, y, x, 0, rows, mx, mty);
                double mxSquared = 0.0;
                for (int i = 0; i < rows; i++) {
                    mxSquared += mx.get(i, 0) * mx.get(i, 0);
                }
                MatrixSource.end(matrix);
                return List.of(FactorBlock.of(block.partition(), mx,
                        new Partials(EngineAdapter.toBytes(mty), null, 0.0, 0.0, mxSquared))).iterator();
            }
        }
    }
}

package org.autobalance.spark;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.broadcast.Broadcast;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * One partition's share of one iteration, run inside a Spark task on the core kernels: from U_t (its rows) and its
 * rows of M, with V_t and the step broadcast, it computes the fused pass (MV_t, its partial MᵀU_t, ⟨U_t, MV_t⟩),
 * steps its rows of U to U_{t+1} = U_t − η(U_t·A_U − MV_t), and the Gram matrix of the new rows. Alternating GD then
 * makes a second pass at (U_{t+1}, V_t) for MᵀU_{t+1}, as the engine does.
 *
 * <p>The task splits its block among T threads in the engine's chunks ({@link EngineAdapter.Team}): each chunk's
 * partial MᵀU and UᵀU are added in chunk order, so the task's partials are a function of the block and T, and with one
 * partition they are the engine's with T threads.
 *
 * <p>Pure: the output is a function of the input blocks, the broadcast and T only (the native scratch, kept with M's
 * block, is overwritten before use), so a retried task gives the same bits and the cached U block is never modified.
 */
final class IterationTask implements FlatMapFunction2<Iterator<FactorBlock>, Iterator<MatrixBlock>, FactorBlock> {
    private static final long serialVersionUID = 1L;

    /**
     * What the driver broadcasts for iteration t.
     *
     * @param v V_t in the byte form of {@link EngineAdapter#toBytes} (d2 × r)
     * @param aU the coefficient matrix A_U of U's gradient U·A_U − MV (r × r row-major)
     * @param threads T, the threads of each task
     * @param failPartition a test hook: the partition whose first attempt throws at this iteration, or −1
     */
    record Step(long iteration, DType dtype, int d2, int rank, byte[] v, double[] aU, double eta,
            boolean alternating, int threads, int failPartition) implements Serializable {
    }

    private final Broadcast<Step> step;

    IterationTask(Broadcast<Step> step) {
        this.step = step;
    }

    @Override
    public Iterator<FactorBlock> call(Iterator<FactorBlock> factors, Iterator<MatrixBlock> matrix) {
        Step s = step.value();
        FactorBlock old = MatrixSource.single(factors);
        MatrixBlock block = matrix.next();
        DenseMatrix m = block.rows();
        EngineAdapter.Team team = block.takeTeam(s.threads());
        MatrixBlock.Scratch scratch = null;
        try {
            scratch = block.takeScratch(s.dtype(), s.rank(), s.threads());
            DenseMatrix u = scratch.u();
            DenseMatrix v = scratch.v();
            DenseMatrix mv = scratch.mv();
            DenseMatrix[] mtu = scratch.mtu();
            old.copyInto(u);
            EngineAdapter.copyInto(s.v(), v);
            double dot = team.fusedPass(m, u, v, mv, mtu);
            if (block.partition() == s.failPartition() && TaskContext.get().attemptNumber() == 0) {
                // halfway through: the pass is done, nothing is returned yet (a retry must not see any of it)
                throw new IllegalStateException("planned failure of partition " + block.partition()
                        + " at iteration " + s.iteration() + " (test hook)");
            }
            double gradientSquared = team.gradientStep(u, mv, s.aU(), s.eta());
            if (s.alternating()) {
                team.fusedPass(m, u, v, mv, mtu);
            }
            double[] gram = new double[s.rank() * s.rank()];
            team.gram(u, gram);
            Partials partials = new Partials(EngineAdapter.toBytes(mtu[0]), gram, dot, gradientSquared,
                    old.sameValues(u));
            MatrixSource.end(matrix);
            return List.of(FactorBlock.of(block.partition(), u, partials)).iterator();
        } finally {
            if (scratch != null) {
                block.giveBack(scratch);
            }
            block.giveBack(team);
        }
    }
}

package org.autobalance.spark;

import java.io.Serial;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.internal.PowerPasses;

/**
 * The solver's power iterations on Spark — σ₁(M) for the default step and initialisation, σ₁(M − UVᵀ) for the stop
 * rule's plateau test — run by core's own algorithms ({@link PowerPasses}) with one job per pass: the row-side block Y
 * (d1 × b) lives in M's partitions next to AX, X (d2 × b) on the driver, and each task returns its partial AᵀY
 * (d2 × b), which the driver adds in partition order.
 *
 * <p>For M the operations are the engine's ({@code IterationEngine}: the fused pass, the Grams, the gradient step), in
 * the same order, so with the engine's partitioning and as many driver threads the estimate of σ₁ has the engine's
 * bits. For the residual R = M − UVᵀ at the current iterate, the corrections U(Vᵀx) and V(Uᵀy) use core's loops per
 * row block, with Uᵀy summed per partition: the estimate equals the engine's to rounding.
 *
 * <p>Y's update after a pass (a gradient step, or a rescaling of AX) needs the driver's verdict on that pass, so it is
 * applied by the next pass's task, from the cached block holding Y and AX. Every block is new: a retried task computes
 * the same bits.
 */
final class SparkPasses implements PowerPasses {
    private final JavaSparkContext sc;
    private final JavaRDD<MatrixBlock> m;
    private final DType dtype;
    private final int d1;
    private final int d2;
    private final EngineAdapter.Team driver;
    private final int taskThreads;
    private JavaRDD<FactorBlock> u;
    private DenseMatrix v;

    /**
     * @param driver the driver's worker team (XᵀX and X's step; with the engine's thread count, the engine's chunks)
     * @param taskThreads the threads of each task (its block split in the engine's chunks)
     */
    SparkPasses(JavaSparkContext sc, JavaRDD<MatrixBlock> m, DType dtype, long d1, int d2,
            EngineAdapter.Team driver, int taskThreads) {
        this.sc = sc;
        this.m = m;
        this.dtype = dtype;
        this.d1 = Math.toIntExact(d1);
        this.d2 = d2;
        this.driver = driver;
        this.taskThreads = taskThreads;
    }

    /** The current iterate, where the residual's passes look: U as partition blocks, V on the driver. */
    void factors(JavaRDD<FactorBlock> u, DenseMatrix v) {
        this.u = u;
        this.v = v;
    }

    /** U of the current iterate collected to the driver (the caller closes it). */
    DenseMatrix collectU() {
        return SparkResult.collect(u, dtype, d1, v.cols());
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int rows() {
        return d1;
    }

    @Override
    public int cols() {
        return d2;
    }

    @Override
    public Blocks open(DenseMatrix y0, DenseMatrix x, boolean residual) {
        if (residual && u == null) {
            throw new IllegalStateException("no factors for the residual: see factors");
        }
        return new SparkBlocks(y0, x, residual ? u : null, residual ? v : null);
    }

    /** What Y does before the next pass: nothing (the first pass), a gradient step, or Y ← s·AX. */
    enum Update { NONE, STEP, SCALE }

    /**
     * What the driver broadcasts for one pass.
     *
     * @param x X in the byte form of {@link EngineAdapter#toBytes} (d2 × b)
     * @param a the step's coefficients (b × b) for {@link Update#STEP}
     * @param scale the factor of {@link Update#SCALE}
     * @param vtx Vᵀx (r) for the residual, null for M
     */
    record Pass(byte[] x, int b, Update update, double[] a, double eta, double scale, double[] vtx)
            implements Serializable {
    }

    /** What a pass's task reports: its partial AᵀY, YᵀY of its rows (M), Uᵀy of its rows (R), and Σ(AX)². */
    record Partials(byte[] aty, double[] gramY, double[] uty, double imageSquared) implements Serializable {
    }

    /**
     * One partition's Y and AX of the last pass, with its rows of U for the residual; immutable (heap bytes in the
     * form of {@link EngineAdapter#toBytes}).
     */
    static final class Block implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
        private final int partition;
        private final int rows;
        private final byte[] y;
        private final byte[] image;
        private final FactorBlock u;
        private final transient Partials partials;

        Block(int partition, int rows, byte[] y, byte[] image, FactorBlock u, Partials partials) {
            this.partition = partition;
            this.rows = rows;
            this.y = y;
            this.image = image;
            this.u = u;
            this.partials = partials;
        }

        Partials partials() {
            return partials;
        }
    }

    private final class SparkBlocks implements Blocks {
        private final DenseMatrix x;
        private final int b;
        private final DenseMatrix v;
        private final DenseMatrix aty;
        private final double[] gramY;
        private final double[] gramX;
        private final Lineage<Block> lineage = new Lineage<>(sc, SparkFactorizer.DEFAULT_LINEAGE_EVERY);
        private JavaRDD<Block> blocks;
        private Update update = Update.NONE;
        private double[] a;
        private double eta;
        private double scale;
        private double imageNorm;
        private long passes;

        SparkBlocks(DenseMatrix y0, DenseMatrix x, JavaRDD<FactorBlock> u, DenseMatrix v) {
            this.x = x;
            this.b = x.cols();
            this.v = v;
            this.aty = DenseMatrix.allocate(dtype, d2, b);
            this.gramY = new double[b * b];
            this.gramX = new double[b * b];
            Broadcast<byte[]> start = sc.broadcast(EngineAdapter.toBytes(y0));
            lineage.keep(start);
            DType dtype = SparkPasses.this.dtype;
            int width = b;
            // Y₀ is the caller's, drawn on the driver (as the engine draws it), and sliced per partition
            blocks = u == null
                    ? m.map(block -> new Block(block.partition(), block.rows().rows(), slice(start, block, dtype,
                            width), null, null, null))
                    : u.zipPartitions(m, (FlatMapFunction2<Iterator<FactorBlock>, Iterator<MatrixBlock>, Block>)
                            (us, ms) -> {
                                FactorBlock rowsOfU = MatrixSource.single(us);
                                MatrixBlock block = MatrixSource.single(ms);
                                return List.of(new Block(block.partition(), block.rows().rows(),
                                        slice(start, block, dtype, width), null, rowsOfU, null)).iterator();
                            });
        }

        private static byte[] slice(Broadcast<byte[]> y0, MatrixBlock block, DType dtype, int b) {
            try (DenseMatrix y = EngineAdapter.rowsFromBytes(y0.value(), dtype, block.firstRow(),
                    block.rows().rows(), b)) {
                return EngineAdapter.toBytes(y);
            }
        }

        @Override
        public void pass() {
            double[] vtx = null;
            if (v != null) {
                vtx = new double[v.cols()];
                PowerPasses.addTransposedProduct(v, x, 0, d2, vtx);
            }
            Broadcast<Pass> pass = sc.broadcast(new Pass(EngineAdapter.toBytes(x), b, update, a, eta, scale, vtx));
            lineage.keep(pass);
            JavaRDD<Block> next = blocks.zipPartitions(m, new PassTask(pass, dtype, d2, taskThreads))
                    .persist(StorageLevel.MEMORY_ONLY());
            lineage.checkpointIfDue(next, ++passes);
            List<Partials> parts = next.map(Block::partials).collect();
            lineage.advance(next);
            blocks = next;
            update = Update.NONE;
            EngineAdapter.copyInto(parts.get(0).aty(), aty);
            double imageSquared = 0.0;
            for (int p = 0; p < parts.size(); p++) {
                imageSquared += parts.get(p).imageSquared();
                if (p > 0) {
                    EngineAdapter.add(aty, parts.get(p).aty());
                }
            }
            imageNorm = Math.sqrt(imageSquared);
            if (v != null) {
                double[] uty = SparkFactorizer.sumArraysInOrder(parts.stream().map(Partials::uty).toList());
                PowerPasses.subtractProduct(aty, v, uty, 0, d2);
            } else {
                System.arraycopy(SparkFactorizer.sumArraysInOrder(parts.stream().map(Partials::gramY).toList()), 0,
                        gramY, 0, b * b);
                driver.gram(x, gramX);
            }
        }

        @Override
        public DenseMatrix aty() {
            return aty;
        }

        @Override
        public double[] gramY() {
            return gramY;
        }

        @Override
        public double[] gramX() {
            return gramX;
        }

        @Override
        public double imageNorm() {
            return imageNorm;
        }

        @Override
        public void step(double[] a, double eta) {
            driver.gradientStep(x, aty, a, eta);
            this.update = Update.STEP;
            this.a = a.clone();
            this.eta = eta;
        }

        @Override
        public void scaleImage(double s) {
            this.update = Update.SCALE;
            this.scale = s;
        }

        @Override
        public void close() {
            aty.close();
            lineage.close();
        }
    }

    /**
     * One pass over a partition: Y's pending update, the fused pass at (Y, X), and the residual's corrections; the
     * update, the pass and YᵀY on the block's team (the engine's chunks), the corrections and Σ(AX)² in one loop
     * each, as the engine makes them over all rows.
     */
    private static final class PassTask implements FlatMapFunction2<Iterator<Block>, Iterator<MatrixBlock>, Block> {
        @Serial
        private static final long serialVersionUID = 1L;
        private final Broadcast<Pass> pass;
        private final DType dtype;
        private final int d2;
        private final int threads;

        PassTask(Broadcast<Pass> pass, DType dtype, int d2, int threads) {
            this.pass = pass;
            this.dtype = dtype;
            this.d2 = d2;
            this.threads = threads;
        }

        @Override
        public Iterator<Block> call(Iterator<Block> blocks, Iterator<MatrixBlock> matrix) {
            Pass p = pass.value();
            Block old = MatrixSource.single(blocks);
            MatrixBlock block = matrix.next();
            DenseMatrix mp = block.rows();
            int rows = old.rows;
            int b = p.b();
            EngineAdapter.Team team = block.takeTeam(threads);
            MatrixBlock.Scratch scratch = null;
            MatrixBlock.Scratch factor = null;
            try {
                // Y, AX, X and the partials of AᵀY in the block's scratch of b columns: a pass allocates none of them
                scratch = block.takeScratch(dtype, b, threads);
                DenseMatrix y = scratch.u();
                DenseMatrix image = scratch.mv();
                DenseMatrix x = scratch.v();
                DenseMatrix[] aty = scratch.mtu();
                EngineAdapter.copyInto(old.y, y);
                EngineAdapter.copyInto(p.x(), x);
                if (p.update() != Update.NONE) {
                    EngineAdapter.copyInto(old.image, image);
                    if (p.update() == Update.STEP) {
                        team.gradientStep(y, image, p.a(), p.eta());
                    } else {
                        PowerPasses.copyScaled(image, y, p.scale());
                    }
                }
                team.fusedPass(mp, y, x, image, aty);
                double[] gram = null;
                double[] uty = null;
                if (p.vtx() == null) {
                    gram = new double[b * b];
                    team.gram(y, gram);
                } else {
                    // Rx = Mx − U(Vᵀx) on these rows; this partition's Uᵀy for the driver's Rᵀy = Mᵀy − V(Uᵀy); U's
                    // rows go into the iterations' scratch, idle while the plateau test runs
                    factor = block.takeScratch(dtype, old.u.rank(), threads);
                    DenseMatrix u = factor.u();
                    old.u.copyInto(u);
                    PowerPasses.subtractProduct(image, u, p.vtx(), 0, rows);
                    uty = new double[u.cols()];
                    PowerPasses.addTransposedProduct(u, y, 0, rows, uty);
                }
                double imageSquared = 0.0;
                for (int i = 0; i < rows; i++) {
                    for (int c = 0; c < b; c++) {
                        imageSquared += image.get(i, c) * image.get(i, c);
                    }
                }
                MatrixSource.end(matrix);
                return List.of(new Block(old.partition, rows, EngineAdapter.toBytes(y), EngineAdapter.toBytes(image),
                        old.u, new Partials(EngineAdapter.toBytes(aty[0]), gram, uty, imageSquared))).iterator();
            } finally {
                if (factor != null) {
                    block.giveBack(factor);
                }
                if (scratch != null) {
                    block.giveBack(scratch);
                }
                block.giveBack(team);
            }
        }
    }
}

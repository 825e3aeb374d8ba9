package org.autobalance.spark;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;
import org.autobalance.solve.internal.IterationMonitor;

/**
 * The outcome of a {@link SparkFactorizer} run: V and the final metrics (exact, from a residual pass) on the driver,
 * U as the cached blocks of the last iterate on the executors (and the files of the run's last lineage cut in the
 * context's checkpoint directory). {@link #close()} releases them.
 */
public final class SparkResult implements AutoCloseable {
    private final Lineage<FactorBlock> lineage;
    private final JavaRDD<FactorBlock> u;
    private final DenseMatrix v;
    private final long d1;
    private final IterationMonitor.Summary metrics;
    private final int partitions;
    private final int taskThreads;
    private final int driverThreads;

    SparkResult(Lineage<FactorBlock> lineage, JavaRDD<FactorBlock> u, DenseMatrix v, long d1,
            IterationMonitor.Summary metrics, int partitions, int taskThreads, int driverThreads) {
        this.lineage = lineage;
        this.u = u;
        this.v = v;
        this.d1 = d1;
        this.metrics = metrics;
        this.partitions = partitions;
        this.taskThreads = taskThreads;
        this.driverThreads = driverThreads;
    }

    /** V (d2 × r), owned by this result. */
    public DenseMatrix v() {
        return v;
    }

    /** The iterations made (a resumed run counts those before the checkpoint too). */
    public long iterations() {
        return metrics.iterations();
    }

    /** Why the run stopped. */
    public StopReason stopReason() {
        return metrics.stopReason();
    }

    /**
     * ‖UVᵀ − M‖_F / ‖M‖_F at the final factors, exact (a residual pass over the cached blocks). The other metrics of
     * {@link Result} are in {@link #summary()}.
     */
    public double relativeError() {
        return metrics.relativeError();
    }

    /** ‖UᵀU − VᵀV‖_F at the final factors (as {@link Result#balance()}). */
    public double balance() {
        return metrics.balance();
    }

    /** The partitions (row blocks) M was split into. */
    public int partitions() {
        return partitions;
    }

    /** The threads of each task (its partition's rows split in the engine's chunks). */
    public int taskThreads() {
        return taskThreads;
    }

    /** U's blocks, in partition (row) order, on the executors. */
    JavaRDD<FactorBlock> uBlocks() {
        return u;
    }

    /** U (d1 × r) collected to the driver; for inputs small enough to write as one file. The caller closes it. */
    public DenseMatrix collectU() {
        return collect(u, v.dtype(), d1, v.cols());
    }

    /** The blocks of {@code u} collected, in partition (row) order, into one new d1 × r matrix. */
    static DenseMatrix collect(JavaRDD<FactorBlock> u, DType dtype, long d1, int r) {
        List<FactorBlock> blocks = u.collect();
        DenseMatrix out = DenseMatrix.allocate(dtype, Math.toIntExact(d1), r);
        long first = 0;
        for (FactorBlock b : blocks) {
            b.copyInto(out, first);
            first += b.rows();
        }
        return out;
    }

    /**
     * The keys of the single-machine {@link Result#summary()}, with {@code threads} the threads over M's rows
     * (partitions × task threads), plus {@code partitions}, {@code task_threads}, {@code driver_threads} (they change
     * the driver's sums, and so the bits, and were compared on resume but not written) and {@code engine: spark}.
     */
    public Map<String, Object> summary() {
        Map<String, Object> s = metrics.toMap(d1, v.rows(), v.cols(), v.dtype(), partitions * taskThreads, "full");
        s.put("partitions", partitions);
        s.put("task_threads", taskThreads);
        s.put("driver_threads", driverThreads);
        s.put("engine", "spark");
        return s;
    }

    /**
     * Unpersists U's blocks, deletes the files of the run's last lineage cut from the context's checkpoint directory
     * (if it has one) and frees V. {@link #collectU()} is for before: a lost block is recomputed from those files.
     */
    @Override
    public void close() {
        try {
            lineage.close();
        } finally {
            v.close();
        }
    }
}

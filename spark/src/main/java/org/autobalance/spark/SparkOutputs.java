package org.autobalance.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.autobalance.cli.RunOutputs;
import org.autobalance.cli.SolverRun;
import org.autobalance.io.Npy;
import org.autobalance.memory.DenseMatrix;

/**
 * What {@code spark-factorize} writes. For a single-file input, as {@code factorize}: U and V as {@code .mtx} or
 * {@code .npy} ({@code --out-format}; U collected to the driver: a small case by definition). For shards or Parquet, U
 * stays distributed: {@value #U_SHARDS}/ holds one {@code .npy} shard per partition, written by the executors, in row
 * order (the layout of a shard input, so the output can be read back as one), and V (small) is one {@value #V_NPY}.
 */
public final class SparkOutputs {
    static final String U_SHARDS = "U";
    static final String V_NPY = "V.npy";

    private SparkOutputs() {
    }

    /**
     * Writes U's blocks as {@code part-00000.npy}, {@code part-00001.npy}, … into {@code dir}, each by the executor
     * that holds it ({@code dir} must be reachable from every executor, e.g. a shared file system).
     */
    static void writeShards(SparkResult result, String dir) {
        result.uBlocks().foreach(b -> {
            try (DenseMatrix u = b.toMatrix()) {
                Npy.write(Path.of(dir, String.format(Locale.ROOT, "part-%05d.npy", b.partition())), u);
            }
        });
    }

    /** The format of U and V in the output: the one asked for a single-file input, else {@code .npy} (shards). */
    public static RunOutputs.Format written(MatrixSource source, RunOutputs.Format requested) {
        return source instanceof MatrixSource.SingleFile ? requested : RunOutputs.Format.NPY;
    }

    /**
     * The result files a run may write in {@code format} (summary.json aside), known before its input is opened: U and
     * V in that format for a single file, {@value #U_SHARDS}/ and {@value #V_NPY} for shards or Parquet.
     */
    public static List<String> names(RunOutputs.Format format) {
        return Stream.concat(format.factorFiles().stream(), Stream.of(U_SHARDS, V_NPY)).distinct().toList();
    }

    /** The finished run for the command line's reporting; closing it releases the result. */
    public static SolverRun.Finished finished(SparkResult result, MatrixSource source) {
        return new SolverRun.Finished() {
            @Override
            public Map<String, Object> summary() {
                return result.summary();
            }

            @Override
            public List<String> files(RunOutputs.Format format) {
                return source instanceof MatrixSource.SingleFile ? format.factorFiles() : List.of(U_SHARDS, V_NPY);
            }

            @Override
            public void writeInto(Path directory, RunOutputs.Format format) throws IOException {
                if (source instanceof MatrixSource.SingleFile) {
                    try (DenseMatrix u = result.collectU()) {
                        format.writeFactors(directory, u, result.v());
                    }
                    return;
                }
                Path shards = directory.resolve(U_SHARDS);
                Files.createDirectories(shards);
                writeShards(result, shards.toString());
                Npy.write(directory.resolve(V_NPY), result.v());
            }

            @Override
            public void close() {
                result.close();
            }
        };
    }
}

package org.autobalance.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options and help of {@code spark-factorize}, which runs from the Spark module's application jar (its command
 * extends this class). They live here, without Spark, so that this jar answers {@code spark-factorize --help}: the
 * launcher built the Spark module first (24.6 s with Spark's jars in the local repository, minutes on a fresh machine
 * that downloads them) to print a page of text. Run from this jar, the command says where it runs.
 */
@Command(name = "spark-factorize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Find U (d1 x r) and V (d2 x r) minimising 1/2 |UV' - M|_F^2 by gradient descent on Apache "
                + "Spark: M split into row blocks, each cached off-heap on an executor.",
            "Single-file input (.mtx, .npy): writes U and V (--out-format) and summary.json to --out, as factorize "
                + "does. A directory of .npy shards or Parquet: writes U/ (one .npy shard per partition), V.npy and "
                + "summary.json.",
            "The launcher builds the Spark module (downloading Spark 4.2 the first time) before the first run."})
public class SparkFactorizeOptions implements Callable<Integer> {
    /** {@code --lineage-every}'s default; the Spark module's test holds it equal to its factorizer's. */
    public static final int DEFAULT_LINEAGE_EVERY = 50;

    @Spec
    protected CommandSpec spec;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[2] (an embedded Spark, started and stopped here). Default: the "
                    + "one spark-submit sets.")
    protected String master;

    @Option(names = "--partitions", paramLabel = "P",
            description = "Row blocks of a single-file or Parquet input (default: Spark's default parallelism, at "
                    + "most one per row). A directory of shards has one partition per shard (another count is "
                    + "refused).")
    protected Integer partitions;

    @Option(names = "--task-threads", paramLabel = "T",
            description = "Threads of each task: it splits its row block among T threads in the engine's chunks. "
                    + "Default: spark.task.cpus (1 unless configured). With an embedded local Spark it also sets "
                    + "spark.task.cpus, so local[N] runs N/T tasks at a time.")
    protected Integer taskThreads;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "Spark's checkpoint directory: the lineage cuts write U's blocks here (a directory every "
                    + "executor can reach), which survives a lost executor. Default: local lineage checkpoints. "
                    + "Not a checkpoint to resume from: see --checkpoint.")
    protected String checkpointDir;

    @Option(names = "--lineage-every", paramLabel = "K", defaultValue = "" + DEFAULT_LINEAGE_EVERY,
            description = "Cut the lineage every K iterations (default: ${DEFAULT-VALUE}).")
    protected int lineageEvery;

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "M: a Matrix Market (.mtx) or .npy file, a directory of .npy row-block shards "
                    + "(part-00000.npy, part-00001.npy, ...), or Parquet with columns row and values.")
    protected Path input;

    @Option(names = "--rank", required = true, paramLabel = "R", description = "The rank r, 1 <= r <= min(d1, d2).")
    protected int rank;

    @Mixin
    protected SolverOptions options;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the factors and summary.json.")
    protected Path out;

    @Mixin
    protected OutFormatOption outFormat;

    @Mixin
    protected Checkpointing checkpointing;

    @Option(names = "--log", paramLabel = "FILE.jsonl", description = "Write one JSON object per iteration here.")
    protected Path log;

    /** Refuses to run here: this jar has no Spark. */
    @Override
    public Integer call() throws Exception {
        throw new UsageException("spark-factorize runs on Apache Spark, from the Spark module's application jar: "
                + "./autobalance spark-factorize (which builds it), or spark-submit with spark/target/"
                + "autobalance-spark.jar", null);
    }
}

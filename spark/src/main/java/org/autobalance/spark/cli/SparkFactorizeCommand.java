package org.autobalance.spark.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.autobalance.cli.Destinations;
import org.autobalance.cli.Interruption;
import org.autobalance.cli.RunClock;
import org.autobalance.cli.RunOutputs;
import org.autobalance.cli.SolverOptions;
import org.autobalance.cli.SolverRun;
import org.autobalance.cli.SparkFactorizeOptions;
import org.autobalance.cli.UsageException;
import org.autobalance.io.DelimitedText;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.internal.IterationMonitor;
import org.autobalance.spark.MatrixSource;
import org.autobalance.spark.SparkFactorizer;
import org.autobalance.spark.SparkOutputs;
import org.autobalance.spark.SparkResult;

/**
 * {@code autobalance spark-factorize}: the factorize command on Apache Spark. Its options and help are {@link
 * SparkFactorizeOptions}'s, which the command line's jar answers without Spark.
 */
public final class SparkFactorizeCommand extends SparkFactorizeOptions {
    /** A context to run in instead of starting one (tests share one per JVM); not stopped by the command. */
    private final JavaSparkContext given;

    /** The command as the application jar runs it: it starts (and stops) its own Spark. */
    public SparkFactorizeCommand() {
        this(null);
    }

    SparkFactorizeCommand(JavaSparkContext given) {
        this.given = given;
    }

    @Override
    public Integer call() throws Exception {
        Interruption.preparingRun();
        DType dtype = options.validate().dtype();
        List<DenseMatrix> owned = new ArrayList<>();
        JavaSparkContext[] started = new JavaSparkContext[1];
        SolverOptions.checkRank(rank);
        if (partitions != null && partitions < 1) {
            throw new UsageException("--partitions: must be at least 1, got " + partitions, null);
        }
        checkpointing.validate().requireSameOptions(dtype, knownConfiguration(dtype));
        if (given == null) {
            checkMaster();
        }
        checkCheckpointDir();
        refuseFormatsOfFactorizeOnly();
        // the destinations locked, and checked not to replace the input, before the input is read (as factorize)
        try (Destinations destinations = Destinations.claim(out,
                SparkOutputs.names(outFormat.format(out))::contains, log, checkpointing, input)) {
            // the input checked (and a .mtx parsed) once, before Spark starts; Parquet only Spark reads (null)
            MatrixSource checked = MatrixSource.checkWithoutSpark(input, partitions == null ? 0 : partitions);
            RunOutputs.Format requested = outFormat.format();
            if (outFormat.given() && (checked == null || SparkOutputs.written(checked, requested) != requested)) {
                // the format of a single file's U and V; a run on shards or Parquet wrote .npy shards without a word
                throw new UsageException("--out-format " + requested.name().toLowerCase(Locale.ROOT) + ": a "
                        + "directory of shards or Parquet gives U as .npy shards (U/) and V.npy; --out-format is "
                        + "for a single-file input", null);
            }
            if (checked != null) {
                IterationMonitor.Limits.requireRank(rank, checked.rows(), checked.cols());
                if (partitions != null && Files.isDirectory(input) && partitions != checked.partitions()) {
                    // the shards are the partitioning: another count would be silently ignored
                    throw new UsageException("--partitions " + partitions + ": a directory of shards has one "
                            + "partition per shard (" + checked.partitions() + " in " + input + ")", null);
                }
                noteRoom(destinations, checked, dtype);
            }
            SolverRun.execute(spec.commandLine().getOut(), input.toString(), rank, options.maxIterations(),
                    destinations, outFormat.format(), checkpointing.resumedAt(), new RunClock(),
                    summaryExtras(dtype), () -> {
                        SparkFactorizer.Builder builder = builder(dtype, owned);
                        JavaSparkContext sc = given != null ? given : startSpark();
                        started[0] = given != null ? null : sc;
                        MatrixSource source = checked != null ? checked.withParallelism(sc.defaultParallelism())
                                : MatrixSource.open(sc, input, partitions == null ? 0 : partitions);
                        if (checked == null) {
                            // Parquet: its shape is known once Spark has read it
                            noteRoom(destinations, source, dtype);
                        }
                        SparkFactorizer factorizer = builder.build();
                        Interruption.runStarted();
                        return listeners -> {
                            SparkResult result = factorizer.run(sc, source, dtype, listeners);
                            return SparkOutputs.finished(result, source);
                        };
                    });
        } catch (Exception e) {
            // Spark throws its checked SparkException (a failed job) undeclared, through Scala
            throw TaskFailures.unwrap(e);
        } finally {
            owned.forEach(DenseMatrix::close);
            if (started[0] != null) {
                release(started[0], checkpointDir, spec.commandLine().getErr());
            }
        }
        return 0;
    }

    /**
     * What the summary adds to the engine's: the input, the seed (the start and σ₁'s estimate depend on it) and the
     * stop rule's limits, as factorize's summary has.
     */
    private Map<String, Object> summaryExtras(DType dtype) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("input", input.toString());
        extra.put("seed", options.seed());
        extra.putAll(options.limits(dtype));
        return extra;
    }

    /**
     * The entries of the run's configuration (as {@link SparkFactorizer} saves it in a checkpoint) that the options
     * fix before the input is read, so that a {@code --resume} with another one is refused before a long read (it was
     * refused only once the run began, Spark started and M read, where {@code factorize} refuses at once): the
     * engine's entries with the driver's threads for the engine's threads, the partitions and task threads when given.
     * A checkpoint from before {@code --task-threads} has no {@code task_threads}: the run's own check decides.
     */
    private Map<String, Object> knownConfiguration(DType dtype) {
        Map<String, Object> engine = new LinkedHashMap<>(options.configuration(rank, dtype));
        Map<String, Object> known = new LinkedHashMap<>();
        known.put("rank", engine.remove("rank"));
        known.put("engine", "spark");
        if (partitions != null) {
            known.put("partitions", (long) partitions);
        }
        if (taskThreads != null && checkpointing.resumedConfiguration().containsKey("task_threads")) {
            known.put("task_threads", (long) taskThreads);
        }
        // SparkFactorizer's default, as the engine's: the driver's processors
        known.put("driver_threads", engine.remove("threads"));
        known.putAll(engine);
        return known;
    }

    /** The room note of {@code factorize}: U and V in a checkpoint and in {@code --out}. */
    private void noteRoom(Destinations destinations, MatrixSource source, DType dtype) {
        SolverRun.noteRoom(spec.commandLine().getOut()::println, destinations,
                SparkOutputs.written(source, outFormat.format()), source.rows(), source.cols(), rank, dtype);
    }

    private SparkFactorizer.Builder builder(DType dtype, List<DenseMatrix> owned) {
        SparkFactorizer.Builder b = SparkFactorizer.builder(rank)
                .schedule(options.schedule())
                .variant(options.variant())
                .initializer(options.initializer(dtype, owned))
                .seed(options.seed())
                .timeLimit(options.timeLimit())
                .cancelToken(Interruption.token());
        SolverOptions.option("--max-iter", () -> b.maxIterations(options.maxIterations()));
        if (options.tolerance() != null) {
            SolverOptions.option("--tol", () -> b.tolerance(options.tolerance()));
        }
        if (options.threads() != null) {
            SolverOptions.option("--threads", () -> b.driverThreads(options.threads()));
        }
        if (taskThreads != null) {
            SolverOptions.option("--task-threads", () -> b.taskThreads(taskThreads));
        }
        SolverOptions.option("--lineage-every", () -> b.lineageEvery(lineageEvery));
        checkpointing.applyTo(b::resumeFrom, b::checkpoint);
        return b;
    }

    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");
    /**
     * The master URLs Spark 4.2 knows (SparkContext.createTaskScheduler: local, local[N], local[*], local[N,F],
     * local-cluster[N,C,M], spark://…; the cluster managers it ships: yarn, k8s://…). Another would fail inside
     * Spark's start with a stack trace after seconds.
     */
    private static final Pattern MASTER = Pattern.compile(
            "local(\\[(\\*|[1-9]\\d*)(\\s*,\\s*\\d+)?])?|local-cluster\\[[\\d\\s,]+]|spark://.+|yarn|k8s://.+");

    /**
     * Refuses a scipy {@code .npz} or delimited text, which {@code factorize} reads and this command does not: read
     * as Matrix Market, they were refused with that reader's advice to give them the names they had ("give it a name
     * ending in .npz"; "delimited text is read from a name ending in .csv" for {@code M.csv}). A file named as
     * delimited text whose first bytes are another format (a Matrix Market banner in {@code M.txt}) is refused as
     * {@code factorize} refuses it, not with advice to convert it with {@code numpy.loadtxt}, which fails on it.
     */
    private void refuseFormatsOfFactorizeOnly() {
        if (!Files.isRegularFile(input)) {
            return;
        }
        String quoted = "'" + input.toString().replace("'", "\\'") + "'";
        DelimitedText.Separator separator = DelimitedText.separatorOf(input);
        String foreign = separator == null ? null : DelimitedText.foreignFormatOf(input);
        if (foreign != null) {
            throw new UsageException("--input " + input + ": not delimited text: " + foreign, null);
        }
        String convert = input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npz")
                ? "a scipy .npz; convert it: scipy.io.mmwrite('M.mtx', scipy.sparse.load_npz(" + quoted + "))"
                : separator == null ? null
                : "delimited text; convert it: numpy.save('M.npy', numpy.loadtxt(" + quoted
                        + (separator == DelimitedText.Separator.COMMA ? ", delimiter=','"
                        : separator == DelimitedText.Separator.TAB ? ", delimiter='\\t'" : "") + "))";
        if (convert != null) {
            throw new UsageException("--input " + input + ": spark-factorize reads a .mtx or .npy file, a directory "
                    + "of .npy shards or Parquet, not " + convert + " (factorize reads it as it is)", null);
        }
    }

    /**
     * Refuses, before the input is read and Spark starts, a missing or malformed master and more task threads than a
     * local master's cores (Spark itself would fail to start, with a stack trace).
     */
    private void checkMaster() {
        String url = master != null ? master : System.getProperty("spark.master");
        if (url == null) {
            // spark-submit passes its master to the application as this system property
            throw new UsageException("no Spark master: pass --master local[N], or run the application jar with "
                    + "spark-submit", null);
        }
        if (master != null && !MASTER.matcher(master).matches()) {
            throw new UsageException("--master " + master + ": not a Spark master URL (local[N], local[*], "
                    + "spark://HOST:PORT, yarn, k8s://HOST:PORT, ...)", null);
        }
        if (master != null && master.startsWith("spark://")) {
            requireReachable(master);
        }
        if (taskThreads != null && url.startsWith("local")) {
            int cores = localCores(url);
            if (taskThreads > cores) {
                throw new UsageException("--task-threads " + taskThreads + ": more than the " + cores
                        + " core(s) of --master " + url, null);
            }
        }
    }

    /** How long a standalone master's port is given to accept a connection before the run is refused. */
    private static final int CONNECT_MILLIS = 5_000;

    /**
     * Refuses a standalone master ({@code spark://HOST:PORT}, or several for standby masters) none of whose addresses
     * accepts a connection: Spark retried for a minute, then failed with hundreds of lines of its log and a
     * 3 000-character message about a stopped context (a new user's {@code spark://nohost:7077}, and a port nothing
     * listened on). The connection is closed at once; Spark makes its own.
     */
    private static void requireReachable(String master) {
        List<String> why = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new UsageException("--master " + master + ": '" + hostPort.substring(colon + 1) + "' is not a "
                        + "port", e);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), CONNECT_MILLIS);
                return;
            } catch (UnknownHostException e) {
                why.add(host + ": unknown host");
            } catch (IOException | IllegalArgumentException e) {
                why.add(hostPort + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
        }
        throw new UsageException("--master " + master + ": cannot connect (" + String.join("; ", why) + ")", null);
    }

    /**
     * The task slots of a local master ({@code local}, {@code local[N]}, {@code local[*]}, {@code local[N,F]}), or
     * {@link Integer#MAX_VALUE} for another ({@code local-cluster[…]}: Spark checks its executors' cores itself).
     */
    private static int localCores(String master) {
        Matcher m = LOCAL.matcher(master);
        if (!m.matches()) {
            return Integer.MAX_VALUE;
        }
        if (m.group(1) == null) {
            return 1;
        }
        return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
    }

    /**
     * A file system URI: a scheme (RFC 3986) and a path after it ({@code hdfs://…}, {@code file:/…}). A name such as
     * {@code ck:x} is a local path, made absolute for Hadoop, whose {@code Path} would take {@code ck} for a scheme
     * ("URISyntaxException: Relative path in absolute URI").
     */
    private static final Pattern SCHEME = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*):/.*");

    /**
     * Refuses, before Spark starts, a {@code --checkpoint-dir} on the local file system (no scheme, or {@code file:})
     * that cannot be made or written; Spark would refuse it only once started, in Hadoop's words. Another file system
     * ({@code hdfs://…}) only Spark reaches.
     */
    private void checkCheckpointDir() {
        if (checkpointDir == null) {
            return;
        }
        Matcher scheme = SCHEME.matcher(checkpointDir);
        if (!scheme.matches()) {
            Path local;
            try {
                // an empty value (an unset variable) is the working directory to the JDK, a ~ the shell left is "~"
                local = FileChecks.path(checkpointDir);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--checkpoint-dir: " + e.getMessage(), e);
            }
            FileChecks.requireWritableDirectory("--checkpoint-dir", local);
            checkpointDir = local.toAbsolutePath().toString();
        } else if (scheme.group(1).equalsIgnoreCase("file") && checkpointDir.startsWith("/", 5)) {
            FileChecks.requireWritableDirectory("--checkpoint-dir", Path.of(URI.create(checkpointDir)));
        }
    }

    /**
     * After a run that started {@code sc}, however it ended: removes the directory {@code setCheckpointDir} made in
     * {@code --checkpoint-dir} ({@code checkpointDir}, null without it), then stops Spark. Neither may replace the
     * run's result (its outputs are written by then) or its exception, the one the user must see: what fails is said
     * on one line of {@code err}, naming what was left, and nothing is thrown. Before, a failure to stop replaced
     * either.
     */
    static void release(JavaSparkContext sc, String checkpointDir, PrintWriter err) {
        try {
            removeCheckpointDirectory(sc, checkpointDir, err);
        } finally {
            try {
                sc.stop();
            } catch (RuntimeException e) {
                err.println("autobalance: note: Spark did not stop cleanly (" + e + ")");
            }
        }
    }

    /**
     * Removes the directory that {@code setCheckpointDir} made in {@code --checkpoint-dir} for this context (a random
     * name), empty once the run has removed its lineage cuts' files: each run left one. One that is not empty (files
     * the run could not remove) or that the file system refuses to remove is left, as Spark leaves it, and named.
     */
    private static void removeCheckpointDirectory(JavaSparkContext sc, String checkpointDir, PrintWriter err) {
        if (checkpointDir == null || !sc.getCheckpointDir().isPresent()) {
            return;
        }
        org.apache.hadoop.fs.Path made = new org.apache.hadoop.fs.Path(sc.getCheckpointDir().get());
        String why;
        try {
            FileSystem fs = made.getFileSystem(sc.hadoopConfiguration());
            FileStatus[] held = fs.exists(made) ? fs.listStatus(made) : new FileStatus[0];
            if (held.length > 0) {
                why = String.join(", ", Arrays.stream(held).map(f -> f.getPath().getName()).sorted().toList())
                        + " left in it";
            } else if (fs.delete(made, false) || !fs.exists(made)) {
                return;
            } else {
                why = "the file system refused to remove it";
            }
        } catch (IOException | RuntimeException e) {
            why = e.toString();
        }
        err.println("autobalance: note: --checkpoint-dir: left " + made + " (" + why + ")");
    }

    /** The embedded local Spark of {@code --master}, or the context spark-submit configured. */
    private JavaSparkContext startSpark() {
        SparkConf conf = new SparkConf().setAppName("autobalance spark-factorize");
        if (master != null) {
            conf.setMaster(master);
        }
        if (conf.get("spark.master").startsWith("local")) {
            // an embedded Spark for one command: no web UI, loopback only
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            if (taskThreads != null) {
                // Spark then schedules N/T tasks at a time on local[N] (checkMaster: T ≤ N), so the task threads
                // never outnumber its cores
                conf.set("spark.task.cpus", Integer.toString(taskThreads));
            }
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(
                SparkSession.builder().config(conf).getOrCreate().sparkContext());
        if (checkpointDir != null) {
            try {
                sc.setCheckpointDir(checkpointDir);
            } catch (Exception e) {
                // Hadoop's file system throws checked exceptions (FileNotFoundException) through Scala undeclared
                sc.stop();
                throw new UsageException("--checkpoint-dir " + checkpointDir + ": cannot make a checkpoint directory "
                        + "there (" + e.getMessage() + ")", e);
            }
        }
        return sc;
    }
}

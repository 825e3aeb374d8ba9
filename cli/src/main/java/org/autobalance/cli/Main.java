package org.autobalance.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.kernel.EngineProperties;
import org.autobalance.memory.NativeMemory;
import org.autobalance.solve.DivergenceException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code autobalance} command line. Exit codes: 0 success, 1 the run failed, 2 invalid usage or input. */
@Command(name = "autobalance", mixinStandardHelpOptions = true,
        description = "Low-rank matrix factorization by gradient descent, with the balance of the factors observable.",
        footer = {"", "The launcher script ./autobalance adds: test (the test suite) and bench (the engine against "
                + "OpenBLAS and EJML; bench e2e: whole processes against numpy); each takes --help."})
public final class Main implements Runnable {
    /**
     * What every command's {@code --version} prints: the build's version, as its POM says (a constant here said 0.1.0
     * of a 0.1.0-SNAPSHOT build).
     */
    static final String VERSION = "autobalance " + buildVersion();

    /** The project's version, from the resource Maven filters at the build. */
    private static String buildVersion() {
        Properties build = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new ExceptionInInitializerError("this build lacks its version.properties");
            }
            build.load(in);
        } catch (IOException e) {
            throw new ExceptionInInitializerError("this build's version.properties cannot be read: " + e);
        }
        return build.getProperty("version");
    }

    /** Exit code of a run that failed after its input was accepted (divergence, I/O error while writing). */
    static final int EXIT_FAILED = 1;
    /** Exit code of invalid usage or invalid input (options, files, shapes). */
    static final int EXIT_USAGE = 2;

    /**
     * The commands by name, in the order the help lists them. Not the annotation's {@code subcommands}: picocli builds
     * the model of every declared command (reflection over its options, a proxy for each kind of annotation) before
     * it parses anything (two fifths of the main thread's samples before a {@code factorize} read its input, most of
     * them for the commands not run); so when the first argument names a command, only that one is built
     * (native-notes/startup.md, fifteenth session). A command's options and help do not depend on its siblings.
     */
    private static final Map<String, Supplier<Object>> COMMANDS = commands();

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private static Map<String, Supplier<Object>> commands() {
        Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
        commands.put("factorize", FactorizeCommand::new);
        commands.put("network", NetworkCommand::new);
        commands.put("demo", DemoCommand::new);
        commands.put("reproduce", ReproduceCommand::new);
        commands.put("spark-factorize", SparkFactorizeOptions::new);
        commands.put("help", CommandLine.HelpCommand::new);
        return Collections.unmodifiableMap(commands);
    }

    public static void main(String[] args) {
        // numbers in the results are read by scripts: 1.5e-03, never the locale's 1,5e-03 (a German LANG gave
        // "relative error 9,999999e-01"); all categories, as PrintWriter.printf formats in Locale.getDefault()
        Locale.setDefault(Locale.ROOT);
        Interruption.install();
        int code;
        try {
            code = execute(args);
        } finally {
            Interruption.reported();
        }
        System.exit(code);
    }

    /** Runs the command line on standard output and error and returns its exit code. */
    public static int execute(String... args) {
        return execute(new Main(), StandardOutput.open(), new PrintWriter(System.err, true), args);
    }

    /**
     * Runs the command line with the given output and error streams; never calls {@code System.exit} while the JVM
     * runs on (reproduce does once it is shutting down, see {@link #execute(Object, PrintWriter, PrintWriter,
     * String...)}).
     */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(new Main(), out, err, args);
    }

    /**
     * Runs a picocli {@code command} with this command line's conventions: exit code 2 for invalid usage or input,
     * 1 for a failed run, one line "autobalance: error: …" naming the problem. Never calls {@code System.exit} while
     * the JVM runs on: reproduce calls it when a signal came just before a report's write, to block there (the JVM
     * is already ending) rather than start a write that the end of the JVM would cut short.
     */
    public static int execute(Object command, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(command);
        if (command instanceof Main) {
            // before the settings below, which picocli applies to the commands added so far; "help NAME" needs them all
            Supplier<Object> named = args.length > 0 && !args[0].equals("help") ? COMMANDS.get(args[0]) : null;
            for (Supplier<Object> c : named != null ? List.of(named) : COMMANDS.values()) {
                cli.addSubcommand(c.get());
            }
        }
        // picocli leaves a command's version empty unless its own annotation names one: "factorize --version" printed
        // an empty line (and spark-factorize's, run as the command, too)
        cli.getCommandSpec().version(VERSION);
        cli.getSubcommands().values().forEach(sub -> sub.getCommandSpec().version(VERSION));
        // picocli would read "@FILE" arguments as argument files: undocumented here, and an argument such as "@."
        // failed with an InitializationException outside the usage-error path (found by SolverOptionsFuzzTest)
        cli.setExpandAtFiles(false);
        cli.registerConverter(Path.class, Main::path);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(Main::exitCode);
        // picocli's own handler prints the whole usage (80 lines for factorize) after the message, which pushes the
        // message off the screen: one line names the problem and where the help is
        cli.setParameterExceptionHandler((e, parsed) -> {
            e.getCommandLine().getErr().println("autobalance: error: " + FileChecks.printable(oneLine(e)));
            return EXIT_USAGE;
        });
        cli.setExecutionStrategy(parsed -> {
            Integer help = CommandLine.executeHelpRequest(parsed);
            if (help != null) {
                return help;
            }
            try {
                // the engine's -D properties (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS): a bad one is a usage error before
                // the input is read, not a stack trace out of the kernels' initialisers at the first pass
                EngineProperties.check();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ExecutionException(parsed.commandSpec().commandLine(), e.getMessage(), e);
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // one line whatever the file names in it hold (a newline, an escape sequence)
            cmd.getErr().println("autobalance: error: " + FileChecks.printable(describe(e)));
            return exitCode(e);
        });
        int code;
        try (Heartbeat _ = Heartbeat.start(err)) {
            code = cli.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli passes errors through: the JVM printed "Exception in thread main" and a stack trace. The checks
            // before a run refuse what certainly cannot fit (NativeMemory.requireHeap); this is what came close to
            // the limit and passed it. The arrays are unreachable by now, so the line can be printed.
            String name = command instanceof Main ? (args.length > 0 ? args[0] : "")
                    : cli.getCommandSpec().name();
            err.println("autobalance: error: " + outOfMemory(e, Runtime.getRuntime().maxMemory(), name));
            return EXIT_FAILED;
        }
        String lost = out instanceof StandardOutput o ? o.failure() : null;
        if (lost != null && code == 0) {
            // the files a run wrote are whole; what it printed (the result lines, where they went) is not
            err.println("autobalance: error: cannot write to standard output (" + FileChecks.printable(lost)
                    + "): what this command printed there is incomplete");
            return EXIT_FAILED;
        }
        return code;
    }

    /**
     * What an {@code OutOfMemoryError} says in one line: which memory ran out and where (the innermost frame of this
     * project), and for the heap its limit and a larger one. "Requested array size exceeds VM limit" is no shortage:
     * no heap holds that array, so it is said as the bug (or the path's limit) it is.
     */
    static String outOfMemory(OutOfMemoryError e, long maxHeap, String command) {
        String what = e.getMessage() == null ? "out of memory" : e.getMessage();
        String where = Arrays.stream(e.getStackTrace()).filter(f -> f.getClassName().startsWith("org.autobalance."))
                .findFirst().map(f -> " in " + f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1)
                        + "." + f.getMethodName()).orElse("");
        if (what.startsWith("Requested array size")) {
            return "an array longer than any the JVM holds was asked for" + where + " (" + what + "): a bug, or a "
                    + "problem too large for this path that the checks before a run let through; please report it, "
                    + "with the command";
        }
        return what.equals("Java heap space") || what.equals("GC overhead limit exceeded")
                ? "the Java heap ran out" + where + " (" + what + "; its limit is " + NativeMemory.size(maxHeap)
                        + "): " + (NativeMemory.heapCanExceed(maxHeap) ? "give the JVM more, e.g. "
                        + NativeMemory.heapOption(maxHeap) + ", or a smaller problem" : "it is as large as this "
                        + "machine's memory allows: a smaller problem") + ": " + smallerProblem(command)
                : "the JVM ran out of memory" + where + ": " + what;
    }

    /**
     * The options of {@code command} that make its problem smaller: network was advised "a lower rank", an option only
     * factorize has. A command of neither kind (demo, reproduce) gets the whole list.
     */
    private static String smallerProblem(String command) {
        return switch (command) {
            case "network" -> "narrower --layers";
            case "factorize", "spark-factorize" -> "fewer --threads, a lower --rank";
            default -> "fewer --threads, a lower rank, narrower layers";
        };
    }

    /** A path option's value, as {@link FileChecks#path} takes it (an unexpanded ~ refused). */
    static Path path(String text) {
        try {
            return FileChecks.path(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }

    private static int exitCode(Throwable e) {
        return e instanceof UsageException || e instanceof IllegalArgumentException
                || e instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_FAILED;
    }

    /**
     * The launcher's commands ({@code ./autobalance} runs them; this command line does not know them), named where a
     * word is none of its commands: {@code tests} listed the commands without {@code test}.
     */
    static final List<String> LAUNCHER_COMMANDS = List.of("bench", "test");

    /** The launcher's commands {@code word} may mean: one it begins ({@code ben}) or that begins it ({@code tests}). */
    static List<String> launcherCommandsLike(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        return LAUNCHER_COMMANDS.stream().filter(c -> (w.length() >= 3 && c.startsWith(w)) || w.startsWith(c))
                .toList();
    }

    /**
     * Whether {@code word} may mean {@code command}, ignoring case: its start ({@code repro}, at least 3 letters), a
     * longer form sharing its first 5 letters ({@code factorization}), or a misspelling of it — at most a third of the
     * word's letters (and at least two) inserted, deleted, replaced or swapped with a neighbour (the optimal string
     * alignment distance).
     */
    static boolean closeSpelling(String word, String command) {
        String a = word.toLowerCase(Locale.ROOT);
        String b = command.toLowerCase(Locale.ROOT);
        if (a.length() >= 3 && b.startsWith(a) || a.length() >= 5 && b.length() >= 5
                && a.regionMatches(0, b, 0, 5)) {
            return true;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            for (int j = 0; j <= b.length(); j++) {
                if (i == 0 || j == 0) {
                    d[i][j] = i + j;
                    continue;
                }
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()] <= Math.max(2, a.length() / 3);
    }

    /** A parse error with picocli's suggestion, if any, and where the command's help is. */
    static String oneLine(CommandLine.ParameterException e) {
        List<String> unmatched = e.getCommandLine().getUnmatchedArguments();
        if (e instanceof CommandLine.MissingParameterException && !unmatched.isEmpty()) {
            // picocli checks the required options before the words it did not take: "--input M.npy -rank 3" (one
            // dash) and "factorize M.npy --rank 3" (a value without its option) said "Missing required option:
            // '--rank=R'" or "'--input=…'", and the word the user got wrong went unnamed
            return oneLine(new CommandLine.UnmatchedArgumentException(e.getCommandLine(), unmatched));
        }
        String message = e.getMessage();
        CommandLine.Model.CommandSpec spec = e.getCommandLine().getCommandSpec();
        List<String> suggestions = e instanceof CommandLine.UnmatchedArgumentException u ? u.getSuggestions()
                : List.of();
        if (e instanceof CommandLine.UnmatchedArgumentException u && !spec.subcommands().isEmpty()
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
            // a word where a command is expected is one misspelt or missing, not picocli's "Unmatched
            // arguments from index 0: 'bogus'"
            String word = u.getUnmatched().getFirst();
            List<String> launcher = launcherCommandsLike(word);
            // picocli suggests by shared letter pairs, whatever their order: 'frobnicate' was "did you mean
            // reproduce?" and 'factorise' "factorize or network"
            suggestions = !launcher.isEmpty() ? launcher
                    : suggestions.stream().filter(c -> closeSpelling(word, c)).toList();
            message = "unknown command '" + word + "'" + (suggestions.isEmpty()
                    ? ": the commands are " + String.join(", ", spec.subcommands().keySet()) + ", and the launcher's "
                            + String.join(", ", LAUNCHER_COMMANDS)
                    : "");
        }
        if (e instanceof CommandLine.UnmatchedArgumentException u && u.isUnknownOption()) {
            // picocli lists every word after an unknown option as unknown too, its value included ("Unknown
            // options: '--max-second', '3'"): the words that look like options are the ones to name
            List<String> options = u.getUnmatched().stream().filter(w -> w.startsWith("-") && !isNumber(w)).toList();
            message = (options.size() == 1 ? "unknown option " : "unknown options ")
                    + String.join(", ", options.stream().map(o -> "'" + o + "'").toList())
                    + Optional.ofNullable(EngineProperties.systemPropertyHint(options))
                            .or(() -> factorizeOnlyHint(spec, options)).map(h -> " (" + h + ")").orElse("");
        }
        if (e instanceof CommandLine.UnmatchedArgumentException u && spec.subcommands().isEmpty()
                && !u.isUnknownOption() && spec.positionalParameters().isEmpty()) {
            // picocli's "Unmatched argument at index 1: 'M.npy'" in a command of options alone: a value whose
            // option's name is missing
            CommandLine.ParseResult parsed = e.getCommandLine().getParseResult();
            boolean inputMissing = spec.findOption("--input") != null && parsed != null
                    && !parsed.hasMatchedOption("--input");
            message = "unexpected argument '" + u.getUnmatched().getFirst() + "' (a value needs its option's name "
                    + "before it" + (inputMissing ? ", such as --input " + u.getUnmatched().getFirst() : "") + ")";
        } else if (e instanceof CommandLine.UnmatchedArgumentException u && spec.subcommands().isEmpty()
                && !u.isUnknownOption() && !u.getUnmatched().isEmpty()) {
            // a word beyond a command's arguments ("reproduce rank1 extra"): picocli's "Unmatched argument at
            // index 2: 'extra'"
            message = "unexpected argument '" + u.getUnmatched().getFirst() + "' (" + spec.name() + " takes "
                    + String.join(" ", spec.positionalParameters().stream().map(p -> p.paramLabel()).toList()) + ")";
        }
        if (!suggestions.isEmpty()) {
            message += " (did you mean " + String.join(" or ", suggestions) + "?)";
        }
        // picocli ends some messages with a full stop ("Unknown subcommand 'x'."), which the "; see" made ".;"
        return (message.endsWith(".") ? message.substring(0, message.length() - 1) : message) + "; see '"
                + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'";
    }

    /**
     * "unknown option '--objective'" from spark-factorize read as a typing slip to a user who had just run factorize
     * with it: the options that are factorize's alone (its sparse engine's) are named as such.
     */
    private static Optional<String> factorizeOnlyHint(CommandLine.Model.CommandSpec spec, List<String> options) {
        if (!"spark-factorize".equals(spec.name())) {
            return Optional.empty();
        }
        CommandLine.Model.CommandSpec factorize = new CommandLine(new FactorizeCommand()).getCommandSpec();
        List<String> theirs = options.stream().map(o -> o.split("=", 2)[0])
                .filter(o -> factorize.findOption(o) != null).toList();
        return theirs.size() != options.size() ? Optional.empty()
                : Optional.of((theirs.size() == 1 ? "an option" : "options") + " of factorize's sparse engine: "
                        + "spark-factorize holds M dense and minimises the full loss");
    }

    private static boolean isNumber(String word) {
        try {
            Double.parseDouble(word);
            return true;
        } catch (NumberFormatException notANumber) {
            return false;
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        if (e instanceof DivergenceException) {
            // the library speaks of schedules and scales; here they are options
            return message + " (options: --schedule auto:C with a smaller C, --init small:SCALE)";
        }
        return message == null ? e.getClass().getSimpleName() : message;
    }

    @Override
    public void run() {
        // the one line ends "; see 'autobalance --help'" (oneLine), which this message repeated
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'autobalance demo' or "
                + "'autobalance factorize --help'");
    }
}

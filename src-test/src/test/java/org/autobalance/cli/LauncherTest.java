package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The launcher script {@code ./autobalance}, copied into a tree of its own with a built jar in place (so it builds
 * nothing) and a stand-in {@code java}: a shell script that answers {@code -version} as a JDK 25 does, exits as the
 * ahead-of-time cache's training run with {@code $TRAINING_EXIT}, and otherwise prints the locale it was started in;
 * and a stand-in {@code mvn} first on the PATH, which prints its arguments.
 */
class LauncherTest {
    @TempDir
    Path root;

    @BeforeEach
    void copyTheLauncher() throws IOException {
        Path launcher = null;
        for (Path d = Path.of("").toAbsolutePath(); d != null && launcher == null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("autobalance")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                launcher = d.resolve("autobalance");
            }
        }
        Assumptions.assumeTrue(launcher != null && Files.isExecutable(Path.of("/bin/bash")), "the launcher and bash");
        Files.copy(launcher, root.resolve("autobalance"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String source : new String[] {"pom.xml", "core/pom.xml", "core/src/main/Nothing.java", "cli/pom.xml"}) {
            Files.createDirectories(root.resolve(source).getParent());
            Files.writeString(root.resolve(source), "");
        }
        Path jar = root.resolve("cli/target/autobalance.jar");
        Files.createDirectories(jar.getParent());
        Files.writeString(jar, "");
        // newer than every source, so the launcher does not build
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60)));
        Path java = root.resolve("jdk/bin/java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, """
                #!/bin/sh
                for a in "$@"; do
                  case "$a" in
                    -version) echo 'openjdk version "25" 2025-09-16' >&2; exit 0 ;;
                    -XX:AOTCacheOutput=*) exit "${TRAINING_EXIT:-0}" ;;
                  esac
                done
                echo "command ran: LC_ALL=${LC_ALL:-} LC_CTYPE=${LC_CTYPE:-}"
                """);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path mvn = root.resolve("bin/mvn");
        Files.createDirectories(mvn.getParent());
        Files.writeString(mvn, "#!/bin/sh\necho \"mvn ran: $*\"\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private record Ran(int exitCode, String out) {
    }

    /** The launcher with {@code environment} and nothing else but PATH and the stand-in JDK. */
    private Ran launch(Map<String, String> environment, String... args) throws Exception {
        Process p = launcher(environment, args).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Ran(p.waitFor(), out);
    }

    private ProcessBuilder launcher(Map<String, String> environment, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = root.resolve("autobalance").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        String path = System.getenv("PATH");
        builder.environment().clear();
        builder.environment().put("PATH", root.resolve("bin") + ":" + path);
        builder.environment().put("JAVA_HOME", root.resolve("jdk").toString());
        builder.environment().putAll(environment);
        return builder;
    }

    /**
     * Two launches at once after the sources changed (the lead's {@code bench --quick}, then {@code bench --help} two
     * seconds later) both started Maven, and one build failed ("Could not replace original artifact with shaded
     * artifact!"). The second now waits for the first's build, says so on one line, and builds nothing; with
     * {@code flock} and, where it is missing (a PATH without it), with perl's. The stand-in {@code mvn} notes its
     * start, waits to be released, then makes the jar fresh and notes its end. The holder's line names the
     * subcommand only: the arguments may hold credentials.
     */
    @ParameterizedTest(name = "locked with {0}")
    @ValueSource(strings = {"flock", "perl"})
    void aSecondLaunchWaitsForTheFirstsBuildAndBuildsNothing(String tool) throws Exception {
        Path builds = root.resolve("builds.log");
        Path release = root.resolve("release");
        Path jar = root.resolve("cli/target/autobalance.jar");
        Files.writeString(root.resolve("bin/mvn"), """
                #!/bin/sh
                echo start >> "$BUILDS"
                while [ ! -f "$RELEASE" ]; do sleep 0.05; done
                touch -d '+1 hour' "$JAR"
                echo end >> "$BUILDS"
                """);
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(60)));
        Map<String, String> environment = new HashMap<>(Map.of("AUTOBALANCE_AOT", "0", "BUILDS", builds.toString(),
                "RELEASE", release.toString(), "JAR", jar.toString()));
        if (tool.equals("perl")) {
            environment.put("PATH", root.resolve("bin") + ":" + pathWithout("flock"));
        }
        Path firstOut = root.resolve("first.out");
        Path secondOut = root.resolve("second.out");
        Process first = launcher(environment, "demo", "--token", "s3cret").redirectOutput(firstOut.toFile()).start();
        Process second = null;
        try {
            awaitUntil(() -> read(builds).equals("start\n"), first);
            second = launcher(environment, "--help").redirectOutput(secondOut.toFile()).start();
            Process running = second;
            // on the old launcher the second build starts; on this one the second launch waits and says so
            awaitUntil(() -> read(secondOut).contains("waiting") || read(builds).equals("start\nstart\n"), running);
            Files.writeString(release, "");
            assertTrue(first.waitFor(60, TimeUnit.SECONDS) && second.waitFor(60, TimeUnit.SECONDS), "a launch hung");
        } finally {
            first.destroyForcibly();
            if (second != null) {
                second.destroyForcibly();
            }
            removeTools();
        }
        assertEquals("start\nend\n", read(builds), "one build, not two at once");
        assertEquals(0, first.exitValue(), read(firstOut));
        assertEquals(0, second.exitValue(), read(secondOut));
        assertTrue(read(firstOut).contains("autobalance: building") && read(firstOut).endsWith("command ran: "
                + "LC_ALL= LC_CTYPE=C.UTF-8\n"), read(firstOut));
        assertEquals("autobalance: waiting for another launch in this checkout to finish building (pid "
                + first.pid() + ": ./autobalance demo) ...\ncommand ran: LC_ALL= LC_CTYPE=C.UTF-8\n",
                read(secondOut));
    }

    /**
     * The command starts without the build lock: the launcher's {@code exec} keeps its open files, and a command that
     * held it would keep every other launch in the checkout waiting for as long as it ran, and deadlock one it starts
     * itself ({@code bench e2e}'s Python runs {@code ./autobalance factorize}). The stand-in {@code java} tries the
     * lock as another launch would.
     */
    @ParameterizedTest(name = "locked with {0}")
    @ValueSource(strings = {"flock", "perl"})
    void theCommandRunsWithoutTheBuildLock(String tool) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/flock")), "flock(1) to try the lock with");
        Path lock = root.resolve("target/.autobalance-build.lock");
        Files.writeString(root.resolve("jdk/bin/java"), """
                #!/bin/sh
                for a in "$@"; do
                  case "$a" in -version) echo 'openjdk version "25" 2025-09-16' >&2; exit 0 ;; esac
                done
                if ! /usr/bin/flock -n "$LOCK" true; then echo "the command holds the lock"; fi
                echo "command ran"
                """);
        Map<String, String> environment = new HashMap<>(Map.of("AUTOBALANCE_AOT", "0", "LOCK", lock.toString()));
        if (tool.equals("perl")) {
            environment.put("PATH", root.resolve("bin") + ":" + pathWithout("flock"));
        }
        try {
            Ran ran = launch(environment, "demo");
            assertEquals(new Ran(0, "command ran\n"), ran);
        } finally {
            removeTools();
        }
    }

    /**
     * {@code ./autobalance test} held the build lock to its end, the example's build and run included: every other
     * launch in the checkout waited that long. It is held for the suite's {@code mvn install}, which rewrites the
     * build, and the install of core's jar from core/target, and released before the example, which builds in
     * examples/ only.
     */
    @Test
    void testReleasesTheBuildLockAfterTheSuite() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/flock")), "flock(1) to try the lock with");
        Files.writeString(root.resolve("bin/mvn"), """
                #!/bin/sh
                if /usr/bin/flock -n "$LOCK" true; then echo "mvn $*: free"; else echo "mvn $*: held"; fi
                """);
        Ran ran = launch(Map.of("LOCK", root.resolve("target/.autobalance-build.lock").toString()), "test",
                "-Djcstress.skip");
        assertEquals(0, ran.exitCode(), ran.out());
        List<String> mavens = ran.out().lines().filter(line -> line.startsWith("mvn ")).toList();
        assertEquals(3, mavens.size(), ran.out());
        assertTrue(mavens.get(0).contains(" install -Djcstress.skip: held"), ran.out());
        assertTrue(mavens.get(1).contains("install:install-file") && mavens.get(1).endsWith(": held"), ran.out());
        assertTrue(mavens.get(2).contains("-f examples/pom.xml") && mavens.get(2).endsWith(": free"), ran.out());
    }

    /**
     * A checkout whose target/ the user cannot write (a shared install in /opt, an image built as root and run as
     * another user) ran fine before the build lock; with it, every launch said "Permission denied" (flock) or waited
     * for good. It builds nothing, so it takes no lock: the launch runs and says nothing. Root writes everywhere, so
     * as root the launch runs as nobody.
     */
    @Test
    void aCheckoutWhoseTargetCannotBeWrittenRunsWithoutALock() throws Exception {
        boolean asRoot = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        Assumptions.assumeTrue(!asRoot || Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv to drop root");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(Files.createDirectories(root.resolve("target")),
                PosixFilePermissions.fromString("r-xr-xr-x"));
        for (String tool : new String[] {"flock", "perl", "neither"}) {
            Map<String, String> environment = new HashMap<>(Map.of("AUTOBALANCE_AOT", "0"));
            if (!tool.equals("flock")) {
                String without = tool.equals("perl") ? pathWithout("flock") : pathWithout("flock", "perl");
                environment.put("PATH", root.resolve("bin") + ":" + without);
            }
            ProcessBuilder builder = launcher(environment, "demo");
            if (asRoot) {
                builder.command().addAll(0, List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", "--"));
            }
            Process p = builder.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            removeTools();
            assertEquals(new Ran(0, "command ran: LC_ALL= LC_CTYPE=C.UTF-8\n"), new Ran(p.waitFor(), out), tool);
        }
    }

    /**
     * Without flock and perl the launcher has no lock to take: it says so on one line and runs the command.
     */
    @Test
    void withoutFlockAndPerlTheLaunchSaysItIsNotSerialised() throws Exception {
        try {
            Ran ran = launch(Map.of("AUTOBALANCE_AOT", "0",
                    "PATH", root.resolve("bin") + ":" + pathWithout("flock", "perl")), "demo");
            assertEquals(new Ran(0, "autobalance: neither flock nor perl found: launches at once in this checkout "
                    + "may build at once\ncommand ran: LC_ALL= LC_CTYPE=C.UTF-8\n"), ran);
        } finally {
            removeTools();
        }
    }

    /**
     * A directory of links to every program on the PATH but {@code names}: the launcher finds everything it uses but
     * those.
     */
    private String pathWithout(String... names) throws IOException {
        Path tools = Files.createDirectories(root.resolve("tools"));
        for (String dir : System.getenv("PATH").split(":")) {
            Path d = Path.of(dir);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> programs = Files.list(d)) {
                for (Path program : (Iterable<Path>) programs::iterator) {
                    Path link = tools.resolve(program.getFileName().toString());
                    if (!List.of(names).contains(program.getFileName().toString())
                            && Files.isExecutable(program)
                            && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, program);
                    }
                }
            }
        }
        return tools.toString();
    }

    /** Removes the links of {@link #pathWithout} (JUnit warns of each link to outside its directory it removes). */
    private void removeTools() throws IOException {
        Path tools = root.resolve("tools");
        if (Files.isDirectory(tools)) {
            try (Stream<Path> links = Files.list(tools)) {
                for (Path link : (Iterable<Path>) links::iterator) {
                    Files.delete(link);
                }
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until {@code condition} holds, failing if {@code launch} ends first or after a minute. */
    private static void awaitUntil(BooleanSupplier condition, Process launch) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertTrue(launch.isAlive(), "the launch ended before it was expected to");
            assertTrue(System.nanoTime() < deadline, "nothing happened for a minute");
            Thread.sleep(20);
        }
    }

    /**
     * Ctrl-C while the cache was trained (the first command after a build) stopped the training demo, which exits
     * 130 as a cancelled run does; the launcher took that for a training that failed, said "could not make the
     * ahead-of-time cache", and ran the command the user had just interrupted, to its end, exit 0.
     */
    @Test
    void aSignalWhileTheCacheIsTrainedStopsTheCommand() throws Exception {
        for (String status : new String[] {"129", "130", "143"}) {
            Ran ran = launch(Map.of("TRAINING_EXIT", status), "demo");
            assertEquals(Integer.parseInt(status), ran.exitCode(), ran.out());
            assertFalse(ran.out().contains("command ran"), ran.out());
            assertTrue(ran.out().contains("interrupted while training the ahead-of-time cache"), ran.out());
        }
        Ran failed = launch(Map.of("TRAINING_EXIT", "1"), "demo");
        assertEquals(0, failed.exitCode(), failed.out());
        assertTrue(failed.out().contains("could not make the ahead-of-time cache")
                && failed.out().contains("command ran"), failed.out());
    }

    /**
     * A stand-in {@code java} whose training fails when it is given an engine property (as the engine refuses
     * {@code -Dautobalance.simd.bits=100}) and otherwise writes the options it was trained with into the cache, then
     * exits with {@code $TRAINING_EXIT}; the command says which cache it ran with. The jar is dated a minute ago,
     * its sources two, so a cache made now is newer than the jar, as after a real build.
     */
    private void javaThatTrainsACache() throws IOException {
        for (String source : new String[] {"pom.xml", "core/pom.xml", "core/src/main/Nothing.java", "cli/pom.xml"}) {
            Files.setLastModifiedTime(root.resolve(source), FileTime.from(Instant.now().minusSeconds(120)));
        }
        Files.setLastModifiedTime(root.resolve("cli/target/autobalance.jar"),
                FileTime.from(Instant.now().minusSeconds(60)));
        Files.writeString(root.resolve("jdk/bin/java"), """
                #!/bin/sh
                for a in "$@"; do
                  case "$a" in
                    -version) echo 'openjdk version "25" 2025-09-16' >&2; exit 0 ;;
                    -XX:AOTCacheOutput=*)
                      case " $JAVA_TOOL_OPTIONS $JDK_JAVA_OPTIONS" in *" -Dautobalance."*) exit 1 ;; esac
                      echo "$JAVA_TOOL_OPTIONS|$JDK_JAVA_OPTIONS" > "${a#-XX:AOTCacheOutput=}"
                      exit "${TRAINING_EXIT:-0}" ;;
                    -XX:AOTCache=*) cache="${a#-XX:AOTCache=}" ;;
                  esac
                done
                echo "command ran${cache:+ with a cache trained with $(cat "$cache")}"
                """);
    }

    /**
     * With an engine property the engine refuses in JAVA_TOOL_OPTIONS, every launch trained the cache, the training
     * failed and said so on two lines, and then the command said its own one line. The training runs without the
     * engine's properties, and keeps the user's other options (GC and JIT flags must match the cache's).
     */
    @Test
    void theCacheIsTrainedWithoutTheEnginesProperties() throws Exception {
        javaThatTrainsACache();
        Map<String, String> environment = Map.of("JAVA_TOOL_OPTIONS", "-Dautobalance.simd.bits=100 -Xss2m",
                "JDK_JAVA_OPTIONS", "-Dautobalance.kernels=scalar");
        assertEquals(new Ran(0, "autobalance: training the JVM's ahead-of-time cache (once per build) ...\n"
                + "command ran with a cache trained with  -Xss2m|\n"), launch(environment, "demo"));
        assertEquals(new Ran(0, "command ran with a cache trained with  -Xss2m|\n"), launch(environment, "demo"));
    }

    /**
     * A training that failed for another cause was tried again, and said so, on every launch. It is tried again once
     * the jar (a build), the JDK or the options change; meanwhile the command runs without a cache, an old one
     * removed (the JVM would refuse it with warnings on every run).
     */
    @Test
    void aFailedTrainingIsNotTriedAgainUntilSomethingChanges() throws Exception {
        javaThatTrainsACache();
        Path cache = Files.writeString(root.resolve("cli/target/autobalance.aot"), "older than the jar");
        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().minusSeconds(90)));
        Map<String, String> environment = Map.of("TRAINING_EXIT", "1", "JAVA_TOOL_OPTIONS", "-Xss2m");
        Ran failed = launch(environment, "demo");
        assertTrue(failed.out().contains("could not make the ahead-of-time cache")
                && failed.out().endsWith("\ncommand ran\n"), failed.out());
        assertFalse(Files.exists(cache));
        assertEquals(new Ran(0, "command ran\n"), launch(environment, "demo"));
        assertTrue(launch(Map.of("TRAINING_EXIT", "1", "JAVA_TOOL_OPTIONS", "-Xss4m"), "demo").out()
                .contains("could not make"));
        // a build: the jar newer than the marker
        Files.setLastModifiedTime(root.resolve("cli/target/autobalance.jar"), FileTime.from(Instant.now()));
        assertTrue(launch(environment, "demo").out().contains("could not make"));
        assertEquals(new Ran(0, "command ran\n"), launch(environment, "demo"));
    }

    /**
     * The first {@code spark-factorize} builds the Spark module with {@code -am}, which packages cli again: a new
     * command-line jar from unchanged sources, so the next command trained the cache again (15 s). A jar that was
     * fresh before the Spark build is put back, the same bytes and mtime; one a source is newer than is the build's.
     * The stand-in {@code mvn} rewrites the jar and makes the Spark module's files.
     */
    @Test
    void theSparkBuildKeepsAFreshCommandLineJar() throws Exception {
        javaThatTrainsACache();
        Files.writeString(root.resolve("bin/mvn"), """
                #!/bin/sh
                echo rebuilt > cli/target/autobalance.jar
                mkdir -p spark/target && : > spark/target/autobalance-spark.jar && : > spark/target/spark-classpath.txt
                """);
        Path jar = root.resolve("cli/target/autobalance.jar");
        Files.writeString(jar, "trained on");
        FileTime trainedOn = FileTime.from(Instant.now().minusSeconds(60));
        Files.setLastModifiedTime(jar, trainedOn);
        assertTrue(launch(Map.of(), "demo").out().contains("training"));
        Ran spark = launch(Map.of(), "spark-factorize", "--rank", "2");
        assertTrue(spark.out().startsWith("autobalance: building the Spark module")
                && spark.out().endsWith("\ncommand ran\n"), spark.out());
        assertEquals("trained on", Files.readString(jar));
        assertEquals(trainedOn, Files.getLastModifiedTime(jar));
        assertFalse(Files.exists(root.resolve("cli/target/autobalance.jar.keep")));
        assertEquals(new Ran(0, "command ran with a cache trained with |\n"), launch(Map.of(), "demo"));

        Files.delete(root.resolve("spark/target/autobalance-spark.jar"));
        Files.setLastModifiedTime(root.resolve("core/src/main/Nothing.java"), FileTime.from(Instant.now()));
        launch(Map.of(), "spark-factorize", "--rank", "2");
        assertEquals("rebuilt\n", Files.readString(jar));
    }

    /**
     * A Spark build whose launcher's shell was killed alone (SIGTERM from {@code timeout}: Maven ran on and rewrote
     * the command line's jar) left the jar it had kept aside, {@code autobalance.jar.keep}, and the next command
     * trained the cache again for the rewritten jar (a new user's finding). The next launch that takes the build lock
     * puts it back while its sources are unchanged, and removes it when one is newer.
     */
    @Test
    void aJarKeptAsideByAKilledSparkBuildIsPutBackOrRemoved() throws Exception {
        Path jar = root.resolve("cli/target/autobalance.jar");
        Path kept = root.resolve("cli/target/autobalance.jar.keep");
        FileTime keptAt = FileTime.from(Instant.now().plusSeconds(30));
        Files.writeString(jar, "rewritten by the Spark build");
        Files.writeString(kept, "kept");
        Files.setLastModifiedTime(kept, keptAt);
        assertEquals(new Ran(0, "command ran: LC_ALL= LC_CTYPE=C.UTF-8\n"),
                launch(Map.of("AUTOBALANCE_AOT", "0"), "demo"));
        assertEquals("kept", Files.readString(jar));
        assertEquals(keptAt, Files.getLastModifiedTime(jar));
        assertFalse(Files.exists(kept));

        Files.writeString(kept, "kept before a source changed");
        Files.setLastModifiedTime(kept, FileTime.from(Instant.now().minusSeconds(60)));
        launch(Map.of("AUTOBALANCE_AOT", "0"), "demo");
        assertFalse(Files.exists(kept));
        assertEquals("kept", Files.readString(jar));
    }

    /**
     * {@code spark-factorize}'s help and version, or the command alone, come from the command line's jar: the launcher
     * built the Spark module first (24.6 s with Spark's jars at hand, minutes where it downloads them). A run builds
     * it (the tests above). The stand-in {@code java} prints how it was asked to run what; the stand-in {@code mvn}
     * prints that it ran.
     */
    @ParameterizedTest(name = "spark-factorize {0}")
    @ValueSource(strings = {"--help", "--input M.npy --rank 2 -h", "--version", "-V", ""})
    void sparkFactorizesHelpBuildsNoSpark(String args) throws Exception {
        Files.writeString(root.resolve("jdk/bin/java"), """
                #!/bin/sh
                [ "$1" = -version ] && { echo 'openjdk version "25" 2025-09-16' >&2; exit 0; }
                while [ "$1" != -jar ] && [ "$1" != -cp ]; do shift; done
                how="$1 ${2##*/}"
                shift 2
                echo "java $how $*"
                """);
        String[] words = ("spark-factorize " + args).trim().split(" ");
        Ran help = launch(Map.of("AUTOBALANCE_AOT", "0"), words);
        assertEquals(new Ran(0, "java -jar autobalance.jar " + String.join(" ", words) + "\n"), help);
    }

    /**
     * {@code spark-factorize} runs on the jars {@code spark/target/spark-classpath.txt} lists, in the local Maven
     * repository of whoever built the module: one deleted since (a clean of {@code ~/.m2}) ended the JVM in a
     * NoClassDefFoundError and its stack trace, exit code 1. A jar gone makes the launcher build again, which resolves
     * it; one still unreadable after that is one line naming it, exit code 2, and the command does not run.
     */
    @Test
    void aSparkClassPathJarGoneIsBuiltAgainOrNamed() throws Exception {
        for (String source : new String[] {"cli/src/main/Nothing.java", "spark/pom.xml", "spark/src/main/Nothing.java",
                "spark/target/autobalance-spark.jar"}) {
            Files.createDirectories(root.resolve(source).getParent());
            Files.writeString(root.resolve(source), "");
        }
        Files.setLastModifiedTime(root.resolve("spark/target/autobalance-spark.jar"),
                FileTime.from(Instant.now().plusSeconds(60)));
        Path present = root.resolve("m2/spark-core.jar");
        Path gone = root.resolve("m2/hadoop-client-api.jar");
        Files.createDirectories(present.getParent());
        Files.writeString(present, "");
        Files.writeString(root.resolve("spark/target/spark-classpath.txt"), present + ":" + gone);
        // the stand-in build brings the jar back when $RESOLVES names it
        Files.writeString(root.resolve("bin/mvn"), """
                #!/bin/sh
                echo 'mvn ran'
                [ -z "$RESOLVES" ] || : > "$RESOLVES"
                """);

        Ran unresolved = launch(Map.of(), "spark-factorize", "--rank", "2");
        assertEquals(2, unresolved.exitCode(), unresolved.out());
        String[] lines = unresolved.out().split("\n");
        assertEquals(3, lines.length, unresolved.out());
        assertTrue(lines[0].startsWith("autobalance: building the Spark module"), unresolved.out());
        assertEquals("mvn ran", lines[1]);
        assertTrue(lines[2].startsWith("autobalance: spark-factorize: cannot read " + gone
                + ", a jar of Spark's class path"), unresolved.out());

        Ran resolved = launch(Map.of("RESOLVES", gone.toString()), "spark-factorize", "--rank", "2");
        assertEquals(0, resolved.exitCode(), resolved.out());
        assertTrue(resolved.out().startsWith("autobalance: building the Spark module")
                && resolved.out().contains("\nmvn ran\ncommand ran"), resolved.out());
        Ran fresh = launch(Map.of(), "spark-factorize", "--rank", "2");
        assertTrue(fresh.exitCode() == 0 && fresh.out().startsWith("command ran"), fresh.out());
    }

    /**
     * Ctrl-C, SIGTERM or SIGHUP during the launcher's build stops there, as during the training (SIGHUP, exit 129,
     * was "the build failed; run 'mvn -B install' to see why"); a stand-in {@code mvn} exits with {@code
     * $BUILD_EXIT}, and a source newer than the jar makes the launcher build.
     */
    @Test
    void aSignalDuringTheBuildIsSaidToBeOne() throws Exception {
        Path mvn = root.resolve("bin/mvn");
        Files.createDirectories(mvn.getParent());
        Files.writeString(mvn, "#!/bin/sh\nexit \"$BUILD_EXIT\"\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setLastModifiedTime(root.resolve("cli/target/autobalance.jar"),
                FileTime.from(Instant.now().minusSeconds(60)));
        String path = mvn.getParent() + ":" + System.getenv("PATH");
        for (String status : new String[] {"129", "130", "143"}) {
            Ran ran = launch(Map.of("BUILD_EXIT", status, "PATH", path), "demo");
            assertEquals(Integer.parseInt(status), ran.exitCode(), ran.out());
            assertTrue(ran.out().contains("autobalance: interrupted while building"), ran.out());
            assertFalse(ran.out().contains("command ran") || ran.out().contains("the build failed"), ran.out());
        }
        Ran failed = launch(Map.of("BUILD_EXIT", "1", "PATH", path), "demo");
        assertEquals(2, failed.exitCode(), failed.out());
        assertTrue(failed.out().contains("the build failed; run 'mvn -B install' to see why."), failed.out());
        assertFalse(failed.out().contains("command ran"), failed.out());
    }

    /**
     * Without a locale (a container, cron) the JVM decodes file names as ASCII, and refused every name with a byte
     * above 127 ("Malformed input or input contains unmappable characters"): the launcher starts it in C.UTF-8 then,
     * and leaves a locale that is set alone.
     */
    @Test
    void withoutALocaleFileNamesAreReadAsUtf8() throws Exception {
        Map<String, String> noCache = Map.of("AUTOBALANCE_AOT", "0");
        assertTrue(launch(noCache, "demo").out().contains("LC_ALL= LC_CTYPE=C.UTF-8"));
        assertTrue(launch(Map.of("AUTOBALANCE_AOT", "0", "LANG", "POSIX"), "demo").out()
                .contains("LC_ALL= LC_CTYPE=C.UTF-8"));
        assertTrue(launch(Map.of("AUTOBALANCE_AOT", "0", "LC_ALL", "C"), "demo").out()
                .contains("LC_ALL=C.UTF-8 LC_CTYPE="));
        assertTrue(launch(Map.of("AUTOBALANCE_AOT", "0", "LANG", "de_DE.ISO-8859-1"), "demo").out()
                .contains("LC_ALL= LC_CTYPE="));
    }

    /**
     * {@code test --help} ran {@code mvn install --help} (Maven's help) and then the embedding example, a minute of
     * work; any other argument went to Maven too. Help is the launcher's, and what is not a Maven property is refused
     * in one line; the properties the README names still reach Maven.
     */
    @Test
    void testTakesHelpAndMavenPropertiesOnly() throws Exception {
        for (String help : new String[] {"--help", "-h"}) {
            Ran ran = launch(Map.of(), "test", help);
            assertEquals(0, ran.exitCode(), ran.out());
            assertTrue(ran.out().startsWith("Usage: ./autobalance test [-Dname=value ...]\nRuns the whole test suite"),
                    ran.out());
            assertFalse(ran.out().contains("mvn ran"), ran.out());
        }
        Ran bogus = launch(Map.of(), "test", "-Djcstress.skip", "--bogus");
        assertEquals(2, bogus.exitCode(), bogus.out());
        assertEquals("autobalance: test: unknown argument '--bogus': it takes only Maven properties (-Dname=value); "
                + "see ./autobalance test --help\n", bogus.out());
        Ran properties = launch(Map.of(), "test", "-Dsurefire.groups.excluded=slow,spark", "-Djcstress.skip");
        assertEquals(0, properties.exitCode(), properties.out());
        assertTrue(properties.out().startsWith("mvn ran: -B -ntp install -Dsurefire.groups.excluded=slow,spark "
                + "-Djcstress.skip\n"), properties.out());
    }
}

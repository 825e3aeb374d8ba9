package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        String[] command = new String[args.length + 1];
        command[0] = root.resolve("autobalance").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        String path = System.getenv("PATH");
        builder.environment().clear();
        builder.environment().put("PATH", root.resolve("bin") + ":" + path);
        builder.environment().put("JAVA_HOME", root.resolve("jdk").toString());
        builder.environment().putAll(environment);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Ran(p.waitFor(), out);
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

package org.autobalance.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * cli/src/build/ModernizeClassFiles.java, which the build runs on the launcher's jar: run here on picocli's own jar
 * (Java 5 class files), it must leave no class file the ahead-of-time cache refuses, change nothing else in the jar,
 * and give classes that load, verify and behave as the originals.
 */
class ModernizeClassFilesTest {
    @TempDir
    Path dir;

    @Test
    void rewritesPicocliAsClassFilesTheCacheStoresAndTheyBehaveTheSame() throws Exception {
        Path original = Path.of(CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(majorVersions(original).stream().anyMatch(v -> v < 50),
                "picocli's jar has no class file older than Java 6 any more: nothing is left to test (or to do)");
        Path rewritten = dir.resolve("picocli.jar");
        runTool(original, rewritten);

        assertTrue(majorVersions(rewritten).stream().allMatch(v -> v >= 50), "versions " + majorVersions(rewritten));
        // written through an owner-only temporary file, the launcher's jar was left unreadable to other users
        assertEquals(Files.getPosixFilePermissions(original), Files.getPosixFilePermissions(rewritten));
        try (ZipFile before = new ZipFile(original.toFile()); ZipFile after = new ZipFile(rewritten.toFile())) {
            assertEquals(names(before), names(after));
            for (ZipEntry e : before.stream().toList()) {
                if (!e.getName().endsWith(".class")) {
                    assertArrayEquals(bytes(before, e), bytes(after, after.getEntry(e.getName())), e.getName());
                }
            }
        }
        // a usage message goes through most of picocli (reflection, the model, the help layout): the same text
        try (URLClassLoader loader = new URLClassLoader(new URL[] {rewritten.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            Class<?> commandLine = Class.forName("picocli.CommandLine", true, loader);
            assertEquals(loader, commandLine.getClassLoader());
            Object help = Class.forName("picocli.CommandLine$HelpCommand", true, loader)
                    .getConstructor().newInstance();
            Object parser = commandLine.getConstructor(Object.class).newInstance(help);
            assertEquals(new CommandLine(new CommandLine.HelpCommand()).getUsageMessage(),
                    commandLine.getMethod("getUsageMessage").invoke(parser));
        }
    }

    @Test
    void leavesAClassItCannotRewriteAsItWasAndSaysWhichRewritingTheRest() throws Exception {
        // jsr/ret (javac wrote them for finally blocks before Java 6) cannot be described by stack maps: the library
        // refuses to rewrite such a class, which used to fail the whole launcher build without naming it
        byte[] jsr = ClassFile.of().build(ClassDesc.of("old.Finally"), c -> c.withVersion(49, 0)
                .withSuperclass(ConstantDescs.CD_Object)
                .withMethodBody("run", MethodTypeDesc.of(ConstantDescs.CD_void), ClassFile.ACC_STATIC, code -> {
                    Label subroutine = code.newLabel();
                    code.with(DiscontinuedInstruction.JsrInstruction.of(subroutine)).return_()
                            .labelBinding(subroutine);
                    code.astore(0).with(DiscontinuedInstruction.RetInstruction.of(0));
                }));
        byte[] plain = ClassFile.of().build(ClassDesc.of("old.Plain"), c -> c.withVersion(49, 0)
                .withSuperclass(ConstantDescs.CD_Object)
                .withMethodBody("run", MethodTypeDesc.of(ConstantDescs.CD_void), ClassFile.ACC_STATIC,
                        CodeBuilder::return_));
        Path jar = dir.resolve("old.jar");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
            for (var e : List.of(Map.entry("old/Finally.class", jsr), Map.entry("old/Plain.class", plain))) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        Path rewritten = dir.resolve("new.jar");
        String output = runTool(jar, rewritten);

        assertTrue(output.contains("warning: old.jar: old/Finally.class left as version 49"), output);
        try (ZipFile after = new ZipFile(rewritten.toFile())) {
            assertArrayEquals(jsr, bytes(after, after.getEntry("old/Finally.class")));
            byte[] b = bytes(after, after.getEntry("old/Plain.class"));
            assertEquals(52, (b[6] & 0xff) << 8 | (b[7] & 0xff));
        }
    }

    /**
     * The build runs the tool on the launcher's jar: dropped from cli/pom.xml, or run before the shade, it would leave
     * picocli out of the cache without failing anything else. Checked where this build packaged cli (its jar on the
     * class path, in a target directory, next to the launcher's jar made in the same phase); a class-path of
     * directories ({@code mvn test}) or of installed jars has no launcher's jar of this build to check.
     */
    @Test
    void theLaunchersJarHoldsNoClassFileOlderThanJava6() throws Exception {
        Path cli = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Assumptions.assumeTrue(Files.isRegularFile(cli) && cli.getParent().getFileName().toString().equals("target"),
                "cli not packaged in this build: " + cli);
        Path launcher = cli.resolveSibling("autobalance.jar");
        try (ZipFile zip = new ZipFile(launcher.toFile())) {
            assertTrue(zip.getEntry("picocli/CommandLine.class") != null, launcher + " holds no picocli");
        }
        assertTrue(majorVersions(launcher).stream().allMatch(v -> v >= 50),
                launcher + ": class file versions " + new TreeSet<>(majorVersions(launcher)));
    }

    /** Runs the tool on {@code in}, writing {@code out}; returns what it printed, having checked it exited 0. */
    private static String runTool(Path in, Path out) throws IOException, InterruptedException {
        Process tool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                tool().toString(), in.toString(), out.toString())
                .redirectErrorStream(true).start();
        String output = new String(tool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, tool.waitFor(), output);
        return output;
    }

    private static Path tool() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path tool = p.resolve("cli/src/build/ModernizeClassFiles.java");
            if (Files.isRegularFile(tool)) {
                return tool;
            }
        }
        throw new IllegalStateException("cli/src/build/ModernizeClassFiles.java not found above "
                + Path.of("").toAbsolutePath());
    }

    private static List<Integer> majorVersions(Path jar) throws IOException {
        List<Integer> versions = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry e : zip.stream().toList()) {
                if (e.getName().endsWith(".class") && !e.getName().endsWith("module-info.class")) {
                    byte[] b = bytes(zip, e);
                    versions.add((b[6] & 0xff) << 8 | (b[7] & 0xff));
                }
            }
        }
        return versions;
    }

    private static List<String> names(ZipFile zip) {
        return zip.stream().map(ZipEntry::getName).toList();
    }

    private static byte[] bytes(ZipFile zip, ZipEntry e) throws IOException {
        try (var in = zip.getInputStream(e)) {
            return in.readAllBytes();
        }
    }
}

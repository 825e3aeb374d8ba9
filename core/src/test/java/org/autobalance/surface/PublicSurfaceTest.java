package org.autobalance.surface;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autobalance.solve.Factorizer;
import org.junit.jupiter.api.Test;

/**
 * The public surface of the core module is what {@code public-api.txt} (beside this class's package in the test
 * resources) lists, no more and no less: every type that a user of the module can name — public top-level types of the
 * exported packages and their public or protected nested types, read from the compiled classes and the module
 * descriptor — is either API (documented, versioned) or one of the few listed as internal but still public for the
 * project's other modules. A new public class in an exported package fails the build until someone decides which it
 * is: API (add it to the list) or internal (a non-exported package, or package-private).
 */
class PublicSurfaceTest {

    @Test
    void thePublicTypesOfTheExportedPackagesAreTheListedOnes() throws IOException {
        Set<String> listed = allowList();
        Set<String> found = publicTypes();
        Set<String> unlisted = new TreeSet<>(found);
        unlisted.removeAll(listed);
        Set<String> stale = new TreeSet<>(listed);
        stale.removeAll(found);
        assertTrue(unlisted.isEmpty(), "public in an exported package but not in public-api.txt: " + unlisted
                + " — decide: API (document it and list it) or internal (move it to a non-exported package or make it"
                + " package-private)");
        assertTrue(stale.isEmpty(), "listed in public-api.txt but not a public type of an exported package: " + stale);
    }

    private static Set<String> allowList() throws IOException {
        try (InputStream in = Objects.requireNonNull(PublicSurfaceTest.class.getResourceAsStream("public-api.txt"))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .map(l -> l.split("\\s+")[0]).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Canonical names of the types a module reading core can name. */
    static Set<String> publicTypes() throws IOException {
        return withClasses(root -> {
            Set<String> types = new TreeSet<>();
            for (String pkg : exportedPackages(root)) {
                Path dir = root.resolve(pkg.replace('.', '/'));
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                        String name = f.getFileName().toString();
                        if (name.equals("package-info.class")) {
                            continue;
                        }
                        Class<?> c = load(pkg + "." + name.substring(0, name.length() - ".class".length()));
                        if (visible(c)) {
                            types.add(c.getCanonicalName());
                        }
                    }
                }
            }
            return types;
        });
    }

    private static Set<String> exportedPackages(Path root) throws IOException {
        try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
            return ModuleDescriptor.read(in).exports().stream().filter(e -> !e.isQualified())
                    .map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Public, or a public or protected member of a visible type (a protected one is visible to subclasses). */
    private static boolean visible(Class<?> c) {
        if (c.isAnonymousClass() || c.isLocalClass() || c.isSynthetic()) {
            return false;
        }
        int m = c.getModifiers();
        Class<?> outer = c.getDeclaringClass();
        if (outer == null) {
            return Modifier.isPublic(m);
        }
        return (Modifier.isPublic(m) || Modifier.isProtected(m) && !Modifier.isFinal(outer.getModifiers()))
                && visible(outer);
    }

    private static Class<?> load(String binaryName) {
        try {
            return Class.forName(binaryName, false, PublicSurfaceTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(binaryName, e);
        }
    }

    private interface ClassesReader<T> {
        T read(Path root) throws IOException;
    }

    /** Core's compiled classes: the build's classes directory, or the jar when the tests run against it. */
    private static <T> T withClasses(ClassesReader<T> reader) throws IOException {
        Path location;
        try {
            location = Path.of(Factorizer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        if (Files.isDirectory(location)) {
            return reader.read(location);
        }
        try (FileSystem jar = FileSystems.newFileSystem(URI.create("jar:" + location.toUri()), Map.of())) {
            return reader.read(jar.getPath("/"));
        }
    }
}

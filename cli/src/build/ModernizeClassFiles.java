import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.constant.ClassDesc;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites the class files of a jar that are older than Java 6 (major version &lt; 50) as Java 8 class files (52), with
 * the stack maps such a file must carry, and leaves every other entry as it was. Run by the build on the launcher's
 * jar after shading: {@code java cli/src/build/ModernizeClassFiles.java JAR [OUT]} (in place without OUT).
 *
 * <p>Why: picocli is compiled for Java 5, and the JVM's ahead-of-time cache (the launcher's, JEP 483) does not store
 * classes of that age, so a command loaded the picocli classes it uses (172 of the jar's 228 for a {@code factorize})
 * from the jar and verified them with the old inferring verifier: about 0.2 s of CPU before the command started
 * (native-notes/startup.md, fifteenth session). Rewritten, those the cache's training run loads are stored in it like
 * the rest (a help text's layout classes are not: the training prints none). Only the version and the stack maps
 * change; the code is the same instructions. Each rewritten class is then loaded, verified and initialised from the new
 * jar in a loader of its own, so a class the JVM would reject fails the build, not a command. Initialised, so its
 * static initialiser runs: a library whose initialiser needs a class the jar lacks (an optional dependency) would
 * fail the build here even if no command ever initialised that class (picocli's do not).
 */
public final class ModernizeClassFiles {
    /** The oldest class-file version the ahead-of-time cache stores (Java 6, the first with stack maps). */
    private static final int CACHEABLE = 50;
    private static final int TARGET = 52;

    private ModernizeClassFiles() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java ModernizeClassFiles.java JAR [OUT]");
            System.exit(2);
        }
        Path in = Path.of(args[0]);
        Path out = args.length == 2 ? Path.of(args[1]) : in;
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), out.getFileName().toString(), ".tmp");
        try {
            List<String> rewritten = rewrite(in, tmp);
            verify(tmp, rewritten);
            // the temporary file is owner-only; the jar keeps the permissions it was built with
            if (Files.getFileStore(tmp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(in));
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            System.out.println(in.getFileName() + ": " + rewritten.size() + " class files older than Java 6 rewritten "
                    + "as version " + TARGET);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Copies {@code in} to {@code out}, old class files rewritten; returns the names of the classes rewritten. A class
     * the library cannot rewrite (jsr/ret, which stack maps cannot describe, or a supertype in neither the jar nor the
     * JDK) is copied as it was, with a warning: it costs the cache one class, not the build its launcher.
     */
    private static List<String> rewrite(Path in, Path out) throws IOException {
        List<String> names = new ArrayList<>();
        try (ZipFile zip = new ZipFile(in.toFile());
                OutputStream file = Files.newOutputStream(out);
                ZipOutputStream target = new ZipOutputStream(file)) {
            // stack maps name the common supertypes of merged values: found in the jar itself, then in the JDK
            ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.ofResourceParsing(
                            type -> classFileIn(zip, type)).orElse(ClassHierarchyResolver.defaultResolver())));
            for (ZipEntry entry : zip.stream().toList()) {
                byte[] bytes;
                try (var stream = zip.getInputStream(entry)) {
                    bytes = stream.readAllBytes();
                }
                if (entry.getName().endsWith(".class") && !entry.getName().endsWith("module-info.class")
                        && majorVersion(bytes) < CACHEABLE) {
                    try {
                        ClassModel model = classFile.parse(bytes);
                        // passing every method body through a code transform makes the library write it again,
                        // stack maps included; the end handler sets the version
                        ClassTransform again = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL);
                        bytes = classFile.transformClass(model,
                                again.andThen(ClassTransform.endHandler(b -> b.withVersion(TARGET, 0))));
                        names.add(model.thisClass().asInternalName().replace('/', '.'));
                    } catch (IllegalArgumentException e) {
                        // the generator's message goes on with a dump of the method: its first line says why
                        System.err.println("warning: " + in.getFileName() + ": " + entry.getName() + " left as version "
                                + majorVersion(bytes) + ", not rewritten: " + e.toString().lines().findFirst().get());
                    }
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime());
                target.putNextEntry(copy);
                target.write(bytes);
                target.closeEntry();
            }
        }
        return names;
    }

    /** The class file of {@code type} in {@code zip}, or null when the jar has none. */
    private static InputStream classFileIn(ZipFile zip, ClassDesc type) {
        String descriptor = type.descriptorString();
        ZipEntry entry = zip.getEntry(descriptor.substring(1, descriptor.length() - 1) + ".class");
        try {
            return entry == null ? null : zip.getInputStream(entry);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int majorVersion(byte[] classFile) {
        return (classFile[6] & 0xff) << 8 | (classFile[7] & 0xff);
    }

    /** Loads, verifies (linking does) and initialises each of {@code names} from {@code jar}. */
    private static void verify(Path jar, List<String> names) throws IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            for (String name : names) {
                try {
                    Class.forName(name, true, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                    throw new IllegalStateException(jar + ": the rewritten " + name + " does not load: " + e, e);
                }
            }
        }
    }
}

package org.autobalance.surface;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autobalance.solve.Factorizer;
import org.junit.jupiter.api.Test;

/**
 * The public surface of the core module is what {@code public-api.txt} (beside this class's package in the test
 * resources) lists, no more and no less: every type that a user of the module can name — public top-level types of the
 * exported packages and their public or protected nested types, read from the compiled classes and the module
 * descriptor — with its declaration, and every member a user can call or read: public (and, in a class that is not
 * final, protected) constructors, methods and fields, with their signatures, including those inherited from a
 * supertype the user cannot name. Either direction fails, with the lines to add or remove: a new public type or
 * member is a decision (API: document it and list it; or internal: a non-exported package, or not public), and a
 * listed one that changed or went is a change to the API that the list then records.
 *
 * <p>Not listed, as they cannot change independently: an enum's {@code values()} and {@code valueOf(String)}, and
 * {@code equals}, {@code hashCode} and {@code toString} (every object has them). With
 * {@code -DpublicSurface.write=FILE} the test also writes the surface it found to FILE, in the list's format without
 * its comments (a start when many lines change).
 */
class PublicSurfaceTest {
    private static final String INDENT = "    ";
    /** Types by name (a nested type after its outer one), members by name, then by the whole line. */
    private static final Comparator<String> TYPES = Comparator.comparing(t -> t.replace(':', ' '));
    private static final Comparator<String> MEMBERS = Comparator.comparing(PublicSurfaceTest::memberName)
            .thenComparing(Comparator.naturalOrder());

    @Test
    void thePublicTypesAndMembersOfTheExportedPackagesAreTheListedOnes() throws IOException {
        SortedMap<String, Set<String>> listed = allowList();
        SortedMap<String, Set<String>> found = publicSurface();
        String written = System.getProperty("publicSurface.write");
        if (written != null) {
            Files.writeString(Path.of(written), format(found), StandardCharsets.UTF_8);
        }
        SortedMap<String, Set<String>> added = difference(found, listed);
        SortedMap<String, Set<String>> removed = difference(listed, found);
        if (!added.isEmpty() || !removed.isEmpty()) {
            fail("core's public surface differs from core/src/test/resources/org/autobalance/surface/public-api.txt"
                    + (added.isEmpty() ? "" : "\n\nPublic now but not listed — decide: API (document it and add these "
                            + "lines) or internal (a non-exported package, or not public):\n" + format(added))
                    + (removed.isEmpty() ? "" : "\n\nListed but not (or no longer) public — an API change: remove these"
                            + " lines if it is meant:\n" + format(removed)));
        }
    }

    /**
     * A public supertype in a package that is not exported passes its public members on to an exported subtype, where
     * a user calls them: they are the subtype's surface. The supertype's public modifier alone stopped the search
     * there, and its members went unlisted.
     */
    @Test
    void membersInheritedFromATypeOfAPackageNotExportedAreListed() {
        String inherited = "String inheritedFromUnexported()";
        String own = "void own()";
        String pkg = PublicSurfaceTest.class.getPackageName();
        Set<String> notExported = members(Subtype.class, Set.of());
        if (!notExported.containsAll(Set.of(inherited, own))) {
            fail("with " + pkg + " not exported, Subtype's members must include " + inherited + ": " + notExported);
        }
        Set<String> exported = members(Subtype.class, Set.of(pkg));
        if (!exported.equals(Set.of("Subtype()", own))) {
            fail("with " + pkg + " exported, UnexportedBase is named and lists its own members: " + exported);
        }
    }

    /** The fixture's exported type: its package is exported or not as the test says. */
    public static final class Subtype extends UnexportedBase {
        public void own() {
        }
    }

    /**
     * The lines of {@code a} that {@code b} lacks, by type: a type line when the type (or its declaration) is new,
     * with all its members; otherwise the type's new members under its line.
     */
    private static SortedMap<String, Set<String>> difference(SortedMap<String, Set<String>> a,
            SortedMap<String, Set<String>> b) {
        SortedMap<String, Set<String>> d = new TreeMap<>(TYPES);
        a.forEach((type, members) -> {
            Set<String> other = b.get(type);
            Set<String> extra = new TreeSet<>(MEMBERS);
            extra.addAll(members);
            if (other != null) {
                extra.removeAll(other);
            }
            if (other == null || !extra.isEmpty()) {
                d.put(type, extra);
            }
        });
        return d;
    }

    private static String format(SortedMap<String, Set<String>> surface) {
        StringBuilder s = new StringBuilder();
        surface.forEach((type, members) -> {
            s.append(type).append('\n');
            members.forEach(m -> s.append(INDENT).append(m).append('\n'));
        });
        return s.toString();
    }

    /**
     * Each type's members are listed in one order, the one {@code -DpublicSurface.write} and the failure messages use
     * (by name, then by the whole line; a comment goes with the member after it), so that a change to the list is a
     * line added or removed where it belongs, not a reshuffle (those of Variant, Variant.Alternating and
     * NetworkInitializer were out of it until the fifteenth session).
     */
    @Test
    void eachTypesMembersAreListedInOrder() throws IOException {
        StringBuilder unsorted = new StringBuilder();
        allowListInFileOrder().forEach((type, members) -> {
            List<String> sorted = new ArrayList<>(members);
            sorted.sort(MEMBERS);
            if (!sorted.equals(members)) {
                unsorted.append(type).append('\n');
                sorted.forEach(m -> unsorted.append(INDENT).append(m).append('\n'));
            }
        });
        if (!unsorted.isEmpty()) {
            fail("public-api.txt: list these types' members in this order:\n" + unsorted);
        }
    }

    /** Type line (name and declaration) → member lines, from the list. */
    private static SortedMap<String, Set<String>> allowList() throws IOException {
        SortedMap<String, Set<String>> listed = new TreeMap<>(TYPES);
        allowListInFileOrder().forEach((type, members) -> listed.computeIfAbsent(type, t -> new TreeSet<>(MEMBERS))
                .addAll(members));
        return listed;
    }

    /** Type line → member lines in the order of the list; {@code #} starts a comment line. */
    private static Map<String, List<String>> allowListInFileOrder() throws IOException {
        Map<String, List<String>> listed = new LinkedHashMap<>();
        try (InputStream in = Objects.requireNonNull(PublicSurfaceTest.class.getResourceAsStream("public-api.txt"))) {
            String type = null;
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList()) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                if (line.startsWith(" ")) {
                    if (type == null) {
                        throw new AssertionError("public-api.txt: a member before any type: " + line);
                    }
                    listed.get(type).add(l);
                } else {
                    type = l;
                    listed.computeIfAbsent(type, t -> new ArrayList<>());
                }
            }
        }
        return listed;
    }

    /** Type line → member lines of the types and members a module reading core can name. */
    static SortedMap<String, Set<String>> publicSurface() throws IOException {
        return withClasses(root -> {
            SortedMap<String, Set<String>> surface = new TreeMap<>(TYPES);
            Set<String> exported = exportedPackages(root);
            for (String pkg : exported) {
                Path dir = root.resolve(pkg.replace('.', '/'));
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                        String name = f.getFileName().toString();
                        if (name.equals("package-info.class")) {
                            continue;
                        }
                        Class<?> c = load(pkg + "." + name.substring(0, name.length() - ".class".length()));
                        if (visible(c)) {
                            surface.put(declaration(c), members(c, exported));
                        }
                    }
                }
            }
            return surface;
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

    /** A member a user can reach: public, or protected in a class that can be extended. */
    private static boolean reachable(Member m, Class<?> owner) {
        int mod = m.getModifiers();
        return !m.isSynthetic() && (Modifier.isPublic(mod) || Modifier.isProtected(mod)
                && !Modifier.isFinal(owner.getModifiers()) && !owner.isSealed());
    }

    /** e.g. {@code org.autobalance.solve.Result: final class implements AutoCloseable}. */
    private static String declaration(Class<?> c) {
        StringBuilder s = new StringBuilder(c.getCanonicalName()).append(':');
        int m = c.getModifiers();
        if (Modifier.isProtected(m)) {
            s.append(" protected");
        }
        String kind = c.isAnnotation() ? "@interface" : c.isInterface() ? "interface" : c.isEnum() ? "enum"
                : c.isRecord() ? "record" : "class";
        if (kind.equals("class") && Modifier.isAbstract(m)) {
            s.append(" abstract");
        }
        if (kind.equals("class") && Modifier.isFinal(m)) {
            s.append(" final");
        }
        if (c.isSealed()) {
            s.append(" sealed");
        }
        s.append(' ').append(kind);
        Type sup = c.getGenericSuperclass();
        if (sup != null && sup != Object.class && sup != Enum.class && sup != Record.class
                && !(sup.getTypeName().startsWith("java.lang.Enum<"))) {
            s.append(" extends ").append(name(sup, c));
        }
        Type[] interfaces = c.getGenericInterfaces();
        if (interfaces.length > 0) {
            s.append(c.isInterface() ? " extends " : " implements ").append(Arrays.stream(interfaces)
                    .map(t -> name(t, c)).collect(Collectors.joining(", ")));
        }
        return s.toString();
    }

    /**
     * The member lines of {@code c}: its own, and those of supertypes in its module that a user cannot name (not
     * visible, or in a package outside {@code exported}).
     */
    static Set<String> members(Class<?> c, Set<String> exported) {
        Set<String> lines = new TreeSet<>(MEMBERS);
        Set<Class<?>> sources = new LinkedHashSet<>();
        collectSources(c, c, exported, sources);
        for (Class<?> from : sources) {
            for (Constructor<?> k : from == c ? c.getDeclaredConstructors() : new Constructor<?>[0]) {
                if (reachable(k, c)) {
                    lines.add(modifiers(k, c) + typeParameters(k.getTypeParameters(), c) + c.getSimpleName()
                            + parameters(k, c));
                }
            }
            for (Method m : from.getDeclaredMethods()) {
                if (reachable(m, from) && !m.isBridge() && !implicit(m, from)) {
                    lines.add(modifiers(m, from) + typeParameters(m.getTypeParameters(), c)
                            + name(m.getGenericReturnType(), c) + " " + m.getName() + parameters(m, c));
                }
            }
            for (Field f : from.getDeclaredFields()) {
                if (reachable(f, from)) {
                    lines.add(modifiers(f, from) + name(f.getGenericType(), c) + " " + f.getName());
                }
            }
        }
        return lines;
    }

    /** A member line's name: the word before its parameters, or a field's last word. */
    private static String memberName(String line) {
        int paren = line.indexOf('(');
        String head = (paren < 0 ? line : line.substring(0, paren)).strip();
        return head.substring(head.lastIndexOf(' ') + 1);
    }

    /**
     * {@code c} and the supertypes whose members reach a user only through it: not nameable themselves, as a public
     * class of a package that is not exported is not (its public methods are callable on the exported subtype).
     */
    private static void collectSources(Class<?> c, Class<?> root, Set<String> exported, Set<Class<?>> sources) {
        if (c == null || c.getModule() != root.getModule()
                || c != root && visible(c) && exported.contains(c.getPackageName()) || !sources.add(c)) {
            return;
        }
        collectSources(c.getSuperclass(), root, exported, sources);
        for (Class<?> i : c.getInterfaces()) {
            collectSources(i, root, exported, sources);
        }
    }

    /** Members the language declares for every enum or object, listed nowhere. */
    private static boolean implicit(Method m, Class<?> owner) {
        String n = m.getName();
        int arity = m.getParameterCount();
        if (owner.isEnum() && Modifier.isStatic(m.getModifiers())
                && (n.equals("values") && arity == 0 || n.equals("valueOf") && arity == 1)) {
            return true;
        }
        return n.equals("equals") && arity == 1 || n.equals("hashCode") && arity == 0
                || n.equals("toString") && arity == 0;
    }

    private static String modifiers(Member m, Class<?> owner) {
        int mod = m.getModifiers();
        List<String> words = new ArrayList<>();
        if (Modifier.isProtected(mod)) {
            words.add("protected");
        }
        if (Modifier.isStatic(mod)) {
            words.add("static");
        }
        if (m instanceof Method method && owner.isInterface() && method.isDefault()) {
            words.add("default");
        }
        if (m instanceof Method && !owner.isInterface() && Modifier.isAbstract(mod)) {
            words.add("abstract");
        }
        if (m instanceof Field && Modifier.isFinal(mod)) {
            words.add("final");
        }
        return words.isEmpty() ? "" : String.join(" ", words) + " ";
    }

    private static String typeParameters(TypeVariable<?>[] vars, Class<?> context) {
        if (vars.length == 0) {
            return "";
        }
        return Arrays.stream(vars).map(v -> {
            Type[] bounds = v.getBounds();
            boolean plain = bounds.length == 1 && bounds[0] == Object.class;
            return plain ? v.getName() : v.getName() + " extends " + Arrays.stream(bounds)
                    .map(b -> name(b, context)).collect(Collectors.joining(" & "));
        }).collect(Collectors.joining(", ", "<", "> "));
    }

    private static String parameters(Executable e, Class<?> context) {
        Type[] types = e.getGenericParameterTypes();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            String n = name(types[i], context);
            names.add(e.isVarArgs() && i == types.length - 1 ? n.substring(0, n.length() - 2) + "..." : n);
        }
        String s = names.stream().collect(Collectors.joining(", ", "(", ")"));
        Type[] thrown = e.getGenericExceptionTypes();
        return thrown.length == 0 ? s : s + " throws " + Arrays.stream(thrown).map(t -> name(t, context))
                .collect(Collectors.joining(", "));
    }

    /**
     * A type as the list writes it: {@code java.lang}'s and the context's own package's types by their simple (or
     * nested) name, every other fully qualified, so that a change of package shows.
     */
    private static String name(Type t, Class<?> context) {
        String own = context.getPackageName() + ".";
        String n = t.getTypeName().replace('$', '.');
        n = n.replaceAll("\\bjava\\.lang\\.(?=[A-Z])", "");
        return n.replaceAll("\\b" + own.replace(".", "\\.") + "(?=[A-Z])", "");
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

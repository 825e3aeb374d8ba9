import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the SIMD kernel classes of {@code org.autobalance.kernel.simd} that exist once per element type (and, for the
 * fused pass, the sparse kernels and the float32 step and Gram, once more per large-rank species) from the templates
 * in {@code core/src/build/simd/}.
 *
 * <p>Why generated: the Vector API has no type shared by FloatVector and DoubleVector that C2 compiles without boxing,
 * and a species must be a {@code static final} constant, so each variant is its own class with its own copy of the
 * code. The templates are the sources to edit; the generated classes are committed (the build does not run this) and
 * {@code GeneratedKernelsUpToDateTest} fails when one differs from what this program writes.
 *
 * <p>Template language, deliberately small:
 * <ul>
 *   <li>{@code ${NAME}}: replaced by the variant's value (table {@link #names}); an unknown name is an error.
 *   <li>Lines {@code //#if FLAG}, {@code //#else}, {@code //#endif} (alone on their line, not nested) keep the lines
 *       between them only for the variants that have (or, after {@code //#else}, lack) the flag. Flags: the element's
 *       dtype ({@code float32}, {@code float64}), {@code small-rank} (the fused pass's small-r path, which only
 *       the normal-width classes run), {@code row-stream} (its middle-rank path, which only the large-rank classes
 *       run: it needs their 512-bit species where 32 vector registers exist), {@code all-passes} (the sparse passes
 *       that only the normal-width sparse classes have: the full loss's fused pass, the held-out residual) and
 *       {@code product} (the gather product and the observed pass, which only the large-width sparse classes have),
 *       {@code all-ops} (the float32 dot and residual, and the width-free helpers of the Gram tiles, which only the
 *       normal-width {@code FloatOps} and {@code GramTiles} have).
 *   <li>Lines starting with {@code //##} are comments of the template itself and are dropped.
 * </ul>
 *
 * <p>Run from the repository root with JDK 25: {@code java core/src/build/GenerateSimdVariants.java}. With
 * {@code --check} it writes nothing and exits 1, naming the files, when a committed file differs from the template's
 * output. {@code --root DIR} runs against another checkout (the test uses a copy). Files are read and written as UTF-8.
 */
public class GenerateSimdVariants {
    static final String TEMPLATES = "core/src/build/simd";
    static final String SOURCES = "core/src/main/java/org/autobalance/kernel/simd";
    static final Set<String> FLAGS = Set.of("float32", "float64", "small-rank", "row-stream", "all-passes", "product",
            "all-ops");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z_]+)}");

    /**
     * One generated class: its template, name, element type ({@code float} or {@code double}), species constant of
     * {@code SimdSpecies}, and flags besides the dtype.
     */
    record Variant(String template, String className, String elem, String species, Set<String> flags) {
    }

    static final List<Variant> VARIANTS = List.of(
            new Variant("Fused", "FloatFused", "float", "FLOAT", Set.of("small-rank")),
            new Variant("Fused", "DoubleFused", "double", "DOUBLE", Set.of("small-rank")),
            // no small-r path: SimdKernels sends them ranks above SMALL_MAX only (row stream: up to 2 of their
            // vectors; GEMM: at least 4)
            new Variant("Fused", "FloatFusedLarge", "float", "LARGE_FLOAT", Set.of("row-stream")),
            new Variant("Fused", "DoubleFusedLarge", "double", "LARGE_DOUBLE", Set.of("row-stream")),
            // the network GEMM; float64 at the large-rank width (see the template's S)
            new Variant("Gemm", "FloatGemm", "float", "FLOAT", Set.of()),
            new Variant("Gemm", "DoubleGemm", "double", "LARGE_DOUBLE", Set.of()),
            new Variant("Sparse", "FloatSparse", "float", "FLOAT", Set.of("all-passes")),
            new Variant("Sparse", "DoubleSparse", "double", "DOUBLE", Set.of("all-passes")),
            // the gather product and the observed pass, at the large-rank width (SimdSparseKernels)
            new Variant("Sparse", "FloatSparseLarge", "float", "LARGE_FLOAT", Set.of("product")),
            new Variant("Sparse", "DoubleSparseLarge", "double", "LARGE_DOUBLE", Set.of("product")),
            new Variant("Gram", "GramTiles", "double", "DOUBLE", Set.of("all-ops")),
            new Variant("Ops", "FloatOps", "float", "FLOAT", Set.of("all-ops")),
            // the float32 step and Gram at the large-rank width, for the ranks SimdKernels gives it (no dot, no
            // residual: those stay at the normal width); its Gram's tiles at the same width
            new Variant("Gram", "GramTilesLarge", "double", "LARGE_DOUBLE", Set.of()),
            new Variant("Ops", "FloatOpsLarge", "float", "LARGE_FLOAT", Set.of()));

    /** The placeholder values of a variant. */
    static Map<String, String> names(Variant v) {
        boolean f = v.elem().equals("float");
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CLASS", v.className());
        m.put("ELEM", v.elem()); // float: primitive type, and Scratch.floats(..)
        m.put("BOXED", f ? "Float" : "Double"); // Float.BYTES, VectorMask<Float>, ValueLayout.OfFloat
        m.put("VECTOR", f ? "FloatVector" : "DoubleVector");
        m.put("TYPE", f ? "FLOAT" : "DOUBLE"); // ValueLayout.JAVA_FLOAT, FusedTuning.FLOAT_JB
        m.put("SPECIES", v.species()); // SimdSpecies.FLOAT
        // the suffix of the classes bound to the same width: FloatFused or FloatFusedLarge, GramTiles(Large)
        m.put("WIDE", v.species().startsWith("LARGE_") ? "Large" : "");
        m.put("DTYPE", f ? "float32" : "float64"); // prose
        m.put("ZERO", f ? "0f" : "0.0");
        m.put("ONE", f ? "1f" : "1.0");
        // conversions that are redundant (a javac -Xlint:cast error) in float64
        m.put("FROM_DOUBLE", f ? "(float) " : "");
        m.put("TO_DOUBLE", f ? "(double) " : "");
        return m;
    }

    public static void main(String[] args) throws IOException {
        boolean check = false;
        Path root = Path.of("");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--check" -> check = true;
                case "--root" -> {
                    if (i + 1 == args.length) {
                        fail("--root needs a directory");
                    }
                    root = Path.of(args[++i]);
                }
                default -> fail("unknown argument " + args[i] + " (usage: [--check] [--root DIR])");
            }
        }
        if (!Files.isDirectory(root.resolve(TEMPLATES))) {
            fail("no " + TEMPLATES + " under " + root.toAbsolutePath() + ": run from the repository root");
        }
        List<String> stale = new ArrayList<>();
        for (Variant v : VARIANTS) {
            Path template = root.resolve(TEMPLATES).resolve(v.template() + ".java.template");
            String text = render(Files.readString(template, StandardCharsets.UTF_8), v);
            Path target = root.resolve(SOURCES).resolve(v.className() + ".java");
            if (check) {
                if (!Files.exists(target) || !Files.readString(target, StandardCharsets.UTF_8).equals(text)) {
                    stale.add(target.getFileName().toString());
                }
            } else {
                Files.writeString(target, text, StandardCharsets.UTF_8);
            }
        }
        if (!stale.isEmpty()) {
            System.out.println("generated SIMD kernels differ from their templates in " + TEMPLATES + ": "
                    + String.join(", ", stale) + " (edit the template, then run java core/src/build/"
                    + "GenerateSimdVariants.java)");
            System.exit(1);
        }
    }

    /** The text of one variant: header, then the template with its sections chosen and its placeholders filled. */
    static String render(String template, Variant v) {
        Map<String, String> names = names(v);
        Set<String> flags = new HashSet<>(v.flags());
        flags.add(names.get("DTYPE"));
        StringBuilder out = new StringBuilder();
        out.append("// GENERATED from ").append(TEMPLATES).append('/').append(v.template())
                .append(".java.template by core/src/build/GenerateSimdVariants.java\n")
                .append("// (variant ").append(v.className()).append("). Do not edit: edit the template, then run\n")
                .append("// java core/src/build/GenerateSimdVariants.java from the repository root.\n");
        String section = null; // the flag of the open //#if, null outside one
        boolean keep = true;
        boolean inElse = false;
        String[] lines = template.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            String t = line.strip();
            String where = v.template() + ".java.template:" + (n + 1) + ": ";
            if (t.startsWith("//##")) {
                continue;
            }
            if (t.startsWith("//#if ")) {
                String flag = t.substring("//#if ".length()).strip();
                if (section != null) {
                    fail(where + "nested //#if");
                }
                if (!FLAGS.contains(flag)) {
                    fail(where + "unknown flag " + flag + " (known: " + FLAGS + ")");
                }
                section = flag;
                keep = flags.contains(flag);
                inElse = false;
            } else if (t.equals("//#else")) {
                if (section == null || inElse) {
                    fail(where + "//#else without //#if");
                }
                keep = !flags.contains(section);
                inElse = true;
            } else if (t.equals("//#endif")) {
                if (section == null) {
                    fail(where + "//#endif without //#if");
                }
                section = null;
                keep = true;
            } else if (t.startsWith("//#")) {
                fail(where + "unknown directive " + t);
            } else if (keep) {
                out.append(fill(line, names, where));
                if (n + 1 < lines.length) {
                    out.append('\n');
                }
            }
        }
        if (section != null) {
            fail(v.template() + ".java.template: //#if " + section + " is not closed");
        }
        return out.toString();
    }

    private static String fill(String line, Map<String, String> names, String where) {
        Matcher m = PLACEHOLDER.matcher(line);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = names.get(m.group(1));
            if (value == null) {
                fail(where + "unknown placeholder ${" + m.group(1) + "} (known: " + names.keySet() + ")");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        if (sb.indexOf("${") >= 0) {
            fail(where + "malformed placeholder: " + line.strip());
        }
        return sb.toString();
    }

    private static void fail(String message) {
        System.err.println("GenerateSimdVariants: " + message);
        System.exit(2);
    }
}

package org.autobalance.kernel;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Every {@code autobalance.*} system property the engine reads, checked in one place before the classes that hold
 * them as constants are initialised. Why: those classes read them in static initialisers, where a bad value
 * ({@code -Dautobalance.simd.smallRank.float32=x}) threw out of the initialiser. The command line printed a 40-line
 * {@code ExceptionInInitializerError} at the first fused pass, after the input was read; a library caller got
 * {@code NoClassDefFoundError} on every later call, as a class that failed to initialise stays dead for the JVM's life
 * (a trap for a service that embeds the engine); and a bad vector width made the kernel choice fall back to the scalar
 * kernels with a warning that named no property.
 *
 * <p>Now {@link #check} reads them all, once they are valid keeps their values for the JVM's life (the classes read
 * them from here), and otherwise throws an {@link IllegalArgumentException} naming the property and its value, with
 * nothing initialised, so that the caller can set it right and call again. A value changed after that is refused, not
 * ignored, and so is an unknown name under the engine's prefixes. Every matrix made ({@code DenseMatrix}, {@code
 * SparseMatrix}) and the kernel choice ({@link KernelProvider}) call it, outside anything that would wrap its message;
 * the command line calls it before a command runs. A blank value is no value (a script's {@code
 * -Dautobalance.simd.bits=$BITS} with BITS unset).
 */
public final class EngineProperties {
    /** The kernels: {@code auto}, {@code simd} or {@code scalar} (any case). */
    public static final Property<String> KERNELS = new Property<>(KernelProvider.PROPERTY,
            v -> oneOf(v.toLowerCase(Locale.ROOT), "auto, simd or scalar", "auto", "simd", "scalar"));
    /** The SIMD kernels' vector width in bits. */
    public static final Property<Integer> SIMD_BITS = new Property<>("autobalance.simd.bits", EngineProperties::bits);
    /** The width of the fused pass at large rank, in bits. */
    public static final Property<Integer> LARGE_RANK_BITS = new Property<>("autobalance.simd.largeRankBits",
            EngineProperties::bits);
    /** Whether the fused pass uses its shapes that need 32 vector registers (e.g. the 6 × 4 and 6 × 3 GEMM tiles). */
    public static final Property<Boolean> WIDE_TILES = new Property<>("autobalance.simd.wideTiles",
            EngineProperties::bool);
    /** Largest float32 rank of the small-rank path. */
    public static final Property<Integer> SMALL_RANK_FLOAT32 = atLeast("autobalance.simd.smallRank.float32", 0);
    /** Largest float64 rank of the small-rank path. */
    public static final Property<Integer> SMALL_RANK_FLOAT64 = atLeast("autobalance.simd.smallRank.float64", 0);
    /** Largest float32 rank of the row-stream path. */
    public static final Property<Integer> ROW_STREAM_FLOAT32 = atLeast("autobalance.simd.rowStream.float32", 0);
    /** Largest float64 rank of the row-stream path. */
    public static final Property<Integer> ROW_STREAM_FLOAT64 = atLeast("autobalance.simd.rowStream.float64", 0);
    /** Bytes of packed V and MᵀU one column block of the row-stream path touches. */
    public static final Property<Integer> ROW_STREAM_BLOCK_BYTES = atLeast("autobalance.simd.rowStream.blockBytes",
            1);
    /** Largest float32 rank whose GEMM-path panels hold 48 rows. */
    public static final Property<Integer> HALF_PANEL_FLOAT32 = atLeast("autobalance.simd.halfPanel.float32", 0);
    /** Largest float64 rank whose GEMM-path panels hold 48 rows. */
    public static final Property<Integer> HALF_PANEL_FLOAT64 = atLeast("autobalance.simd.halfPanel.float64", 0);
    /** Whether large matrices go on transparent huge pages. */
    public static final Property<Boolean> HUGE_PAGES = new Property<>("autobalance.memory.hugePages",
            EngineProperties::bool);

    /**
     * Bytes of gathered factor rows per column panel of the sparse gather products and of the full loss's fused pass
     * (by default half the L2 where a core's L2 is at least 2 MiB, at least 1 MiB for the fused pass, else 0:
     * {@code SparsePanels}); 0 off, else at least 64 KiB.
     */
    public static final Property<Integer> SPARSE_PANEL_BYTES = atLeast("autobalance.kernel.sparsePanelBytes", 0);

    /**
     * Blocks of M's columns in the dense fused pass's 2-D grid (by default 4 from 16 threads, else 1:
     * {@code IterationEngine.columnBlocks}); 1 is the 1-D split of M's rows.
     */
    public static final Property<Integer> COLUMN_BLOCKS = atLeast("autobalance.parallel.columnBlocks", 1);

    private static final List<Property<?>> ALL = List.of(KERNELS, SIMD_BITS, LARGE_RANK_BITS, WIDE_TILES,
            SMALL_RANK_FLOAT32, SMALL_RANK_FLOAT64, ROW_STREAM_FLOAT32, ROW_STREAM_FLOAT64, ROW_STREAM_BLOCK_BYTES,
            HALF_PANEL_FLOAT32, HALF_PANEL_FLOAT64, HUGE_PAGES, SPARSE_PANEL_BYTES, COLUMN_BLOCKS);

    /**
     * The prefixes of the engine's names: a name under one of them that is not in {@link #ALL} is a misspelling
     * ({@code -Dautobalance.simd.bit=128}) that would otherwise be ignored without a word.
     */
    private static final List<String> PREFIXES = List.of("autobalance.simd", "autobalance.memory",
            "autobalance.kernel", "autobalance.parallel");

    /** Every property of the engine, in one order (the kernels' tests compare parent and child JVMs by it). */
    public static List<Property<?>> all() {
        return ALL;
    }

    /**
     * What a command line adds to "unknown option" when some of {@code words} are system properties ({@code
     * -Dautobalance.simd.bits=256}), which the JVM reads and no command does: all of them in one suggested line, so
     * that none is lost; null when none is. A new user's {@code ./autobalance factorize -Dautobalance.simd.bits=256 …}
     * was told no more than "unknown option".
     */
    public static String systemPropertyHint(List<String> words) {
        List<String> properties = words.stream().filter(w -> w.startsWith("-D") && w.length() > 2).toList();
        if (properties.isEmpty()) {
            return null;
        }
        return "a system property goes to the JVM, not to the command: JDK_JAVA_OPTIONS='"
                + String.join(" ", properties) + "' ./autobalance …";
    }

    private static final String PREFERRED_WIDTH_CLASS = "org.autobalance.kernel.simd.PreferredWidth";

    /** The texts and values once all were valid; null until then. */
    private static volatile Frozen frozen;

    /**
     * What the first passing check read: each property's text (null where not set or blank) and its value (null
     * where not set).
     */
    private record Frozen(Map<Property<?>, String> texts, Map<Property<?>, Object> values) {
    }

    private EngineProperties() {
    }

    /**
     * Checks the engine's properties. The first call that finds them all valid reads them once and fixes their values
     * for the JVM's life (the kernels' classes keep them as constants); every later call checks that none has changed
     * since, as a change would be silently ignored. Called before the first matrix or kernel is made, and by each
     * matrix made.
     *
     * @throws IllegalArgumentException naming the first property whose value is not valid, and the value; naming a
     *         name under the engine's prefixes that is not one of its properties, at the first check; or naming a
     *         property whose text has changed since the first passing check
     */
    public static void check() {
        Frozen f = frozen();
        for (Property<?> p : ALL) {
            String now = text(p);
            String then = f.texts.get(p);
            if (!Objects.equals(now, then)) {
                throw new IllegalArgumentException("system property " + p.name + " changed from " + quoted(then)
                        + " to " + quoted(now) + " after the engine read it at its first use; set it before the "
                        + "first matrix or kernel");
            }
        }
    }

    private static Frozen frozen() {
        Frozen f = frozen;
        if (f != null) {
            return f;
        }
        synchronized (EngineProperties.class) {
            if (frozen == null) {
                refuseUnknownNames();
                Map<Property<?>, String> texts = new HashMap<>();
                Map<Property<?>, Object> values = new HashMap<>();
                for (Property<?> p : ALL) {
                    String text = text(p);
                    texts.put(p, text);
                    values.put(p, text == null ? null : p.value(text));
                }
                frozen = new Frozen(texts, values);
            }
            return frozen;
        }
    }

    /** The property's text, stripped; null where it is not set or blank. */
    private static String text(Property<?> p) {
        String text = System.getProperty(p.name);
        return text == null || text.isBlank() ? null : text.strip();
    }

    private static String quoted(String text) {
        return text == null ? "unset" : "'" + text + "'";
    }

    private static void refuseUnknownNames() {
        List<String> known = ALL.stream().map(Property::name).toList();
        for (String name : new TreeSet<>(System.getProperties().stringPropertyNames())) {
            // in any case: -Dautobalance.SIMD.bits=128 was ignored without a word, as no name of the engine's
            String lower = name.toLowerCase(Locale.ROOT);
            if (PREFIXES.stream().anyMatch(lower::startsWith) && !known.contains(name)) {
                throw new IllegalArgumentException("system property " + name + " is not one of the engine's: "
                        + String.join(", ", known));
            }
        }
    }

    /** A system property of the engine: its name and how its text becomes a value. */
    public static final class Property<T> {
        private final String name;
        /** The value of a text, or an IllegalArgumentException whose message is the rule it breaks. */
        private final Function<String, T> parse;

        private Property(String name, Function<String, T> parse) {
            this.name = name;
            this.parse = parse;
        }

        /** The property's name. */
        public String name() {
            return name;
        }

        /**
         * This JVM's value, or {@code fallback} where the property is not set: the value the first passing {@link
         * #check} read, which this makes where none has passed yet (it does not look for a change since).
         *
         * @throws IllegalArgumentException as the first {@link #check} does
         */
        @SuppressWarnings("unchecked")
        public T or(T fallback) {
            Object v = frozen().values.get(this);
            return v == null ? fallback : (T) v;
        }

        T value(String text) {
            try {
                return parse.apply(text);
            } catch (IllegalArgumentException rule) {
                throw new IllegalArgumentException("system property " + name + " must be " + rule.getMessage()
                        + ", got '" + text + "'");
            }
        }
    }

    private static Property<Integer> atLeast(String name, int min) {
        return new Property<>(name, text -> {
            String rule = "an integer >= " + min;
            int n;
            try {
                n = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(rule);
            }
            if (n < min) {
                throw new IllegalArgumentException(rule);
            }
            return n;
        });
    }

    private static String oneOf(String text, String rule, String... allowed) {
        if (!List.of(allowed).contains(text)) {
            throw new IllegalArgumentException(rule);
        }
        return text;
    }

    private static Boolean bool(String text) {
        return Boolean.valueOf(oneOf(text.toLowerCase(Locale.ROOT), "true or false", "true", "false"));
    }

    /**
     * A vector width: 128, 256 or 512, and at most the platform's preferred width (a wider species runs the Vector
     * API's Java fallback, about 100 times slower). Without {@code jdk.incubator.vector} no SIMD kernel runs, and only
     * the form is checked.
     */
    private static Integer bits(String text) {
        String rule = "128, 256 or 512";
        int bits;
        try {
            bits = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(rule);
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException(rule);
        }
        int preferred = preferredBits();
        if (bits > preferred) {
            throw new IllegalArgumentException(rule + ", at most this platform's preferred vector width of "
                    + preferred + " bits");
        }
        return bits;
    }

    /** The Vector API's preferred width in bits, or {@link Integer#MAX_VALUE} without its module. */
    private static int preferredBits() {
        if (!KernelProvider.vectorModulePresent()) {
            return Integer.MAX_VALUE;
        }
        try {
            return (int) KernelProvider.simdClass(PREFERRED_WIDTH_CLASS).getMethod("bits").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot ask the Vector API for its preferred width", e);
        }
    }
}

package org.autobalance.kernel;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * nothing initialised, so that the caller can set it right and call again. The kernel choice ({@link KernelProvider})
 * and the matrix allocation (huge pages) call it, which every engine reaches; the command line calls it before a
 * command runs. A blank value is no value (a script's {@code -Dautobalance.simd.bits=$BITS} with BITS unset).
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
    /** Whether the GEMM path uses register tiles of 16 accumulators. */
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

    private static final List<Property<?>> ALL = List.of(KERNELS, SIMD_BITS, LARGE_RANK_BITS, WIDE_TILES,
            SMALL_RANK_FLOAT32, SMALL_RANK_FLOAT64, ROW_STREAM_FLOAT32, ROW_STREAM_FLOAT64, ROW_STREAM_BLOCK_BYTES,
            HALF_PANEL_FLOAT32, HALF_PANEL_FLOAT64, HUGE_PAGES);

    private static final String PREFERRED_WIDTH_CLASS = "org.autobalance.kernel.simd.PreferredWidth";

    /** The values once all were valid (a property not set maps to null); null until then. */
    private static volatile Map<Property<?>, Object> checked;

    private EngineProperties() {
    }

    /**
     * Checks every property this JVM has set; the first call that finds them all valid fixes their values for the
     * JVM's life.
     *
     * @throws IllegalArgumentException naming the first property whose value is not valid, and the value
     */
    public static void check() {
        values();
    }

    private static Map<Property<?>, Object> values() {
        Map<Property<?>, Object> v = checked;
        if (v != null) {
            return v;
        }
        synchronized (EngineProperties.class) {
            if (checked == null) {
                Map<Property<?>, Object> read = new HashMap<>();
                for (Property<?> p : ALL) {
                    String text = System.getProperty(p.name);
                    read.put(p, text == null || text.isBlank() ? null : p.value(text.strip()));
                }
                checked = read;
            }
            return checked;
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
         * This JVM's value, or {@code fallback} where the property is not set; checks every property first.
         *
         * @throws IllegalArgumentException as {@link #check} does
         */
        @SuppressWarnings("unchecked")
        public T or(T fallback) {
            Object v = values().get(this);
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

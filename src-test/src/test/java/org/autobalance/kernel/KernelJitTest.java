package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.autobalance.testing.ChildJvm;
import org.autobalance.testing.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mechanism behind "kernels 5–17× slower after the rank changes" (native-notes/kernels.md, section 9), asserted
 * on the JIT's own record instead of on a timing: a child JVM runs the engine through the rank sequence in both
 * dtypes and thread counts ({@link RankSequenceProbe}) with HotSpot's compilation log on, and no C2 compilation of a
 * kernel may bind a Vector API call through a type-profile guard.
 *
 * <p>Why that is the mechanism: the JDK's {@code FloatVector.fma}, {@code intoArray}, … are shared by every vector
 * class in the process, and so are their type profiles and trap counts. A kernel whose vectors C2 cannot type exactly
 * while parsing binds those calls from the shared profile ({@code <predicted_call … exact='1'>} in the log); once
 * another species has run, the same kernel compiles to a two-class switch ({@code bimorphic_or_optimized_type_check}
 * traps) that ran 5–17× slower. With every receiver typed exactly ({@code VT.cast} in the kernels) C2 binds every
 * Vector API call statically and no profile is consulted, whatever ran before. On the kernels before that change
 * (commit 7a9145e) this test failed with 57 such compilations, among them {@code FloatFused.k2r4} switching between
 * Float128Vector and Float256Vector. A profile guard marks a receiver whose class C2 did not know: harmless while the
 * shared profile holds one class, the door through which another species' history gets in.
 */
class KernelJitTest {
    /** C2 tasks (no {@code level} attribute, or level 4) of a method of the SIMD kernel package. */
    private static final Pattern TASK = Pattern.compile(
            "<task compile_id='(\\d+)'(?: compile_kind='osr')? "
                    + "method='org\\.autobalance\\.kernel\\.simd\\.(\\w+) (\\w+) [^>]*>");
    private static final Pattern KLASS = Pattern.compile("<klass id='(\\d+)' name='([^']+)'");
    private static final Pattern PROFILED = Pattern.compile("<predicted_call bci='\\d+' exact='1' klass='(\\d+)'");
    private static final String TYPE_SWITCH_TRAP = "reason='bimorphic_or_optimized_type_check'";
    /**
     * A call C2 did not inline because the unit had passed its node budget for inlining. HotSpot logs it for non-forced
     * calls only: {@code @ForceInline} calls past the budget are delayed without a word, so a unit past it whose later
     * calls are all forced is not seen here (native-notes/sparse.md, the nineteenth session's review).
     */
    private static final String INLINING_CUTOFF = "reason='NodeCountInliningCutoff'";
    /**
     * C2 compilations of one kernel in the probe's JVM at most. A kernel is compiled once or twice (whole and
     * on-stack), plus a few times after traps that the new profile settles: 1–6 per kernel in the probe's runs
     * (2026-12-01, both runs of this test, AVX2); a recompile loop compiles it until HotSpot's trap limit:
     * {@code DoubleSparse.observed1}'s {@code long}-counted loop was compiled 20–97 times in command-line runs when its
     * loop-nest predicate kept failing (native-notes/kernels.md, section 25). The cap sits between the two: above
     * what a few trap sites may legitimately cost (HotSpot recompiles after up to PerBytecodeTrapLimit = 4 traps a
     * site, plus on-stack compiles a loaded machine adds) and far below a loop's run to PerMethodTrapLimit (100).
     */
    private static final int MAX_COMPILES_PER_KERNEL = 30;
    /**
     * A call inlined late (after the parse; for the JDK's {@code @ForceInline} calls, those parsed past C2's node
     * cutoff), by the method's id in the task.
     */
    private static final Pattern LATE_INLINE = Pattern.compile("<late_inline method='(\\d+)'");
    /**
     * The loads of a vector (and their inner calls): in {@code k4r4}, past the node cutoff by construction, a load
     * inlined late bound its inner call from the shared type profile, so they must all come before the cutoff
     * (Fused.java.template, k4r4's Javadoc; kernels.md 34). HotSpot does not log the cutoff for forced calls.
     */
    private static final Pattern VECTOR_LOAD = Pattern.compile(
            "<method id='(\\d+)' holder='\\d+' name='((?:fromArray|fromMemorySegment|broadcast)\\w*)'");
    /** The segment accessors every vector load and store of a kernel calls: C2 must inline them. */
    private static final Pattern SEGMENT_ACCESSOR = Pattern.compile(
            "<method id='(\\d+)' holder='\\d+' name='(unsafeGetBase|unsafeGetOffset)'");

    @Test
    void noVectorApiCallInACompiledKernelIsBoundFromATypeProfile(@TempDir Path dir)
            throws IOException, InterruptedException {
        // compile after a tenth of the usual invocations: every kernel reaches C2 within a few seconds
        checkCompilations(dir, List.of("-XX:CompileThresholdScaling=0.1"));
    }

    /**
     * Every compile order at once. C2 inlines a callee of at most FreqInlineSize bytes unless it is "already compiled
     * into a big method" (more than InlineSmallCode bytes of machine code); which kernels have compiled code when
     * another is compiled depends on the order of the compiles, so a plain JVM puts them together only in some runs
     * (the observed pass's driver with three of its row kernels: once in a fresh clone's test run, and in 2 of 8
     * probe runs under the launcher's options before its driver was listed there). With InlineSmallCode beyond any
     * kernel's code, every call C2's size rules allow is inlined, as if no callee had been compiled yet: on that old
     * structure every run of this probe had the driver past C2's inlining cutoff, and 3 of 5 bound its stores from
     * the type profile (native-notes/sparse.md, "The observed pass's profile-bound stores").
     */
    @Test
    void evenWithEveryKernelInlinedAsIfUncompiled(@TempDir Path dir) throws IOException, InterruptedException {
        checkCompilations(dir, List.of("-XX:CompileThresholdScaling=0.1", "-XX:InlineSmallCode=1000000"));
    }

    /**
     * The same under the command line's kernel compilation options (cli/jit/: no C1 for the kernels, C2 at a tenth
     * of the usual counts with the interpreter's profile, blocking compiles): compiled from less profile, the kernels
     * must still bind every Vector API call statically.
     */
    @Test
    void underTheLaunchersKernelOptionsToo(@TempDir Path dir) throws IOException, InterruptedException {
        Path jit = Repository.root().resolve("cli").resolve("jit");
        checkCompilations(dir, List.of("@" + jit.resolve("kernels.args"),
                "-XX:CompilerDirectivesFile=" + jit.resolve("kernels.json")));
    }

    /**
     * C2 compilations at most of the one-vector rows' kernel ({@code observedRows}; before the nineteenth session
     * {@code observed1}, per row) in {@link ObservedPassProbe}'s JVM, per dtype, counted as the compiles a settled
     * method can have: a whole one, two on-stack ones (its loops over rows and over a row's entries are both long,
     * and each can be entered on-stack), one more after a class loaded late invalidates the code, and one after traps
     * that then settle (a loop-head predicate that trapped is not made again): 5. Seen with the builder's arena
     * shared: 1 per dtype (a whole compile) in every run of the probe while {@code observed1} was per row, 2–3 since
     * (whole and one or two on-stack; 2026-12-02); 2–3 in SparseObservedTimer (whole, on-stack, after a late class
     * load). With its confined arena, which taught the JDK's memory-access profile owner-thread sessions: 9–33
     * ({@code observed1}, float32, every run) and 8 ({@code observedRows}, float32, one run), 1 to 20 and more
     * (float64, intermittent), one more per trap of the loop nest's profiled predicate, which only a method-wide trap
     * count limits.
     */
    private static final int MAX_ONE_VECTOR_COMPILES = 5;

    /**
     * A library user's JVM (HotSpot's default compile options) that builds M with the sparse builder and then runs
     * the observed loss at one vector per row: {@code observedRows} must be compiled a few times at most, not again
     * and again (native-notes/sparse.md, "observed1's recompile loop: its cause").
     */
    @Test
    void observedPassAfterABuiltMatrixSettlesInAPlainJvm(@TempDir Path dir) throws IOException, InterruptedException {
        assumeTrue(KernelProvider.vectorModulePresent(), "jdk.incubator.vector not in the boot layer");
        String vm = System.getProperty("java.vm.name", "");
        assumeTrue(vm.contains("HotSpot") || vm.contains("OpenJDK"), "the compilation log is HotSpot's: " + vm);
        Path log = dir.resolve("compilation.log");
        List<String> options = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UnlockDiagnosticVMOptions", "-XX:+LogCompilation",
                "-XX:LogFile=" + log));
        // this execution's kernel paths (128-bit species, the row stream), as KernelDeterminismTest's children
        options.addAll(ChildJvm.simdProperties());
        String out = ChildJvm.run(ChildJvm.command(options, ObservedPassProbe.class), Duration.ofMinutes(5));
        assertEquals(simdValues(), childsSimdValues(out), "the child's kernel properties");
        assertTrue(out.contains("done"), out);
        Map<String, Integer> compiles = new HashMap<>();
        Matcher task = TASK.matcher(Files.readString(log, StandardCharsets.ISO_8859_1));
        while (task.find()) {
            if (isC2(task.group())) {
                compiles.merge(task.group(2) + "." + task.group(3), 1, Integer::sum);
            }
        }
        for (String kernel : List.of("FloatSparseLarge.observedRows", "DoubleSparseLarge.observedRows")) {
            int n = compiles.getOrDefault(kernel, 0);
            assertTrue(n >= 1, kernel + " was never compiled by C2, so this run checked nothing about it");
            assertTrue(n <= MAX_ONE_VECTOR_COMPILES, kernel + " compiled by C2 " + n + " times (a trap that each "
                    + "recompile keeps)");
        }
    }

    /**
     * The values of the {@code autobalance.simd.*} properties a probe printed its kernels ran with ({@link
     * #simdValues}): the src-test executions that choose other kernel paths by them ran the children with none, so on
     * the defaults.
     */
    static String childsSimdValues(String out) {
        return out.lines().filter(l -> l.startsWith(PROPERTIES)).findFirst().map(l -> l.substring(PROPERTIES.length()))
                .orElseThrow(() -> new AssertionError("no properties line:\n" + out));
    }

    /**
     * This JVM's values of the {@code autobalance.simd.*} properties, as the kernels read them ({@link
     * EngineProperties}; null where not set): the effective values, not the flags echoed back.
     */
    static String simdValues() {
        return EngineProperties.all().stream().filter(p -> p.name().startsWith("autobalance.simd."))
                .map(p -> p.name() + "=" + p.or(null)).collect(Collectors.joining(" "));
    }

    /** The start of the probes' line of their {@code autobalance.simd.*} values. */
    static final String PROPERTIES = "simd properties: ";

    /** Whether a {@code <task>} of the compilation log is C2's (no {@code level} attribute, or level 4). */
    private static boolean isC2(String task) {
        return !task.contains(" level='") || task.contains(" level='4'");
    }

    private static void checkCompilations(Path dir, List<String> jitOptions) throws IOException, InterruptedException {
        assumeTrue(KernelProvider.vectorModulePresent(), "jdk.incubator.vector not in the boot layer");
        String vm = System.getProperty("java.vm.name", "");
        assumeTrue(vm.contains("HotSpot") || vm.contains("OpenJDK"), "the compilation log is HotSpot's: " + vm);
        Path log = dir.resolve("compilation.log");
        List<String> options = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UnlockDiagnosticVMOptions", "-XX:+LogCompilation", "-XX:LogFile=" + log));
        options.addAll(jitOptions);
        // this execution's kernel paths (128-bit species, the row stream), as KernelDeterminismTest's children
        options.addAll(ChildJvm.simdProperties());
        String out = ChildJvm.run(ChildJvm.command(options, RankSequenceProbe.class), Duration.ofMinutes(5));
        assertTrue(out.contains("done"), out);
        assertEquals(simdValues(), childsSimdValues(out), "the child's kernel properties");

        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
        TreeSet<String> compiled = new TreeSet<>();
        Map<String, Integer> compiles = new HashMap<>();
        int accessorCompiles = 0;
        List<String> violations = new ArrayList<>();
        Matcher task = TASK.matcher(text);
        while (task.find()) {
            if (!isC2(task.group())) {
                continue; // C1
            }
            int end = text.indexOf("</task>", task.end());
            String body = text.substring(task.end(), end < 0 ? text.length() : end);
            String kernel = task.group(2) + "." + task.group(3);
            compiled.add(kernel);
            compiles.merge(kernel, 1, Integer::sum);
            Map<String, String> klasses = namesById(KLASS, body);
            TreeSet<String> profiled = new TreeSet<>();
            Matcher pc = PROFILED.matcher(body);
            while (pc.find()) {
                String name = klasses.getOrDefault(pc.group(1), "?");
                if (name.startsWith("jdk.incubator.vector.")) {
                    profiled.add(name.substring("jdk.incubator.vector.".length()));
                }
            }
            int cutoffs = count(body, INLINING_CUTOFF);
            if (cutoffs > 0) {
                violations.add(kernel + " (compile " + task.group(1) + "): " + cutoffs + " non-forced calls "
                        + "refused at C2's node cutoff for inlining (the JDK's calls after it are inlined late, where "
                        + "a vector's exact type can be lost: kernels inlined into each other, see "
                        + "KernelInliningBoundaryTest)");
            }
            int switches = count(body, TYPE_SWITCH_TRAP);
            if (!profiled.isEmpty() || switches > 0) {
                violations.add(kernel + " (compile " + task.group(1) + "): Vector API calls bound from the type "
                        + "profile of " + profiled + ", " + switches + " type-switch traps");
            }
            if (task.group(3).equals("k4r4")) {
                List<String> late = lateInlinedLoads(body);
                if (!late.isEmpty()) {
                    violations.add(kernel + " (compile " + task.group(1) + "): vector loads inlined late " + late
                            + " (parsed past C2's node cutoff, where their inner calls are bound from the shared "
                            + "type profile: every load of an iteration must come before its first FMA)");
                }
            }
            if (SEGMENT_ACCESSOR.matcher(body).find()) {
                accessorCompiles++;
            }
            int outOfLine = outOfLineSegmentAccessors(body);
            if (outOfLine > 0) {
                violations.add(kernel + " (compile " + task.group(1) + "): " + outOfLine + " calls of a memory "
                        + "segment's unsafeGetBase/unsafeGetOffset not inlined (a virtual call on every vector load "
                        + "or store: the sparse passes ran 5-10x slower so)");
            }
        }
        for (String kernel : RankSequenceProbe.requiredKernels()) {
            assertTrue(compiled.contains(kernel), kernel + " was never compiled by C2, so this run checked nothing "
                    + "about it; compiled: " + compiled);
        }
        // the accessor check looks for methods by name: a JDK that renamed them would make it pass unseen
        assertTrue(accessorCompiles > 0, "no C2 compile of a kernel mentions unsafeGetBase/unsafeGetOffset, so the "
                + "segment-accessor check checked nothing");
        assertTrue(violations.isEmpty(), violations.size() + " C2 compilations of kernels depend on shared type "
                + "profiles:\n" + String.join("\n", violations));
        compiles.values().removeIf(n -> n <= MAX_COMPILES_PER_KERNEL);
        assertTrue(compiles.isEmpty(), "kernels compiled by C2 again and again (a trap that each recompile keeps): "
                + compiles);
    }

    /**
     * Calls of {@code AbstractMemorySegmentImpl.unsafeGetBase}/{@code unsafeGetOffset} that a C2 task did not inline.
     * Each vector load or store from a segment calls both; the class of the segment is known to C2 only from the
     * class hierarchy (one implementation loaded) or from a receiver-type profile. Once a heap segment has been made
     * ({@code MemorySegment.ofArray}: every reader of this project, and the probe's matrices) the hierarchy has two,
     * and without a profile ({@code -XX:TypeProfileWidth=0}, once in cli/jit/kernels.args) each call stayed virtual.
     */
    private static int outOfLineSegmentAccessors(String body) {
        List<String> ids = new ArrayList<>();
        Matcher m = SEGMENT_ACCESSOR.matcher(body);
        while (m.find()) {
            ids.add(m.group(1));
        }
        int n = 0;
        for (String id : ids) {
            String call = "<call method='" + id + "'";
            for (int i = body.indexOf(call); i >= 0; i = body.indexOf(call, i + 1)) {
                int next = body.indexOf('<', body.indexOf('>', i) + 1);
                if (next >= 0 && body.startsWith("<inline_fail", next)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The names of the vector loads ({@link #VECTOR_LOAD}) that a C2 task inlined late. */
    private static List<String> lateInlinedLoads(String body) {
        Map<String, String> loads = namesById(VECTOR_LOAD, body);
        List<String> late = new ArrayList<>();
        Matcher l = LATE_INLINE.matcher(body);
        while (l.find()) {
            String name = loads.get(l.group(1));
            if (name != null) {
                late.add(name);
            }
        }
        return late;
    }

    /** The log's declarations that {@code declaration} matches (group 1 the id, group 2 the name), by id. */
    private static Map<String, String> namesById(Pattern declaration, String body) {
        Map<String, String> names = new HashMap<>();
        Matcher m = declaration.matcher(body);
        while (m.find()) {
            names.put(m.group(1), m.group(2));
        }
        return names;
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}

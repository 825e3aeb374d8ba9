package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The sparse passes' drivers reach their per-row and per-block kernels only through calls C2 never inlines: every
 * method below a driver that loops over memory is larger than HotSpot's FreqInlineSize (325 bytes of bytecode on
 * x86 and AArch64), the size above which C2 inlines no callee, hot or not, compiled or not. So each C2 compile holds
 * one kernel's vector body, whatever HotSpot compiled first. When the observed pass's kernels were smaller, C2
 * compiled its driver with three of them inlined whenever they had no compiled code at that moment; the unit passed
 * C2's node cutoff for inlining and the JDK's store calls after it were bound from the type profile every vector
 * species shares ({@code KernelJitTest} failed so in a plain JVM; native-notes/sparse.md, "The observed pass's
 * profile-bound stores"). This test reads the compiled classes, so it fails on the edit that brings a kernel under
 * the size, not on the rare run where the compile order exposes it.
 */
class KernelInliningBoundaryTest {
    private static final String PACKAGE = "org/autobalance/kernel/simd/";

    /** Driver (class.method) and the kernels below it that must stay calls: the rule's whole reach, by name. */
    private static final Map<String, Set<String>> DRIVERS = Map.ofEntries(
            Map.entry("FloatSparseLarge.panelFusedProduct", Set.of("fusedPair")),
            Map.entry("DoubleSparseLarge.panelFusedProduct", Set.of("fusedPair")),
            Map.entry("FloatSparseLarge.observedPass", Set.of("observedRows", "observed2", "observedWide", "update",
                    "dot")),
            Map.entry("DoubleSparseLarge.observedPass", Set.of("observedRows", "observed2", "observedWide", "update",
                    "dot")),
            Map.entry("FloatSparse.fusedPass", Set.of("fused1", "fused2", "fused4")),
            Map.entry("DoubleSparse.fusedPass", Set.of("fused1", "fused2", "fused4")),
            Map.entry("FloatSparse.residualSquared", Set.of("dot")),
            Map.entry("DoubleSparse.residualSquared", Set.of("dot")),
            Map.entry("FloatSparseLarge.product", Set.of("product1", "product2", "product4", "blockedRow")),
            Map.entry("DoubleSparseLarge.product", Set.of("product1", "product2", "product4", "blockedRow")),
            Map.entry("FloatSparseLarge.panelProduct", Set.of("slice")),
            Map.entry("DoubleSparseLarge.panelProduct", Set.of("slice")));

    @Test
    void everyKernelBelowASparseDriverIsTooLargeForC2ToInline() throws IOException {
        int limit = freqInlineSize();
        for (Map.Entry<String, Set<String>> driver : new TreeMap<>(DRIVERS).entrySet()) {
            String[] name = driver.getKey().split("\\.");
            Map<String, Method> methods = methods(name[0]);
            Map<String, Integer> kernels = new TreeMap<>();
            Map<String, Integer> tooSmall = new TreeMap<>();
            for (String m : reachable(methods, name[1])) {
                Method k = methods.get(m);
                if (!m.equals(name[1]) && k.loops && touchesMemory(methods, m)) {
                    kernels.put(m, k.size);
                    if (k.size <= limit) {
                        tooSmall.put(m, k.size);
                    }
                }
            }
            assertEquals(Map.of(), tooSmall, driver.getKey() + ": kernels of at most FreqInlineSize (" + limit
                    + ") bytes, which C2 can inline into their caller when they have no compiled code");
            // by name as well: a kernel renamed, or one the walk stopped seeing, is a change to look at here
            assertEquals(driver.getValue(), kernels.keySet(), driver.getKey() + ": the kernels below it " + kernels);
        }
    }

    /**
     * The dense row stream's driver reaches each panel's work (U's packing, the staging copies, the tail rows, MV's
     * unpacking: vector copies C2 inlines, being small) through {@code rowPanel}, which must stay over FreqInlineSize:
     * inlined into {@code rowStream} with the packing of V and MᵀU, that work took the driver's compile unit to C2's
     * node cutoff for inlining after varied shapes (native-notes/kernels.md 36; KernelJitTest sees it only on a run
     * that compiles the driver after such shapes).
     */
    @Test
    void theRowStreamsPanelsAreACompileUnitOfTheirOwn() throws IOException {
        int limit = freqInlineSize();
        for (String large : List.of("FloatFusedLarge", "DoubleFusedLarge")) {
            Map<String, Method> methods = methods(large);
            assertEquals(Set.of("copyRows", "rowPanel"), methods.get("rowStream").sameClassCalls().stream()
                    .filter(c -> !c.equals("roundUp")).collect(Collectors.toSet()),
                    large + ".rowStream's calls in its class");
            int size = methods.get("rowPanel").size();
            assertTrue(size > limit, large + ".rowPanel is " + size + " bytes, at most FreqInlineSize (" + limit
                    + "): C2 can inline it into rowStream");
        }
    }

    /** The running JVM's FreqInlineSize; the test is skipped outside HotSpot. */
    private static int freqInlineSize() {
        HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        assumeTrue(bean != null, "not HotSpot: no FreqInlineSize");
        VMOption option;
        try {
            option = bean.getVMOption("FreqInlineSize");
        } catch (IllegalArgumentException e) {
            option = null;
        }
        assumeTrue(option != null, "this JVM has no FreqInlineSize");
        return Integer.parseInt(option.getValue());
    }

    /** A method's bytecode size, whether it has a backward branch, and what it calls. */
    private record Method(int size, boolean loops, Set<String> sameClassCalls, boolean accessesMemory) {
    }

    private static Map<String, Method> methods(String simpleClass) throws IOException {
        String resource = PACKAGE + simpleClass + ".class";
        ClassModel model;
        try (InputStream in = ClassLoader.getSystemResourceAsStream(resource)) {
            assertNotNull(in, resource);
            model = ClassFile.of().parse(in.readAllBytes());
        }
        String self = model.thisClass().asInternalName();
        Map<String, Method> methods = new HashMap<>();
        for (MethodModel m : model.methods()) {
            CodeModel code = m.code().orElse(null);
            if (code == null) {
                continue;
            }
            Map<Label, Integer> labels = new HashMap<>();
            List<Integer> branchAt = new ArrayList<>();
            List<Label> branchTo = new ArrayList<>();
            Set<String> calls = new TreeSet<>();
            boolean memory = false;
            int offset = 0;
            for (CodeElement e : code) {
                if (e instanceof LabelTarget t) {
                    labels.put(t.label(), offset);
                } else if (e instanceof BranchInstruction b) {
                    branchAt.add(offset);
                    branchTo.add(b.target());
                } else if (e instanceof InvokeInstruction i) {
                    String owner = i.owner().asInternalName();
                    if (owner.equals(self)) {
                        calls.add(i.name().stringValue());
                    }
                    memory |= owner.equals("java/lang/foreign/MemorySegment")
                            || i.name().stringValue().endsWith("MemorySegment");
                }
                if (e instanceof Instruction i) {
                    offset += i.sizeInBytes();
                }
            }
            boolean loops = false;
            for (int b = 0; b < branchAt.size(); b++) {
                loops |= labels.get(branchTo.get(b)) <= branchAt.get(b);
            }
            // overloads share a name here: none of the sparse classes has any
            Method old = methods.put(m.methodName().stringValue(),
                    new Method(((CodeAttribute) code).codeLength(), loops, calls, memory));
            assertEquals(null, old, simpleClass + "." + m.methodName().stringValue() + " is overloaded");
        }
        return methods;
    }

    private static Set<String> reachable(Map<String, Method> methods, String from) {
        assertNotNull(methods.get(from), from);
        Set<String> seen = new HashSet<>(List.of(from));
        Deque<String> todo = new ArrayDeque<>(seen);
        while (!todo.isEmpty()) {
            for (String c : methods.get(todo.pop()).sameClassCalls()) {
                if (methods.containsKey(c) && seen.add(c)) {
                    todo.push(c);
                }
            }
        }
        return seen;
    }

    /** Whether a method reads or writes a memory segment, itself or through a method of its class. */
    private static boolean touchesMemory(Map<String, Method> methods, String name) {
        for (String m : reachable(methods, name)) {
            if (methods.get(m).accessesMemory()) {
                return true;
            }
        }
        return false;
    }
}

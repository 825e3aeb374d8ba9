package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.kernel.simd.PreferredWidth;
import org.autobalance.kernel.simd.SimdKernels;
import org.autobalance.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * Bit-for-bit reproducibility of the SIMD kernels: the same call twice, after heavy warm-up (C2), and in a child JVM
 * that never leaves the interpreter. The last one is what catches an order-unspecified reduction such as
 * {@code reduceLanes(ADD)}, whose interpreter bits differ from C2's.
 */
class KernelDeterminismTest {
    /** The interpreted child takes about 10 s here; 5 minutes tolerates a heavily shared machine. */
    private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(5);

    private static FactorKernels simdOrSkip() {
        assumeTrue(KernelProvider.vectorModulePresent(), "jdk.incubator.vector not in the boot layer");
        return KernelProvider.simd();
    }

    @Test
    void sameBitsTwiceAndAfterWarmUp() {
        FactorKernels k = simdOrSkip();
        long first = DeterminismProbe.fingerprint(k);
        assertEquals(first, DeterminismProbe.fingerprint(k), "second call");
        for (int i = 0; i < 60; i++) {
            DeterminismProbe.fingerprint(k);
        }
        assertEquals(first, DeterminismProbe.fingerprint(k), "after warm-up");
    }

    @Test
    void sameBitsInTheInterpreter() throws IOException, InterruptedException {
        FactorKernels k = simdOrSkip();
        for (int i = 0; i < 20; i++) {
            DeterminismProbe.fingerprint(k);
        }
        long here = DeterminismProbe.fingerprint(k);
        String[] widths = k.name().substring("simd-".length()).split("\\+");
        // the widths this JVM chose, also where no property chose them
        String line = childFingerprint(List.of("-Xint", "-Dautobalance.simd.bits=" + widths[0],
                "-Dautobalance.simd.largeRankBits=" + widths[widths.length - 1]));
        assertEquals("fingerprint " + Long.toHexString(here), line, "interpreter (-Xint) vs C2");
    }

    /**
     * The GEMM path's panel height (48 or 96 rows, {@code autobalance.simd.halfPanel.*}) changes no bit: each output
     * element sums its terms in the same order either way, and a padded row adds +0 (which only turns a −0.0 sum into
     * +0.0, kernels.md 29; none here). The default, half panels off for float64 and on for float32 at every rank, each
     * in a child JVM, against this JVM.
     */
    @Test
    void panelHeightChangesNoBit() throws IOException, InterruptedException {
        FactorKernels k = simdOrSkip();
        String here = "fingerprint " + Long.toHexString(DeterminismProbe.fingerprint(k));
        for (String setting : List.of("", "-Dautobalance.simd.halfPanel.float64=0",
                "-Dautobalance.simd.halfPanel.float32=1000")) {
            String line = childFingerprint(setting.isEmpty() ? List.of() : List.of(setting));
            assertEquals(here, line, "child with " + (setting.isEmpty() ? "the default" : setting));
        }
    }

    /**
     * The wide tiles (6 × 4 and 6 × 3 vectors on the GEMM path, the 512-bit classes from 3 vectors of rank, the small
     * ranks' sweeps of 4) give the bits of the 6 × 2 tiles and 256-bit classes they replace: every path sums each
     * element's terms in the same index order (kernels.md 33, 35). Only where this JVM has them on; the child turns
     * them off. A separate multiply and add in one accumulator of a 3-vector tile stays within the contract test's
     * tolerance and fails here.
     */
    @Test
    void wideTilesChangeNoBit() throws IOException, InterruptedException {
        FactorKernels k = simdOrSkip();
        assumeTrue(SimdKernels.wideTiles(), "wide tiles are off in this JVM");
        String here = "fingerprint " + Long.toHexString(DeterminismProbe.fingerprint(k));
        assertEquals(here, childFingerprint(List.of("-Dautobalance.simd.wideTiles=false")), "child without wide tiles");
    }

    /**
     * The float32 step and Gram at the large-rank width ({@code FloatOpsLarge}, from one of its vectors of rank where
     * that width is not the normal one) give X and the Gram with the bits of the normal width's: each element's sum
     * runs in the same order at every width. A child JVM at this JVM's widths against one whose large-rank width is
     * the normal one (so every rank takes {@code FloatOps}); where the two widths are equal the kernels are the same
     * and the test is skipped.
     */
    @Test
    void largeWidthStepChangesNoBit() throws IOException, InterruptedException {
        FactorKernels k = simdOrSkip();
        String[] widths = k.name().substring("simd-".length()).split("\\+");
        assumeTrue(widths.length == 2, "one width in this JVM: " + k.name());
        List<String> wide = childStepLines(List.of("-Dautobalance.simd.largeRankBits=" + widths[1]));
        List<String> normal = childStepLines(List.of("-Dautobalance.simd.largeRankBits=" + widths[0]));
        assertEquals(2, wide.size(), "child at " + k.name() + " printed " + wide);
        assertEquals(2, normal.size(), "child at one width printed " + normal);
        assertEquals(wide.get(1), normal.get(1), wide.get(0) + " vs " + normal.get(0));
    }

    private static List<String> childStepLines(List<String> flags) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector"));
        all.addAll(ChildJvm.simdProperties());
        all.addAll(flags);
        String out = ChildJvm.run(ChildJvm.command(all, DeterminismProbe.class, "simd", "step"), CHILD_TIMEOUT);
        return out.lines().filter(l -> l.startsWith("kernels ") || l.startsWith("fingerprint ")).toList();
    }

    /**
     * A · Bᵀ (a convolution's weight gradient) has the same bits at 128, 256 and 512 bits: it sums 256 bits' worth of
     * virtual lanes at every width. Each width this platform allows (the engine refuses one above its preferred
     * width) in a child JVM (this JVM's other properties kept), against this JVM; the child's GEMM must name that
     * width alone: float64's runs at the large-rank width, so a child given only the normal width ran float64 at the
     * preferred one whatever the width asked, and the float64 half of the comparison compared 512 bits with 512.
     */
    @Test
    void transposedProductHasTheSameBitsAtEveryWidth() throws IOException, InterruptedException {
        simdOrSkip();
        assertSameGemmBitsAtEveryWidth("fingerprint " + Long.toHexString(GemmProbe.fingerprint()));
    }

    /**
     * op(A) · B, plain, accumulated and with the forward pass's fused bias and activation, has the same bits at every
     * width, as the GEMM's class comment says (each element of C one FMA chain in k order, whatever tile it falls
     * in), which is what lets float64's GEMM run at the large-rank width without changing a network's iterates.
     */
    @Test
    void productHasTheSameBitsAtEveryWidth() throws IOException, InterruptedException {
        simdOrSkip();
        assertSameGemmBitsAtEveryWidth("gemm-fingerprint " + Long.toHexString(GemmProbe.gemmFingerprint()));
    }

    /** {@code here}, a line of {@link GemmProbe}, is that line of a child JVM at each width this platform allows. */
    private static void assertSameGemmBitsAtEveryWidth(String here) throws IOException, InterruptedException {
        String key = here.substring(0, here.indexOf(' ') + 1);
        for (int bits : List.of(128, 256, 512)) {
            if (bits > PreferredWidth.bits()) {
                continue;
            }
            List<String> all = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector"));
            all.addAll(ChildJvm.simdProperties());
            all.add("-Dautobalance.simd.bits=" + bits);
            all.add("-Dautobalance.simd.largeRankBits=" + bits);
            String out = ChildJvm.run(ChildJvm.command(all, GemmProbe.class), CHILD_TIMEOUT);
            String name = out.lines().filter(l -> l.startsWith("kernels ")).findFirst().orElse("(none) " + out);
            assertEquals("kernels simd-" + bits, name, "child at " + bits + " bits");
            String line = out.lines().filter(l -> l.startsWith(key)).findFirst().orElse("(none) " + out);
            assertEquals(here, line, "child at " + bits + " bits");
        }
    }

    /**
     * The small-rank path's sweeps of 4 ranks (k4r4, by default where there are 32 vector registers) give the bits of
     * its sweeps of 2 (k2r4): each MV element sums over the columns and each MᵀU element over the rows in the same
     * order either way. Ranks 1–8 of both dtypes, rows with tails, in a child JVM with the sweeps of 4 off and one
     * with them on (on any machine: with AVX2's 16 registers k4r4 spills but computes the same). float64's threshold
     * is raised to 8 in both, so that every rank takes the small-rank path (the threshold, not wideTiles, chooses it;
     * the kernels' names are compared too).
     */
    @Test
    void rankQuadsHaveTheBitsOfRankPairs() throws IOException, InterruptedException {
        simdOrSkip();
        List<String> pairs = childSmallRankLines(false);
        List<String> quads = childSmallRankLines(true);
        assertEquals(2, pairs.size(), "child with rank pairs printed " + pairs);
        assertEquals(pairs, quads, "rank quads (wideTiles=true) vs rank pairs (wideTiles=false)");
    }

    private static List<String> childSmallRankLines(boolean quads) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector"));
        all.addAll(ChildJvm.simdProperties());
        all.add("-Dautobalance.simd.wideTiles=" + quads);
        all.add("-Dautobalance.simd.smallRank.float32=8");
        all.add("-Dautobalance.simd.smallRank.float64=8");
        String out = ChildJvm.run(ChildJvm.command(all, DeterminismProbe.class, "simd", "small-rank"), CHILD_TIMEOUT);
        return out.lines().filter(l -> l.startsWith("kernels ") || l.startsWith("fingerprint ")).toList();
    }

    /**
     * The fingerprint line of {@link DeterminismProbe} in a child JVM with this JVM's {@code autobalance.simd.*}
     * properties (so that it takes the same code paths) and then {@code flags}, which override them.
     */
    private static String childFingerprint(List<String> flags) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector"));
        all.addAll(ChildJvm.simdProperties());
        all.addAll(flags);
        String out = ChildJvm.run(ChildJvm.command(all, DeterminismProbe.class, "simd"), CHILD_TIMEOUT);
        return out.lines().filter(l -> l.startsWith("fingerprint ")).findFirst().orElse("(none) " + out);
    }
}

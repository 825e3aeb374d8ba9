package org.autobalance.kernel;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * The passes over a {@link SparseMatrix} that one iteration needs, each over a range of rows so that the parallel pass
 * can split the work (rows partitioned by stored entries, {@code IterationEngine.equalWork}). Everything else of an
 * iteration (Grams, the step) works on the dense factors and is done by {@link FactorKernels}.
 *
 * <p>Shapes: M is d1 × d2 with nnz stored entries, U and the d1-side outputs are d1 × r, V and the d2-side outputs
 * d2 × r, all dense ({@link DenseMatrix}) and of M's dtype. Callers validate shapes once. Implementations keep the zero
 * padding of every row they write. Every method is deterministic: the same inputs give the same bits, on any thread.
 *
 * <p>Each pass reads every stored entry of the range once, gathers the row of V it needs and scatter-adds into the row
 * of the d2-side output: O(nnz·r) work, never a d1 × d2 object.
 */
public interface SparseKernels {

    /**
     * Columns of A per block of a long float32 row's sum in {@link #product}: a float32 chain of n terms rounds by
     * about √n·u (n·u at worst) of its terms' size, and a tall M's column (a row of Mᵀ) of a million entries made MᵀU
     * stand for another M than MV: gradient descent, on no single loss, drifted along UᵀU − VᵀV (2 000 000 × 4, 1.2 M
     * entries a column, rank 1: 1.5·10⁻³ to 1.38 in 230 iterations; native-notes/sparse.md, "Long rows in blocks").
     * Blocks at fixed columns ([b·BLOCK, (b + 1)·BLOCK)) keep each row's sum the same whatever the rows' range. 4096:
     * near √n for the columns measured (64 + √⌈2·10⁶/4096⌉ = 86 roundings' worth, against ~1100), a power of two,
     * and the order of the dense pass's block of rows (4608).
     */
    int BLOCK = 4096;

    /** A short name for logs and benchmark tables, e.g. {@code scalar} or {@code simd-256}. */
    String name();

    /**
     * The fused pass of the full loss over rows {@code [rowStart, rowEnd)}: {@code mv} row i (modified) is overwritten
     * with M[i,:]·V for every i in the range (other rows untouched), and {@code mtu[j,:] += M[i,j]·U[i,:]} (modified)
     * for every stored (i, j) of the range. {@code m}, {@code u}, {@code v} are not modified.
     */
    void fusedPass(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix mv,
            DenseMatrix mtu);

    /**
     * The product of rows {@code [rowStart, rowEnd)} of {@code a} with {@code x}: {@code y} row i (modified) is
     * overwritten with A[i,:]·X for every i in the range (other rows untouched); {@code a} and {@code x} are not
     * modified. With A = M it gives MV; with A = Mᵀ ({@link SparseMatrix#transposed()}) and X = U it gives MᵀU by
     * gathering instead of scattering: no random writes, no per-thread partials, and every row of MᵀU summed in the
     * same order whatever the thread count.
     *
     * <p>Order: an implementation that rounds a row's sum more than once (the SIMD kernels, whose chains are in the
     * dtype) sums a float32 row of more than {@link #BLOCK} stored entries in blocks: the entries in columns
     * [b·BLOCK, (b + 1)·BLOCK) of each b summed as a row of their own, those sums added in increasing b into a total
     * from +0. So no sum has more than BLOCK terms, plus ⌈d/BLOCK⌉ for the total (d: A's columns), and the rounding
     * is at most (BLOCK + ⌈d/BLOCK⌉)·u of Σ|terms| (about (√BLOCK + √⌈d/BLOCK⌉)·u), never more than the one chain's
     * (n − 1)·u; which entries form a block depends on their columns alone, so a row's bits do not depend on the
     * range. Rows of at most BLOCK entries, and float64 rows, are summed as they always were (no blocks).
     */
    void product(SparseMatrix a, DenseMatrix x, int rowStart, int rowEnd, DenseMatrix y);

    /**
     * Whether {@link #panelProduct} is faster than {@link #product} for factors of this dtype and rank: where it runs
     * its own kernel (one vector a row), not where it falls back to {@link #product}.
     */
    boolean panelled(DType dtype, int rank);

    /**
     * {@link #product} of chunk {@code chunk}'s rows of {@code a}'s source, {@code [a.chunkRow(chunk),
     * a.chunkRow(chunk + 1))}, read from the panel layout: {@code y} row i (modified) is overwritten with A[i,:]·X for
     * every i of the chunk (other rows untouched). Where {@link #panelled} is true for X's dtype and rank, each row's
     * sum is one FMA chain in increasing column order across the panels ({@link SparsePanels}), whatever the panel
     * count or chunks, so its value does not depend on the machine's L2 size; two caveats: a −0 from an FMA whose
     * product underflows may read +0 with another panel count (the padding adds +0), and a non-finite row of X may
     * make rows that share its panel but do not store its column NaN (they are padded with a column of the panel).
     * Elsewhere an implementation may fall back to {@link #product} (its even/odd chains, its blocks) or sum in double
     * and round once (the scalar reference).
     */
    void panelProduct(SparsePanels a, DenseMatrix x, int chunk, DenseMatrix y);

    /**
     * One step of MV and MᵀU in one pass over M's aligned form ({@link SparsePanels#aligned}; {@code m} must be one):
     * chunk {@code chunk}'s rows of M in panel {@code panel}. The calls of one pass cover every (chunk, panel) once,
     * each panel's chunks in increasing order and each chunk's panels in increasing order (one thread: panel after
     * panel, each one's chunks in turn; a thread per chunk: the wavefront, chunk c on panel p once chunk c − 1 has
     * finished it). After the last call {@code mv} and {@code mtu} (modified) hold M·V and Mᵀ·U; before it they hold
     * partial sums (an implementation may also do all the work in the last call). {@code u} and {@code v} are not
     * modified. Where {@link #panelled} is true for the factors' dtype and rank, row i of MV is
     * {@link #panelProduct}'s one FMA chain in increasing column order and row j of MᵀU the same chain over Mᵀ's
     * row j (increasing row order), so both have the bits of the two gather products whatever the panels and the
     * chunks, with their caveats: a −0 may read +0; a non-finite row j of V may make NaN the rows of MV padded with
     * column j, and a non-finite row i of U the rows of MᵀU at the columns row i's lane pads with (its last column in
     * a panel, or the panel's first column, also for a short last slice's missing lanes, which pad with the slice's
     * first row of U). Elsewhere an implementation may fall back to {@link #fusedPass} or sum in double and round
     * once (the scalar reference).
     */
    void panelFusedProduct(SparsePanels m, int chunk, int panel, DenseMatrix u, DenseMatrix v, DenseMatrix mv,
            DenseMatrix mtu);

    /**
     * MV and MᵀU of the whole M from its aligned form on one thread: every call of
     * {@link #panelFusedProduct(SparsePanels, int, int, DenseMatrix, DenseMatrix, DenseMatrix, DenseMatrix)}, panel
     * after panel, each panel's chunks in turn.
     */
    default void panelFusedProduct(SparsePanels m, DenseMatrix u, DenseMatrix v, DenseMatrix mv, DenseMatrix mtu) {
        for (int p = 0; p < m.panels(); p++) {
            for (int c = 0; c < m.chunks(); c++) {
                panelFusedProduct(m, c, p, u, v, mv, mtu);
            }
        }
    }

    /**
     * The fused pass of the observed-entries loss ½Σ_Ω(uᵢ·vⱼ − Mᵢⱼ)² over rows {@code [rowStart, rowEnd)}, with the
     * residual eᵢⱼ = uᵢ·vⱼ − Mᵢⱼ of each stored entry formed once and used for both gradients:
     * {@code pu} row i (modified) is overwritten with −Σⱼ eᵢⱼ·vⱼ for every i in the range, and
     * {@code pv[j,:] −= eᵢⱼ·uᵢ} (modified) for every stored (i, j) of the range. So pu and pv hold minus the data
     * gradients, the "P" of {@link FactorKernels#gradientStep} (whose step X −= η(X·A − P) then steps the observed
     * loss with A = λI).
     *
     * @return Σ eᵢⱼ² over the stored entries of the range, accumulated in double
     */
    double observedPass(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix pu,
            DenseMatrix pv);

    /**
     * Whether {@link #observedPass(CsrPanels, DenseMatrix, DenseMatrix, int, int, DenseMatrix, DenseMatrix)} is
     * faster than the pass over M itself for factors of this dtype and rank.
     */
    boolean panelledObserved(DType dtype, int rank);

    /**
     * {@link #observedPass(SparseMatrix, DenseMatrix, DenseMatrix, int, int, DenseMatrix, DenseMatrix)} of M's rows
     * {@code [rowStart, rowEnd)}, read from M's column panels ({@link CsrPanels}): the same outputs, with the same
     * bits whatever the panel count (each row's sums carried from panel to panel in M's column order, each column of
     * pv receiving its rows' updates in row order).
     *
     * @return Σ eᵢⱼ² over the stored entries of the range, accumulated in double
     */
    double observedPass(CsrPanels m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix pu,
            DenseMatrix pv);

    /**
     * Σ (uᵢ·vⱼ − Mᵢⱼ)² over the stored entries of rows {@code [rowStart, rowEnd)}, accumulated in double (the loss on
     * a held-out set). Nothing is modified.
     */
    double residualSquared(SparseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd);
}

package org.autobalance.spark;

import java.io.Serializable;

/**
 * What one partition's task reports to the driver; the driver adds them in partition order.
 *
 * @param mtu its partial MᵀU (d2 × r, the byte form of {@link EngineAdapter#toBytes}); null where not computed
 * @param gramU UᵀU of its rows of the new U (r × r, row-major)
 * @param dot ⟨U, MV⟩ over its rows at the old iterate
 * @param gradientSquared ‖U·A_U − MV‖²_F over its rows (its share of the squared gradient norm)
 * @param value a task-specific sum: ‖M‖²_F of its rows (first task), ‖MV‖² (σ₁ estimate), the squared residual (last)
 */
record Partials(byte[] mtu, double[] gramU, double dot, double gradientSquared, double value)
        implements Serializable {
}

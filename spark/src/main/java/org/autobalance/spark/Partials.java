package org.autobalance.spark;

import java.io.Serializable;

/**
 * What one partition's task reports to the driver; the driver adds them in partition order.
 *
 * @param mtu its partial MᵀU (d2 × r, the byte form of {@link EngineAdapter#toBytes}); null where not computed
 * @param gramU UᵀU of its rows of the new U (r × r, row-major)
 * @param dot ⟨U, MV⟩ over its rows at the old iterate
 * @param gradientSquared ‖U·A_U − MV‖²_F over its rows (its share of the squared gradient norm)
 * @param unchanged whether the step left its rows of U bit for bit as they were (the stall test's half of U)
 */
record Partials(byte[] mtu, double[] gramU, double dot, double gradientSquared, boolean unchanged)
        implements Serializable {
}

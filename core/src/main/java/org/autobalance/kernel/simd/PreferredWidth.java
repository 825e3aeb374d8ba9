package org.autobalance.kernel.simd;

import jdk.incubator.vector.FloatVector;

/**
 * The platform's preferred vector width, asked for by {@code EngineProperties} (reflectively: it loads without the
 * vector module) to check the width properties before {@link SimdSpecies}, which holds them as constants, is
 * initialised. A class of its own: it holds nothing that a property chooses.
 */
public final class PreferredWidth {
    private PreferredWidth() {
    }

    /** The preferred width in bits. */
    public static int bits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }
}

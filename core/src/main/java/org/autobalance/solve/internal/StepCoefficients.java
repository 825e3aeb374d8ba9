package org.autobalance.solve.internal;

import org.autobalance.solve.Variant;

/**
 * The r × r coefficients A_U, A_V of a {@link Variant}'s step U ← U − η(U·A_U − MV), V ← V − η(V·A_V − MᵀU), for the
 * solvers' loops ({@code Factorizer} and the Spark driver). A {@code Variant} is the user's choice and its
 * parameters; the step's arithmetic is the solvers' machinery, so it lives here, not in the exported interface.
 */
public final class StepCoefficients {
    private StepCoefficients() {
    }

    /**
     * Writes A_U into {@code aU} and A_V into {@code aV} (r × r row-major) from the Grams UᵀU and VᵀV. For the
     * alternating variant A_V is computed after the U-step, from the new UᵀU.
     */
    public static void of(Variant variant, double[] gramU, double[] gramV, double[] aU, double[] aV) {
        switch (variant) {
            // alternating GD has the same coefficients as simultaneous GD, evaluated at a different point
            case Variant.Simultaneous _, Variant.Alternating _ -> {
                System.arraycopy(gramV, 0, aU, 0, aU.length);
                System.arraycopy(gramU, 0, aV, 0, aV.length);
            }
            case Variant.Regularized regularized -> {
                double lambda = regularized.lambda();
                for (int k = 0; k < aU.length; k++) {
                    double d = gramU[k] - gramV[k];
                    aU[k] = gramV[k] + lambda * d;
                    aV[k] = gramU[k] - lambda * d;
                }
            }
        }
    }
}

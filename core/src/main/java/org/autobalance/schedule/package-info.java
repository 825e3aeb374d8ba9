/**
 * Step sizes η_t of gradient descent: constant, power decay η₀/(t+1)^(1/2+δ), the decay derived from the paper's
 * balance bound, and {@code auto:C}, the constant C/σ₁(M) scaled by the largest singular value of M (the default,
 * stable on any matrix for C &lt; 1). {@link org.autobalance.schedule.StepSchedule#parse(String)} reads the textual
 * forms the command line uses.
 */
package org.autobalance.schedule;

/**
 * The solver: {@link org.autobalance.solve.Factorizer} runs gradient descent on ½‖UVᵀ − M‖²_F and returns a
 * {@link org.autobalance.solve.Result} that owns the factors U and V.
 *
 * <p>A run is configured by a builder: rank, {@linkplain org.autobalance.schedule.StepSchedule step schedule},
 * {@link org.autobalance.solve.Initializer}, {@link org.autobalance.solve.Variant} of the gradient method, threads,
 * seed and stop rules (iteration limit, tolerance, time limit, a stop condition). It ends normally with a
 * {@link org.autobalance.solve.StopReason}, or with a {@link org.autobalance.solve.DivergenceException}.
 */
package org.autobalance.solve;

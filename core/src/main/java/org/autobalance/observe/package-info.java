/**
 * Observation of a run: every iteration yields an immutable {@link org.autobalance.observe.IterationRecord} (loss,
 * balance ‖UᵀU − VᵀV‖_F, factor norms, gradient norm, step, time) to the
 * {@link org.autobalance.observe.IterationListener}s of the run, on the solver's thread. Provided listeners keep the
 * records in memory ({@link org.autobalance.observe.Trajectory}) or write them as JSON lines
 * ({@link org.autobalance.observe.JsonLinesLog}).
 */
package org.autobalance.observe;

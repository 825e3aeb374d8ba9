/**
 * The solver: {@link org.autobalance.solve.Factorizer} runs gradient descent on ½‖UVᵀ − M‖²_F and returns a
 * {@link org.autobalance.solve.Result} that owns the factors U and V.
 *
 * <p>A run is configured by a builder: rank, {@linkplain org.autobalance.schedule.StepSchedule step schedule},
 * {@link org.autobalance.solve.Initializer}, {@link org.autobalance.solve.Variant} of the gradient method, threads,
 * seed and stop rules (iteration limit, tolerance, time limit, a stop condition). It ends normally with a
 * {@link org.autobalance.solve.StopReason} — also when it is cancelled, by a
 * {@link org.autobalance.solve.CancelToken} from any thread or by {@link java.lang.Thread#interrupt()} of the thread in
 * {@code run()}, with the factors reached — or with a {@link org.autobalance.solve.DivergenceException}, or with the
 * exception of a listener that threw.
 *
 * <p>From an array to the factors, on two threads (run with {@code --add-modules jdk.incubator.vector} for the SIMD
 * kernels; {@code data} holds the {@code rows × cols} matrix row after row):
 * <pre>{@code
 * try (DenseMatrix m = DenseMatrix.copyOf(DType.FLOAT32, rows, cols, data, Order.ROW_MAJOR);
 *      Result result = Factorizer.builder(m, rank).threads(2).build().run()) {
 *     float[] u = new float[rows * rank];
 *     result.u().copyTo(u, Order.ROW_MAJOR);
 *     System.out.println(result.stopReason() + " " + result.relativeError());
 * }
 * }</pre>
 *
 * <p>M and the result hold native memory ({@link org.autobalance.memory}): close both. M must stay open until
 * {@code run()} returns, and is read at every iteration, not copied; runs that only read one M may share it.
 */
package org.autobalance.solve;

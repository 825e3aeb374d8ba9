/**
 * Off-heap dense matrices: {@link org.autobalance.memory.DenseMatrix} (row-major, float32 or float64, rows padded
 * and aligned for vector loads) and its element type {@link org.autobalance.memory.DType}.
 *
 * <p>A matrix owns native memory and is {@link java.lang.AutoCloseable}: close it (try-with-resources) when done.
 * Data enters and leaves through element access, {@code double[][]}, and bulk copies from and to flat arrays,
 * buffers and memory segments.
 */
package org.autobalance.memory;

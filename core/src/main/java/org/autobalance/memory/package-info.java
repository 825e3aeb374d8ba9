/**
 * Off-heap matrices: {@link org.autobalance.memory.DenseMatrix} (row-major, float32 or float64, rows padded and
 * aligned for vector loads), {@link org.autobalance.memory.SparseMatrix} (compressed sparse rows, made by its
 * builders or {@code SparseMatrix.of}), and their element type {@link org.autobalance.memory.DType}.
 *
 * <p>A matrix owns native memory and is {@link java.lang.AutoCloseable}: close it (try-with-resources) when done.
 * Data enters and leaves through element access, {@code double[][]}, and bulk copies from and to flat arrays,
 * buffers and memory segments. {@link org.autobalance.memory.NativeMemory} counts what the open matrices of the JVM
 * hold and refuses an allocation past the machine's physical memory before making it.
 */
package org.autobalance.memory;

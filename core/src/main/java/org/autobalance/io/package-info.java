/**
 * Reading and writing matrices in files: {@link org.autobalance.io.MatrixMarket} text,
 * {@link org.autobalance.io.DelimitedText}, NumPy {@link org.autobalance.io.Npy} arrays and scipy
 * {@link org.autobalance.io.Npz} sparse archives. Malformed input is reported by
 * {@link org.autobalance.io.MatrixFormatException} with the file (and line, for text).
 *
 * <p>Rules common to every class here:
 * <ul>
 *   <li>A null argument of a method or of a record's constructor is a {@link java.lang.NullPointerException}
 *       naming it ({@code "dtype must not be null"}); only the arguments documented as nullable (a comment to
 *       write) may be null.</li>
 *   <li>A read or write of a file on a thread whose interrupt status is set, or is set while it runs, stops at its
 *       next check and throws {@link java.io.InterruptedIOException} {@code "<file>: reading was interrupted …"}
 *       ({@code writing}), with no matrix left allocated and the target of a write unchanged; the interrupt status
 *       stays set, as the solvers leave it when an interrupt stops a run. The text readers check at every line
 *       (Matrix Market) or buffer (delimited text) they read, and every 65 536 entries of the parallel parse of a
 *       mapped file; the binary readers before they map the file, before each archive member and every 65 536
 *       elements of its inflate, and while a {@code .npz}'s sparse matrix is built. A read blocked on a pipe that
 *       sends nothing is not woken.</li>
 * </ul>
 */
package org.autobalance.io;

/**
 * Reading and writing matrices in files: {@link org.autobalance.io.MatrixMarket} text. Malformed input is reported
 * by {@link org.autobalance.io.MatrixFormatException} with the file and line.
 */
package org.autobalance.io;

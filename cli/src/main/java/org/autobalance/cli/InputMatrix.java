package org.autobalance.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import org.autobalance.io.DelimitedText;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npz;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;

/**
 * The matrix M of {@code factorize}, read dense or sparse ({@code --storage}). Exactly one of {@link #dense()} and
 * {@link #sparse()} is set; {@link #reason()} says why that storage was chosen.
 *
 * <p>{@code auto}: a {@code .npy} and delimited text ({@code .csv}, …) are dense; a coordinate Matrix Market file or a
 * {@code .npz} is read sparse (never densified on the way) and kept sparse when its density is below
 * {@value #AUTO_DENSITY} (native-notes/sparse.md: at r = 16 one stored entry costs about as much as that many dense
 * elements) or when the dense matrix would take more than half of the machine's physical memory; otherwise it is
 * densified. An {@code array} file is dense. The observed-entries objective always needs the sparse form.
 */
record InputMatrix(DenseMatrix dense, SparseMatrix sparse, String reason) implements AutoCloseable {

    /** Where the README says how to turn a list of entries (ratings, edges) into a sparse M. */
    static final String ENTRY_LISTS = "README: 'Lists of entries (ratings, edges)'";

    /** Density below which {@code auto} keeps a matrix sparse. */
    static final double AUTO_DENSITY = 0.1;

    enum Storage { AUTO, SPARSE, DENSE }

    static Storage parseStorage(String text) {
        try {
            return Storage.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--storage: unknown storage '" + text + "': expected auto, sparse or dense", e);
        }
    }

    /**
     * Reads {@code path} (a Matrix Market file, or by its extension a scipy {@code .npz}, a {@code .npy} or delimited
     * text) as {@code storage} says; {@code notes} is told of a header line skipped in delimited text.
     */
    static InputMatrix read(Path path, DType dtype, Storage storage, boolean observed, String what,
            Consumer<String> notes) {
        if (observed && storage == Storage.DENSE) {
            throw new UsageException("--objective observed needs --storage sparse or auto: the stored entries of a "
                    + "sparse M are the observations", null);
        }
        String dense = denseFormat(path);
        if (dense != null) {
            if (observed || storage == Storage.SPARSE) {
                throw new UsageException(dense + " holds a dense array: " + (observed ? "--objective observed"
                        : "--storage sparse") + " needs a coordinate .mtx or a scipy .npz (" + ENTRY_LISTS + ")",
                        null);
            }
            DenseMatrix m = SolverOptions.read(path, dtype, what, notes);
            if (storage == Storage.AUTO && looksLikeEntryList(m)) {
                int rows = m.rows();
                int cols = m.cols();
                m.close();
                throw new UsageException(path + " holds " + rows + " rows of " + cols + " columns whose first two "
                        + "are distinct pairs of whole numbers >= 0: a list of (row id, column id, value) entries, "
                        + "such as ratings or edges, rather than a matrix? As it is, the " + rows + " x " + cols
                        + " table itself would be factorized. Write the entries as a coordinate .mtx or a scipy .npz ("
                        + ENTRY_LISTS + "), or give --storage dense to factorize the table", null);
            }
            return new InputMatrix(m, null, storage == Storage.DENSE ? "dense (--storage dense)"
                    : "dense (" + dense + " is dense)");
        }
        try {
            boolean npz = SolverOptions.isNpz(path);
            // a pipe (/dev/stdin, a shell's <(…)) can be read once only: no look at its header first; an array file
            // read so is held sparse (every value stored) and densified below
            if (!npz && storage != Storage.SPARSE && !observed && Files.isRegularFile(path)
                    && !MatrixMarket.readHeader(path).coordinate()) {
                return new InputMatrix(MatrixMarket.read(path, dtype), null, storage == Storage.DENSE
                        ? "dense (--storage dense)" : "dense (auto: an array file lists every entry)");
            }
            SparseMatrix s = readSparse(path, dtype, what);
            if (observed || storage == Storage.SPARSE) {
                return new InputMatrix(null, s, "sparse (" + (observed ? "--objective observed" : "--storage sparse")
                        + ", " + s.nonZeros() + " stored entr" + (s.nonZeros() == 1 ? "y)" : "ies)"));
            }
            double density = (double) s.nonZeros() / ((double) s.rows() * s.cols());
            long denseBytes = (long) s.rows() * DenseMatrix.strideOf(dtype, s.cols()) * dtype.bytes();
            long memory = NativeMemory.physicalBytes();
            // the full loss (the only one here: observed returned above) also keeps Mᵀ, as much memory again
            long sparseBytes = s.bytes() + SparseMatrix.bytes(dtype, s.cols(), s.nonZeros());
            String why = String.format(Locale.ROOT, "density %.3g %%, dense %s, sparse %s with its transpose",
                    100 * density, bytes(denseBytes), bytes(sparseBytes));
            if (storage == Storage.AUTO && (density < AUTO_DENSITY || denseBytes > memory / 2)) {
                return new InputMatrix(null, s, "sparse (auto: " + why + (density < AUTO_DENSITY ? ", below "
                        + (int) (100 * AUTO_DENSITY) + " %" : ", over half of the " + bytes(memory) + " memory")
                        + ")");
            }
            try (s) {
                // auto's reason, as its sparse choice has one (a new user's finding: the dense one said none)
                return new InputMatrix(s.toDense(), null, "dense (" + (storage == Storage.DENSE ? "--storage dense"
                        : "auto") + ": " + why + (storage == Storage.DENSE ? "" : ", at least "
                                + (int) (100 * AUTO_DENSITY) + " % and within half of the " + bytes(memory)
                                + " memory") + ")");
            } catch (IllegalArgumentException e) {
                throw new UsageException("cannot hold " + what + " from " + path + " as a dense matrix: "
                        + e.getMessage() + "; use --storage sparse", e);
            }
        } catch (IOException e) {
            throw UsageException.cannotRead(what, path, e);
        }
    }

    /**
     * Whether a dense {@code m} looks like a list of entries — a ratings file ({@code userId,movieId,rating,...}), an
     * edge list — rather than a matrix: 3 or 4 columns, more rows than columns, the first two columns whole numbers
     * ≥ 0 (ids), and no (first, second) pair twice (an entry is listed once; a table of small counts, found in review,
     * repeats its pairs). Read as a matrix it would be factorised as an n × 4 table, almost never what was meant; so
     * {@code --storage auto} refuses it, saying how to give the entries, and {@code --storage dense} reads it as it is.
     */
    static boolean looksLikeEntryList(DenseMatrix m) {
        if (m.cols() < 3 || m.cols() > 4 || m.rows() <= m.cols()) {
            return false;
        }
        // each pair as one long (ids below 2³², the common case; larger ones are not checked for repeats), sorted
        long[] pairs = new long[m.rows()];
        boolean packed = true;
        for (int i = 0; i < m.rows(); i++) {
            double row = m.get(i, 0);
            double col = m.get(i, 1);
            if (!(row >= 0 && row == Math.rint(row) && col >= 0 && col == Math.rint(col))) {
                return false;
            }
            packed &= row < 0x1p32 && col < 0x1p32;
            pairs[i] = (long) row << 32 | (long) col;
        }
        if (packed) {
            Arrays.sort(pairs);
            for (int i = 1; i < pairs.length; i++) {
                if (pairs[i] == pairs[i - 1]) {
                    return false;
                }
            }
        }
        return true;
    }

    /** "a .npy file" or "a delimited text file" for a file whose format holds only dense arrays, else null. */
    static String denseFormat(Path path) {
        return SolverOptions.isNpy(path) ? "a .npy file"
                : DelimitedText.separatorOf(path) != null ? "a delimited text file" : null;
    }

    /**
     * A sparse matrix from a coordinate or array Matrix Market file or a {@code .npz}; a usage error for a format
     * that holds only dense arrays, {@code what} naming the option.
     */
    static SparseMatrix readSparse(Path path, DType dtype, String what) throws IOException {
        String dense = denseFormat(path);
        if (dense != null) {
            throw new UsageException(what + ": " + path + " is " + dense + ", which holds a dense array: give the "
                    + "entries as a coordinate .mtx or a scipy .npz", null);
        }
        boolean npz = SolverOptions.isNpz(path);
        return npz ? Npz.read(path, dtype) : MatrixMarket.readSparse(path, dtype);
    }

    /** A size in MiB or GiB, for messages ({@link NativeMemory#size}). */
    static String bytes(long b) {
        return NativeMemory.size(b);
    }

    @Override
    public void close() {
        if (dense != null) {
            dense.close();
        }
        if (sparse != null) {
            sparse.close();
        }
    }
}

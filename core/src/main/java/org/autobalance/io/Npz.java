package org.autobalance.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.io.internal.Interrupts;
import org.autobalance.memory.DType;
import org.autobalance.memory.Float32RangeException;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.memory.internal.InterruptLooks;

/**
 * Reads the sparse matrices that {@code scipy.sparse.save_npz} writes: a zip archive (members deflated or stored) of
 * {@code .npy} arrays ({@link NpyHeader} parses each header). Supported: {@code format} {@code csr}, {@code csc} and
 * {@code coo} with {@code shape} (2 integers), {@code data} (float32/float64, also integer or bool values, converted),
 * and {@code indices} + {@code indptr} (csr, csc) or {@code row} + {@code col} (coo), int32 or int64 (signed or
 * unsigned, either byte order). Duplicates (coo, or a non-canonical csr/csc) are summed as scipy sums them; explicit
 * zeros stay stored entries. Other formats ({@code bsr}, {@code dia}, {@code dok}, {@code lil}) are rejected with a
 * message naming them; convert with {@code save_npz(f, m.tocsr())}.
 *
 * <p>A csr or csc is read from its three members side by side, front to back in blocks, straight into the matrix's
 * arrays ({@link SparseMatrix.RowBuilder}): it takes the matrix's memory and a few blocks, whatever the members'
 * length (a csc also its transpose while it is built). Its headers are checked against what the members' compressed
 * bytes can hold (a deflated byte inflates to at most 1032) before the matrix is allocated. A coo, whose rows come
 * in any order, is read the same way with its row member read twice, first to count each row's entries
 * ({@link SparseMatrix.CountedBuilder}): it takes the matrix's memory, a long per row, and in a float32 matrix 8 bytes
 * per entry until the build (its values in double, for duplicates to be summed as scipy sums them). Each member's
 * CRC-32 is checked, as numpy checks it. Every problem is reported as a {@link MatrixFormatException}
 * {@code "<file>: <problem>"}.
 */
public final class Npz {
    /** The longest array the JVM makes (a few bytes short of 2 GiB), which holds one member. */
    private static final long MAX_MEMBER_BYTES = NativeMemory.MAX_ARRAY_LENGTH;
    /** What is read of a member's header, or of its data when the header gives no size: ample for what they hold. */
    private static final int UNSIZED_BYTES = 1 << 20;

    private Npz() {
    }

    /**
     * Reads the sparse matrix in {@code path} into a new matrix of {@code dtype} (the caller owns it); values are
     * rounded to float32 as the Matrix Market reader rounds them.
     *
     * @throws MatrixFormatException if the archive is malformed or holds something else (see the class documentation)
     * @throws NoSuchFileException if {@code path} does not exist
     * @throws IOException if reading fails
     */
    public static SparseMatrix read(Path path, DType dtype) throws IOException {
        return read(path, dtype, () -> { });
    }

    /**
     * As {@link #read(Path, DType)}; {@code beforeLook} runs before each look at the interrupt status inside
     * a member's read (where a test interrupts an inflate midway).
     */
    static SparseMatrix read(Path path, DType dtype, Runnable beforeLook) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        Objects.requireNonNull(dtype, "dtype must not be null");
        String source = path.toString();
        try (ZipFile zip = open(path)) {
            Declared declared = declared(zip, path, beforeLook);
            if (!declared.format().equals("coo")) {
                return compressed(zip, source, declared.format().equals("csr"), declared.rows(), declared.cols(),
                        dtype, beforeLook);
            }
            return coordinates(zip, source, declared.rows(), declared.cols(), dtype, beforeLook);
        }
    }

    /**
     * The shape {@code {rows, cols}} that the archive at {@code path} declares, checked as {@link #read} checks it
     * (a supported format, two dimensions that fit an int), without reading its arrays: a coo archive of a few bytes
     * can declare a matrix whose row pointers alone take gigabytes, and a caller can refuse a run that such a shape
     * rules out before {@link #read} builds it.
     *
     * @throws MatrixFormatException if the archive is malformed or holds something else
     * @throws NoSuchFileException if {@code path} does not exist
     * @throws IOException if reading fails
     */
    public static int[] readShape(Path path) throws IOException {
        try (ZipFile zip = open(path)) {
            Declared declared = declared(zip, path, () -> { });
            return new int[] {declared.rows(), declared.cols()};
        }
    }

    /** What an archive's {@code format} and {@code shape} members say. */
    private record Declared(String format, int rows, int cols) {
    }

    /** ZipFile's refusal of a member compressed otherwise than stored or deflated (JDK 25's words). */
    private static final Pattern UNREAD_METHOD = Pattern.compile("bad compression method: (\\d+)");

    /** The archive at {@code path} opened as a zip, or the line that says why it is not one. */
    private static ZipFile open(Path path) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        String source = path.toString();
        Interrupts.checkReading(source);
        FileInput.requireFile(path, ".npz");
        try {
            return new ZipFile(path.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            NoSuchFileException clearer = new NoSuchFileException(source, null, "no such .npz file");
            clearer.initCause(e);
            throw clearer;
        } catch (ZipException | EOFException e) {
            // EOFException: an end-of-archive record cut short (found by NpzFuzzTest)
            String start = FileInput.start(path, 16);
            Matcher method = UNREAD_METHOD.matcher(String.valueOf(e.getMessage()));
            if (start.startsWith(FileInput.ZIP_MAGIC) && method.find()) {
                // Python's zipfile also writes bzip2 (12) and LZMA (14) members, which numpy reads; ZipFile refuses
                // them as it opens the archive, and the line below said the file was damaged
                int m = Integer.parseInt(method.group(1));
                throw new MatrixFormatException(source, "a member is compressed with zip method " + m
                        + (m == 12 ? " (bzip2)" : m == 14 ? " (LZMA)" : "") + ", which this reader does not support "
                        + "(stored or deflate only, as numpy.savez, numpy.savez_compressed and scipy.sparse.save_npz "
                        + "write): save it again with one of those");
            }
            if (start.startsWith(FileInput.ZIP_MAGIC)) {
                // a zip archive whose directory at the end is missing or damaged: a copy cut short, as a download or
                // a full disk leaves it (the hint for other formats said "give it a name ending in .npz" of a .npz)
                // an EOFException has no message: "… but null (truncated? …)" (the fuzz finding's own line)
                throw new MatrixFormatException(source, "damaged .npz file: it starts as a zip archive, but "
                        + (e.getMessage() == null ? "its end record is cut short" : e.getMessage())
                        + " (truncated? save or copy it again)");
            }
            String hint = FileInput.hintFor(start);
            throw new MatrixFormatException(source, "not a .npz file (not a zip archive: " + e.getMessage() + ")"
                    + (hint == null ? "" : " (" + hint + ")"));
        }
    }

    /** The format and shape members of {@code zip}, checked before any array is read. */
    private static Declared declared(ZipFile zip, Path path, Runnable beforeLook) throws IOException {
        String source = path.toString();
        if (zip.getEntry("format.npy") == null) {
            throw new MatrixFormatException(source, notSparse(zip, path));
        }
        String format = text(member(zip, "format", source, beforeLook), source + ":format.npy");
        if (!List.of("csr", "csc", "coo").contains(format)) {
            // before the arrays are read: a bsr matrix's data is 3-D and would be reported as a bad array
            throw new MatrixFormatException(source, "unsupported sparse format '" + format
                    + "': csr, csc and coo are read; convert with scipy.sparse.save_npz(f, m.tocsr())");
        }
        long[] shape = integers(member(zip, "shape", source, beforeLook), source + ":shape.npy", 2);
        if (shape.length != 2 || shape[0] < 1 || shape[1] < 1 || shape[0] > Integer.MAX_VALUE
                || shape[1] > Integer.MAX_VALUE) {
            throw new MatrixFormatException(source, "shape must be 2 dimensions between 1 and "
                    + Integer.MAX_VALUE + ", found " + java.util.Arrays.toString(shape));
        }
        return new Declared(format, (int) shape[0], (int) shape[1]);
    }

    /**
     * A csr (or csc: the same arrays of Mᵀ) matrix read from its three members side by side, each front to back, into
     * the matrix's own arrays ({@link SparseMatrix.RowBuilder}): no member is held whole and no entry is staged. The
     * checks and the result are those of the reading through {@link SparseMatrix.Builder} that this replaced; a
     * problem found in the numbers is reported as the members' own damage first when they are damaged, as when each
     * member was read whole before its numbers were looked at.
     */
    private static SparseMatrix compressed(ZipFile zip, String source, boolean csr, int rows, int cols, DType dtype,
            Runnable beforeLook) throws IOException {
        if (!csr) {
            // from the shape, before a member is read: the transpose would refuse it after all of them were
            try {
                SparseMatrix.requireTransposable(rows);
            } catch (IllegalArgumentException e) {
                // the transpose's words (M's columns) are this file's rows
                throw new MatrixFormatException(source, "a csc matrix of " + rows + " rows is too tall to read as csc "
                        + "(at most " + (NativeMemory.MAX_ARRAY_LENGTH - 1)
                        + ": its rows are counted in a Java array); save it as csr");
            }
        }
        try (NpzMember data = NpzMember.open(zip, "data", source, "fiub", beforeLook);
                NpzMember indices = NpzMember.open(zip, "indices", source, "iu", beforeLook);
                NpzMember indptr = NpzMember.open(zip, "indptr", source, "iu", beforeLook)) {
            int outer = csr ? rows : cols;
            int inner = csr ? cols : rows;
            long nnz = data.length();
            boolean counted = indptr.length() == outer + 1L && indices.length() == nnz;
            try {
                if (indptr.length() != outer + 1L) {
                    throw new MatrixFormatException(source, "indptr has " + indptr.length() + " entries, expected "
                            + (outer + 1L) + " for a " + rows + " x " + cols + " " + (csr ? "csr" : "csc")
                            + " matrix");
                }
                if (indices.length() != nnz) {
                    throw new MatrixFormatException(source, "indices has " + indices.length() + " entries but data "
                            + "has " + nnz);
                }
                try (SparseMatrix.RowBuilder b = SparseMatrix.rowBuilder(dtype, outer, inner, nnz)) {
                    fill(b, data, indices, indptr, source, csr, inner, dtype);
                    for (NpzMember m : List.of(data, indices, indptr)) {
                        m.finish();
                    }
                    Interrupts.checkReading(source);
                    return finite(csr ? b.build() : b.buildTransposed(), source, dtype);
                }
            } catch (Float32RangeException e) {
                // each value was checked as it was added: only a sum of duplicates can leave float32's range
                throw csr ? duplicatesOverflow(source, e.row(), e.column(), dtype)
                        : duplicatesOverflow(source, e.column(), e.row(), dtype);
            } catch (MatrixFormatException problem) {
                // what the reading that held each member whole said first: a member's own damage (cut short, longer
                // than declared, its CRC-32), then the ends of indptr, then the problem met on the way
                for (NpzMember m : List.of(data, indices, indptr)) {
                    m.requireIntact();
                }
                long[] ends = indptr.ends();
                if (counted && (ends[0] != 0 || ends[1] != nnz)) {
                    throw new MatrixFormatException(source, "indptr must start at 0 and end at the " + nnz
                            + " entries of data, found " + ends[0] + " .. " + ends[1]);
                }
                throw problem;
            }
        }
    }

    /**
     * The rows of the members into {@code b}, each index and value checked (a csc's rows are M's columns). A problem
     * with the ends of indptr is thrown as any, and named by the caller, which reads indptr to its end.
     */
    private static void fill(SparseMatrix.RowBuilder b, NpzMember data, NpzMember indices, NpzMember indptr,
            String source, boolean csr, int inner, DType dtype) throws IOException {
        int outer = Math.toIntExact(indptr.length() - 1);
        long nnz = data.length();
        long from = indptr.integer();
        if (from != 0) {
            throw new MatrixFormatException(source, "indptr must start at 0");
        }
        for (int o = 0; o < outer; o++) {
            long to = indptr.integer();
            if (to < from) {
                throw new MatrixFormatException(source, "indptr decreases at index " + (o + 1) + ": indptr["
                        + (o + 1) + "] = " + to + " is below indptr[" + o + "] = " + from);
            }
            // a later decrease would be caught, but only after reading indices beyond their end (NpzFuzzTest)
            if (to > nnz) {
                throw new MatrixFormatException(source, "indptr[" + (o + 1) + "] = " + to + " is beyond the " + nnz
                        + " entries of data");
            }
            for (long k = from; k < to; k++) {
                long in = indices.integer();
                if (in < 0 || in >= inner) {
                    throw new MatrixFormatException(source, "indices[" + k + "] = " + in + " is outside 0.."
                            + (inner - 1));
                }
                double x = data.number();
                b.add((int) in, csr ? checked(x, k, o, (int) in, dtype, source)
                        : checked(x, k, (int) in, o, dtype, source));
            }
            b.endRow();
            from = to;
        }
        if (from != nnz) {
            throw new MatrixFormatException(source, "indptr must end at the " + nnz + " entries of data");
        }
    }

    /**
     * A coo matrix read from its members front to back, row.npy twice ({@link SparseMatrix.CountedBuilder}): first
     * alone, its rows counted, then beside col.npy and data.npy, each entry written to its row's place in the matrix.
     * No member is held whole and no entry is staged. A problem in the numbers is named in entry order, as when each
     * member was read whole before its numbers were looked at, and as the members' own damage first when they are
     * damaged.
     */
    private static SparseMatrix coordinates(ZipFile zip, String source, int rows, int cols, DType dtype,
            Runnable beforeLook) throws IOException {
        try (NpzMember data = NpzMember.open(zip, "data", source, "fiub", beforeLook);
                NpzMember row = NpzMember.open(zip, "row", source, "iu", beforeLook);
                NpzMember col = NpzMember.open(zip, "col", source, "iu", beforeLook)) {
            long nnz = data.length();
            try {
                if (row.length() != nnz || col.length() != nnz) {
                    throw new MatrixFormatException(source, "row, col and data must have one entry each per stored "
                            + "value, found " + row.length() + ", " + col.length() + " and " + nnz);
                }
                try (SparseMatrix.CountedBuilder b = SparseMatrix.countedBuilder(dtype, rows, cols, nnz)) {
                    // a row outside the shape is not counted: the second reading names it in entry order
                    try (NpzMember counted = NpzMember.open(zip, "row", source, "iu", beforeLook)) {
                        for (long k = 0; k < nnz; k++) {
                            long i = counted.integer();
                            if (i >= 0 && i < rows) {
                                b.count((int) i);
                            }
                        }
                        counted.finish();
                    }
                    for (long k = 0; k < nnz; k++) {
                        long i = row.integer();
                        long j = col.integer();
                        if (i < 0 || i >= rows || j < 0 || j >= cols) {
                            throw new MatrixFormatException(source, "entry " + k + " at (" + i + ", " + j + ") is "
                                    + "outside the " + rows + " x " + cols + " shape (0-based)");
                        }
                        b.add((int) i, (int) j, checked(data.number(), k, (int) i, (int) j, dtype, source));
                    }
                    for (NpzMember m : List.of(data, row, col)) {
                        m.finish();
                    }
                    Interrupts.checkReading(source);
                    try {
                        return finite(b.build(), source, dtype);
                    } catch (CancellationException e) {
                        throw Interrupts.reading(source, e);
                    }
                }
            } catch (Float32RangeException e) {
                // each value was checked as it was added: only a sum of duplicates can leave float32's range
                throw duplicatesOverflow(source, e.row(), e.column(), dtype);
            } catch (MatrixFormatException | IllegalStateException problem) {
                // what the reading that held each member whole said first: a member's own damage, then the problem
                for (NpzMember m : List.of(data, row, col)) {
                    m.requireIntact();
                }
                if (problem instanceof MatrixFormatException named) {
                    throw named;
                }
                // the two readings of row.npy disagree, each intact: the file was replaced while it was read
                throw new MatrixFormatException(source, "row.npy read twice gave different rows (was the file "
                        + "changed while it was read?)");
            }
        }
    }

    /** {@code m}, unless a sum of duplicates overflowed to a non-finite value (then it is closed). */
    private static SparseMatrix finite(SparseMatrix m, String source, DType dtype) throws MatrixFormatException {
        int[] at = m.firstNonFinite();
        if (at != null) {
            m.close();
            throw duplicatesOverflow(source, at[0], at[1], dtype);
        }
        return m;
    }

    private static MatrixFormatException duplicatesOverflow(String source, long i, long j, DType dtype) {
        return new MatrixFormatException(source, "the entries at row " + i + ", column " + j + " (0-based) sum to a "
                + "value that overflows " + dtype.label());
    }

    /**
     * {@code x}, the value {@code data[k]} at (i, j), unless it is not finite or (as float32) overflows. Positions are
     * 0-based, as every position this reader names (indices, indptr, entries): scipy's and NumPy's convention.
     */
    private static double checked(double x, long k, int i, int j, DType dtype, String source)
            throws MatrixFormatException {
        if (!Double.isFinite(x) || dtype == DType.FLOAT32 && Float.isInfinite((float) x)) {
            throw new MatrixFormatException(source, "non-finite value " + x + (Double.isFinite(x) ? " (overflows "
                    + "float32)" : "") + " at data[" + k + "], row " + i + ", column " + j + " (0-based)");
        }
        return x;
    }

    /**
     * Why the archive at {@code path} is not a scipy.sparse.save_npz file, and what to do (the line {@link #read}
     * reports), or null for one with its {@code format} member. Only the archive's entry names are read, so a caller
     * that reads a {@code .npz} as a dense matrix can say which conversion fits before reading any member.
     *
     * @throws IOException if the file cannot be opened as a zip archive
     */
    public static String notSparse(Path path) throws IOException {
        try (ZipFile zip = new ZipFile(path.toFile())) {
            return zip.getEntry("format.npy") != null ? null : notSparse(zip, path);
        }
    }

    /**
     * What an archive without a {@code format} member is, and what to do: most often a dense matrix saved by
     * {@code numpy.savez} (members {@code arr_0.npy}, …), whose arrays are named with the line that saves one as
     * {@code .npy}, which the reader maps in place; or a sparse matrix's arrays saved so, with the line that saves
     * them by scipy.
     */
    private static String notSparse(ZipFile zip, Path path) {
        List<String> names = zip.stream().map(ZipEntry::getName).toList();
        String file = FileChecks.printable(path.getFileName() == null ? path.toString()
                : path.getFileName().toString());
        if (names.isEmpty() || !names.stream().allMatch(n -> n.endsWith(".npy"))) {
            return "not a scipy.sparse.save_npz file (no member 'format.npy'; it holds " + names.size()
                    + (names.size() == 1 ? " member" : " members") + shortList(names) + ")";
        }
        List<String> arrays = names.stream().map(n -> n.substring(0, n.length() - ".npy".length())).toList();
        // the old recipe np.savez(f, data=m.data, indices=m.indices, indptr=m.indptr, shape=m.shape): none of its
        // arrays is "the matrix" to save as .npy, and without the format csr and csc are the same arrays
        String load = "a = numpy.load('" + file + "'); scipy.sparse.save_npz('M.npz', scipy.sparse.";
        if (arrays.containsAll(List.of("data", "indices", "indptr", "shape"))) {
            return "the arrays of a sparse matrix (data, indices, indptr, shape) without scipy.sparse.save_npz's "
                    + "'format' member, so csr and csc cannot be told apart: save it again with " + load
                    + "csr_matrix((a['data'], a['indices'], a['indptr']), shape=a['shape'])) (csc_matrix if it was "
                    + "saved from one)";
        }
        if (arrays.containsAll(List.of("row", "col", "data", "shape"))) {
            return "the arrays of a sparse matrix (row, col, data, shape) without scipy.sparse.save_npz's 'format' "
                    + "member: save it again with " + load + "coo_matrix((a['data'], (a['row'], a['col'])), "
                    + "shape=a['shape']))";
        }
        String key = arrays.size() == 1 ? "'" + arrays.get(0) + "'" : "NAME";
        return "a numpy archive of arrays (numpy.savez), not a scipy.sparse.save_npz file; its "
                + (arrays.size() == 1 ? "array:" : arrays.size() + " arrays:") + shortList(arrays)
                + "; save the matrix as .npy and give that: numpy.save('M.npy', numpy.load('" + file + "')[" + key
                + "])" + (arrays.size() == 1 ? "" : ", NAME the matrix's array of those");
    }

    /** {@code names}, each after a space, the first ten of them. */
    private static String shortList(List<String> names) {
        String shown = names.stream().limit(10).map(n -> " " + FileChecks.printable(n))
                .collect(Collectors.joining(","));
        return names.size() > 10 ? shown + ", …" : shown;
    }

    /** The bytes of member {@code name}.npy. */
    private static MemorySegment member(ZipFile zip, String name, String source, Runnable beforeLook)
            throws IOException {
        Interrupts.checkReading(source);
        ZipEntry e = zip.getEntry(name + ".npy");
        if (e == null) {
            throw new MatrixFormatException(source, "no member '" + name + ".npy': not a scipy.sparse.save_npz "
                    + "file");
        }
        // ZipFile's streams do not check a member's CRC-32 (ZipInputStream's do): a byte the disk or a copy changed
        // in a member would be read as another number without a word, where numpy refuses the file
        try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
            byte[] bytes = declaredBytes(in, source, name + ".npy", beforeLook);
            // the sum is whole once the member is read to its end: a member longer than read is refused otherwise
            if (in.read() < 0) {
                NpzMember.requireCrc(in, e, source, name + ".npy");
            }
            return MemorySegment.ofArray(bytes);
        } catch (OutOfMemoryError tooLarge) {
            throw new MatrixFormatException(source, "member '" + name + ".npy' is too large to read ("
                    + e.getSize() + " bytes; at most 2 GiB per member)");
        } catch (ZipException | EOFException bad) {
            throw NpzMember.damaged(source, name + ".npy", bad);
        }
    }

    /**
     * The bytes of member {@code member} ({@code data.npy}) as far as its {@code .npy} header declares them; a longer
     * member is refused after one byte more, the rest not read (a 1.5 MB archive whose data.npy declared 16 bytes but
     * expanded to 1.5 GB of zeros took 17 s and 3.3 GB of memory to be refused). A shorter one is returned whole, for
     * {@link #array} to say so.
     *
     * <p>The data is inflated in blocks of {@link InterruptLooks#EVERY} elements, the interrupt status looked at
     * between them (after {@code beforeLook}): a member of hundreds of MB inflates for seconds, which a reader read as
     * one call that no interrupt stopped.
     */
    private static byte[] declaredBytes(InputStream in, String source, String member, Runnable beforeLook)
            throws IOException {
        String named = source + ":" + member;
        byte[] header = headerBytes(in, named);
        long headerEnd = NpyHeader.headerEnd(MemorySegment.ofArray(header), named);
        NpyHeader h = header.length < headerEnd ? null : NpyHeader.parse(MemorySegment.ofArray(header), named);
        long declared = h == null ? -1 : h.dataBytes();
        if (declared < 0) {
            // a string (the format member: no item size known here) or a size beyond a long, which array() refuses
            return concat(header, in.readNBytes(UNSIZED_BYTES));
        }
        if (declared >= MAX_MEMBER_BYTES - header.length) {
            throw new MatrixFormatException(source, "member '" + member + "' is too large to read (its header "
                    + "declares " + declared + " bytes of data; at most 2 GiB per member)");
        }
        int end = header.length + (int) declared;
        // at most EVERY float64s' bytes: the item size is the file's word (a header may say '<i999', then
        // array() refuses the dtype), and the first block is allocated before anything is read
        int block = (int) InterruptLooks.EVERY * Math.min(h.itemSize(), Double.BYTES);
        // the array grows with what is read, not to what the header declares: a header may claim 2 GB of a few bytes
        byte[] bytes = Arrays.copyOf(header, Math.min(end, header.length + block));
        int at = header.length;
        while (at < end) {
            if (at > header.length) {
                beforeLook.run();
                Interrupts.checkReading(source);
            }
            if (at == bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(end, 2L * bytes.length));
            }
            int want = Math.min(block, bytes.length - at);
            int n = in.readNBytes(bytes, at, want);
            at += n;
            if (n < want) {
                return Arrays.copyOf(bytes, at); // the member ends early
            }
        }
        if (in.read() >= 0) {
            throw new MatrixFormatException(named, "the header declares " + declared + " bytes of data, the member "
                    + "holds more");
        }
        return bytes;
    }

    /**
     * A member's {@code .npy} header as far as its length field says, read from {@code in}: fewer bytes when the
     * member ends first (the parse then names it).
     */
    static byte[] headerBytes(InputStream in, String named) throws IOException {
        byte[] preamble = in.readNBytes(NpyHeader.PREAMBLE_BYTES + Short.BYTES);
        long headerEnd = NpyHeader.headerEnd(MemorySegment.ofArray(preamble), named);
        // numpy refuses headers above 10 000 bytes: a longer length field is a lie, which the parse reports
        return concat(preamble, in.readNBytes(Math.clamp(headerEnd - preamble.length, 0, UNSIZED_BYTES)));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    /**
     * {@code h}, checked to describe a 1-D array of one of {@code kinds} ('f', 'i', 'u', 'b') that the elements' reader
     * reads: the members of a scipy sparse file, whether held whole or streamed ({@link NpzMember}).
     */
    static NpyHeader requireVector(NpyHeader h, String source, String kinds) throws MatrixFormatException {
        if (kinds.indexOf(h.kind()) < 0 || !NpyElements.readable(h.kind(), h.itemSize())) {
            // the .npy reader's advice for the values (a complex matrix was refused with no way out named)
            throw new MatrixFormatException(source, "unsupported dtype '" + h.descr() + "' for this array; "
                    + (kinds.indexOf('f') >= 0 ? "float32, float64, integer and boolean values are read (convert "
                    + "before saving: scipy.sparse.save_npz(path, M.astype(numpy.float64)))"
                    : "integer indices are read"));
        }
        if (h.shape().length != 1) {
            throw new MatrixFormatException(source, "expected a 1-D array, found shape " + h.shapeText());
        }
        return h;
    }

    /** Member bytes as a 1-D array of one of {@code kinds} ('f' float32/64, 'i'/'u' integers, 'b' bool). */
    private static NpyElements array(MemorySegment bytes, String source, String kinds) throws MatrixFormatException {
        NpyHeader h = requireVector(NpyHeader.parse(bytes, source), source, kinds);
        long expected = h.dataBytes();
        if (expected < 0 || bytes.byteSize() - h.dataOffset() != expected) {
            throw new MatrixFormatException(source, "the header declares " + expected + " bytes of data, the member "
                    + "holds " + (bytes.byteSize() - h.dataOffset()));
        }
        return NpyElements.of(h, bytes, h.dataOffset(), h.shape()[0]);
    }

    /** The integers of a 1-D integer member of {@code expected} elements. */
    private static long[] integers(MemorySegment bytes, String source, int expected) throws MatrixFormatException {
        NpyElements a = array(bytes, source, "iu");
        if (a.length() != expected) {
            throw new MatrixFormatException(source, "expected " + expected + " integers, found " + a.length());
        }
        long[] out = new long[expected];
        for (int k = 0; k < expected; k++) {
            out[k] = a.integer(k);
        }
        return out;
    }

    /** The string of a 0-d bytes ({@code S}) or unicode ({@code U}) member, e.g. {@code csr}. */
    private static String text(MemorySegment bytes, String source) throws MatrixFormatException {
        NpyHeader h = NpyHeader.parse(bytes, source);
        long n = bytes.byteSize() - h.dataOffset();
        if (h.shape().length != 0 || (h.kind() != 'S' && h.kind() != 'U') || n > 64) {
            throw new MatrixFormatException(source, "expected a short string such as 'csr', found dtype '"
                    + h.descr() + "' of shape " + h.shapeText());
        }
        byte[] raw = bytes.asSlice(h.dataOffset(), n).toArray(ValueLayout.JAVA_BYTE);
        String s = h.kind() == 'S' ? new String(raw, StandardCharsets.ISO_8859_1)
                : new String(raw, h.byteOrder() == ByteOrder.BIG_ENDIAN ? java.nio.charset.Charset.forName("UTF-32BE")
                        : java.nio.charset.Charset.forName("UTF-32LE"));
        int end = s.indexOf('\0');
        return end < 0 ? s : s.substring(0, end);
    }
}

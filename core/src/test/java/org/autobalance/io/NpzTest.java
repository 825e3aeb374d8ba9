package org.autobalance.io;

import static org.autobalance.testing.Fixtures.csv;
import static org.autobalance.testing.Fixtures.fixture;
import static org.autobalance.testing.RandomSparse.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The .npz reader against files written by scipy 1.17.1 ({@code make_sparse_fixtures.py}) and broken copies. */
class NpzTest {
    @TempDir
    Path dir;

    /** A failed interrupt test must not leave the status set for the next test. */
    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    /** Each CSV is scipy's own {@code toarray()} of the matrix it saved; the reading must equal it exactly. */
    @ParameterizedTest
    @CsvSource({
        "npz_csr.npz, npz_truth.csv, float64",
        "npz_csc.npz, npz_truth.csv, float64",
        "npz_coo.npz, npz_coo_truth.csv, float64",
        "npz_csr_float32_int64.npz, npz_float32_truth.csv, float32",
        "npz_csr_float32_int64.npz, npz_float32_truth.csv, float64",
    })
    void readsScipySaveNpz(String npz, String truth, String dtype) throws IOException {
        double[][] expected = csv(truth);
        DType t = DType.parse(dtype);
        try (SparseMatrix s = Npz.read(fixture(npz), t); DenseMatrix d = s.toDense()) {
            assertEquals(t, s.dtype());
            assertArrayEquals(expected, d.toArray(), npz);
        }
    }

    @Test
    void storedFormsAgree() throws IOException {
        // the compressed csr (deflated members) and the uncompressed csc (stored members) hold the same entries
        try (SparseMatrix a = Npz.read(fixture("npz_csr.npz"), DType.FLOAT64);
                SparseMatrix b = Npz.read(fixture("npz_csc.npz"), DType.FLOAT64)) {
            assertEquals(a.nonZeros(), b.nonZeros());
            for (long k = 0; k < a.nonZeros(); k++) {
                assertEquals(a.column(k), b.column(k));
                assertEquals(a.value(k), b.value(k));
            }
        }
        try (ZipFile z = new ZipFile(fixture("npz_csc.npz").toFile())) {
            assertEquals(ZipEntry.STORED, z.getEntry("data.npy").getMethod(), "fixture must exercise stored members");
        }
    }

    /**
     * Python's zipfile also writes bzip2 (method 12) and LZMA (14) members, which numpy reads and ZipFile does not:
     * such a file is named as one this reader does not support, not as a damaged one (a new user's finding). The
     * stored fixture's members are relabelled as bzip2 in their local and central headers.
     */
    @Test
    void aMemberCompressedWithBzip2IsNamedAsUnsupported() throws IOException {
        byte[] zip = Files.readAllBytes(fixture("npz_csc.npz"));
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int relabelled = 0;
        for (int at = 0; at + 12 <= zip.length; at++) {
            int signature = b.getInt(at);
            if (signature == 0x04034b50 || signature == 0x02014b50) { // local header: method at 8; central: at 10
                int method = at + (signature == 0x04034b50 ? 8 : 10);
                assertEquals(ZipEntry.STORED, b.getShort(method));
                b.putShort(method, (short) 12);
                relabelled++;
            }
        }
        assertTrue(relabelled >= 2 * 5, "the fixture's five members, each with two headers: " + relabelled);
        Path bzip2 = Files.write(dir.resolve("bzip2.npz"), zip);
        assertMessage(bzip2, ": a member is compressed with zip method 12 (bzip2), which this reader does not support "
                + "(stored or deflate only, as numpy.savez, numpy.savez_compressed and scipy.sparse.save_npz write): "
                + "save it again with one of those");
    }

    @Test
    void missingFileAndNonZipAreClear() throws IOException {
        assertThrows(NoSuchFileException.class, () -> Npz.read(dir.resolve("none.npz"), DType.FLOAT64));
        Path text = Files.writeString(dir.resolve("text.npz"), "not a zip");
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(text, DType.FLOAT64));
        assertTrue(e.getMessage().contains("not a .npz file"), e.getMessage());
        // a dense .npy under the .npz name: what it is, and what to do
        Path npy = dir.resolve("dense.npz");
        Files.copy(fixture("npy_f8_c.npy"), npy);
        assertMessage(npy, "not a .npz file (not a zip archive: ");
        assertMessage(npy, ") (a NumPy .npy file: give it a name ending in .npy, as a file on disk)");
    }

    /**
     * A dense matrix saved by numpy.savez (the fixtures are numpy's own) is not a sparse matrix: the message says
     * what the archive is, names its arrays and gives the line that saves one as .npy (it said only "no member
     * 'format.npy': not a scipy.sparse.save_npz file").
     */
    @Test
    void aNumpyArchiveOfArraysIsNamedWithItsArraysAndTheConversion() {
        assertMessage(fixture("npz_dense_savez.npz"), "npz_dense_savez.npz: a numpy archive of arrays (numpy.savez), "
                + "not a scipy.sparse.save_npz file; its 2 arrays: labels, arr_0; save the matrix as .npy and give "
                + "that: numpy.save('M.npy', numpy.load('npz_dense_savez.npz')[NAME]), NAME the matrix's array of "
                + "those");
        assertMessage(fixture("npz_dense_one.npz"), "npz_dense_one.npz: a numpy archive of arrays (numpy.savez), "
                + "not a scipy.sparse.save_npz file; its array: arr_0; save the matrix as .npy and give that: "
                + "numpy.save('M.npy', numpy.load('npz_dense_one.npz')['arr_0'])");
    }

    /**
     * A sparse matrix's arrays saved by numpy.savez without scipy's 'format' member (the old recipe
     * {@code np.savez(f, data=m.data, indices=m.indices, indptr=m.indptr, shape=m.shape)}) were called a numpy archive
     * with the advice to save "the matrix" among its arrays as .npy, which none of them is. csr and csc cannot be told
     * apart without the format, so the line gives the conversion through scipy for either; coo's arrays say which.
     */
    @Test
    void aSparseMatrixsArraysWithoutItsFormatAreNamedWithTheConversion() throws IOException {
        Path compressed = copyWithout("npz_csr.npz", "format.npy", null, null);
        String name = compressed.getFileName().toString();
        assertMessage(compressed, name + ": the arrays of a sparse matrix (data, indices, indptr, shape) without "
                + "scipy.sparse.save_npz's 'format' member, so csr and csc cannot be told apart: save it again with "
                + "a = numpy.load('" + name + "'); scipy.sparse.save_npz('M.npz', scipy.sparse.csr_matrix((a['data'], "
                + "a['indices'], a['indptr']), shape=a['shape'])) (csc_matrix if it was saved from one)");
        Path coo = copyWithout("npz_coo.npz", "format.npy", null, null);
        String cooName = coo.getFileName().toString();
        assertMessage(coo, cooName + ": the arrays of a sparse matrix (row, col, data, shape) without "
                + "scipy.sparse.save_npz's 'format' member: save it again with a = numpy.load('" + cooName + "'); "
                + "scipy.sparse.save_npz('M.npz', scipy.sparse.coo_matrix((a['data'], (a['row'], a['col'])), "
                + "shape=a['shape']))");
    }

    /**
     * A named pipe (or a device) of .npy or .npz data: the binary readers map their file or read it by position, so it
     * is refused at once, saying why, without opening it (an open of a pipe waits for a writer; when one came, the
     * .npy reader said "empty file").
     */
    @Test
    void aPipeIsRefusedWithoutWaitingForAWriter() throws Exception {
        for (String name : List.of("p.npy", "p.npz")) {
            Path fifo = dir.resolve(name);
            Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0,
                    "mkfifo is needed");
            java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class,
                    () -> assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> name.endsWith(".npy")
                            ? Npy.read(fifo, DType.FLOAT64) : Npz.read(fifo, DType.FLOAT64)));
            assertTrue(e.getMessage().contains("a pipe or a device, not a file: a ." + name.substring(2)
                    + " file is read in place and needs a file on disk"), e.getMessage());
        }
    }

    /**
     * A .npz cut short (a download or copy interrupted): its zip directory, at the end, is gone. The message used to
     * add the hint for a zip archive under another name, "give it a name ending in .npz", to a file named so.
     */
    @Test
    void aTruncatedArchiveIsSaidToBeDamaged() throws IOException {
        byte[] whole = Files.readAllBytes(fixture("npz_csr.npz"));
        Path cut = Files.write(dir.resolve("cut.npz"), java.util.Arrays.copyOf(whole, whole.length / 2));
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(cut, DType.FLOAT64));
        assertTrue(e.getMessage().contains("damaged .npz file: it starts as a zip archive, but "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(truncated? save or copy it again)"), e.getMessage());
        assertFalse(e.getMessage().contains("give it a name ending in .npz"), e.getMessage());
    }

    /**
     * The shape alone is what scipy declares, and an archive that {@link Npz#read} refuses before its arrays is
     * refused by {@link Npz#readShape} with the same line: both check it through the same code.
     */
    @Test
    void theShapeAloneIsReadAndCheckedAsReadChecksIt() throws IOException {
        assertArrayEquals(new int[] {6, 5}, Npz.readShape(fixture("npz_csr.npz")));
        assertArrayEquals(new int[] {6, 5}, Npz.readShape(fixture("npz_csc.npz")));
        assertArrayEquals(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE},
                Npz.readShape(fixture("npz_coo_huge_shape.npz")));
        Path cut = dir.resolve("cut.npz");
        byte[] whole = Files.readAllBytes(fixture("npz_csr.npz"));
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        for (Path p : List.of(fixture("npz_dense_savez.npz"), fixture("npz_bsr.npz"), cut)) {
            MatrixFormatException read = assertThrows(MatrixFormatException.class, () -> Npz.read(p, DType.FLOAT64));
            MatrixFormatException shape = assertThrows(MatrixFormatException.class, () -> Npz.readShape(p));
            assertEquals(read.getMessage(), shape.getMessage());
        }
        Path missing = dir.resolve("missing.npz");
        assertEquals(assertThrows(NoSuchFileException.class, () -> Npz.read(missing, DType.FLOAT64)).getMessage(),
                assertThrows(NoSuchFileException.class, () -> Npz.readShape(missing)).getMessage());
    }

    @Test
    void missingMemberAndWrongFormatAreNamed() throws IOException {
        Path noIndices = copyWithout("npz_csr.npz", "indices.npy", null, null);
        assertMessage(noIndices, "no member 'indices.npy'");
        Path bsr = copyWithout("npz_csr.npz", "format.npy", "format.npy", formatMember("bsr"));
        assertMessage(bsr, "unsupported sparse format 'bsr'");
        // scipy's own bsr file: its 3-D data member is not what is wrong, the format is
        assertMessage(fixture("npz_bsr.npz"), "unsupported sparse format 'bsr'");
    }

    /**
     * A member that expands to more than its header declares (a zip bomb: 16 MB of zeros after the data, 16 kB
     * compressed) is refused without being read to its end: a 1.5 MB archive took 17 s and 3.3 GB of memory to be
     * refused (a new user's twelfth-session finding), its message counting the bytes it had read.
     */
    @Test
    void aMemberLongerThanItsHeaderDeclaresIsNotReadToItsEnd() throws IOException {
        byte[] data;
        try (ZipFile zip = new ZipFile(fixture("npz_csr.npz").toFile());
                var in = zip.getInputStream(zip.getEntry("data.npy"))) {
            data = in.readAllBytes();
        }
        long declared = NpyHeader.parse(java.lang.foreign.MemorySegment.ofArray(data), "data").dataBytes();
        Path bomb = copyWithout("npz_csr.npz", "data.npy", "data.npy", java.util.Arrays.copyOf(data, data.length
                + (16 << 20)));
        assertTrue(Files.size(bomb) < 1 << 20, "the archive is not small: " + Files.size(bomb));
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(bomb, DType.FLOAT64));
        assertEquals(bomb + ":data.npy: the header declares " + declared + " bytes of data, the member holds more",
                e.getMessage());
    }

    /**
     * A member that ends before the data its header declares (a data.npy cut by 8 bytes) is named with both counts;
     * the block read trims what it got, and a mutation that returned the untrimmed block read the missing bytes as
     * zeros without a word.
     */
    @Test
    void aMemberShorterThanItsHeaderDeclaresIsNamed() throws IOException {
        byte[] data;
        try (ZipFile zip = new ZipFile(fixture("npz_csr.npz").toFile());
                var in = zip.getInputStream(zip.getEntry("data.npy"))) {
            data = in.readAllBytes();
        }
        long declared = NpyHeader.parse(java.lang.foreign.MemorySegment.ofArray(data), "data").dataBytes();
        Path cut = copyWithout("npz_csr.npz", "data.npy", "data.npy", java.util.Arrays.copyOf(data, data.length - 8));
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(cut, DType.FLOAT64));
        assertEquals(cut + ":data.npy: the header declares " + declared + " bytes of data, the member holds "
                + (declared - 8), e.getMessage());
    }

    /**
     * The item size in a member's header is the file's word: '<i999' with 2 000 000 elements (8 bytes present) made
     * the first block 65 536 × 999 bytes, 65 MB allocated for an 843-byte archive (with -Xmx40m the read failed as
     * "too large to read"). The first block is now at most 65 536 float64s (512 KiB); the thread's allocation over
     * the whole read is bounded by 8 MB (the block, the inflater's buffers and the header with room to spare), far
     * below the 65 MB of the old block, and the dtype is refused by name as before.
     */
    @Test
    void aHostileItemSizeDoesNotSizeTheFirstBlock() throws IOException {
        Path odd = dir.resolve("odd.npz");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(odd))) {
            member(zos, "format", formatMember("coo"));
            member(zos, "shape", npy("<i8", 2, 1));
            byte[] header = NpyHeader.encode("<i999", false, new long[] {2_000_000});
            member(zos, "data", java.util.Arrays.copyOf(header, header.length + 8));
            member(zos, "row", npy("<i8", 0));
            member(zos, "col", npy("<i8", 0));
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(odd, DType.FLOAT64));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage().contains("unsupported dtype '<i999'"), e.getMessage());
        assertTrue(allocated < 8 << 20, "allocated " + allocated + " bytes to read an archive of " + Files.size(odd));
    }

    /**
     * A complex matrix (a new user's finding: "unsupported dtype '<c16' for this array", and no way on) is refused
     * with what is read and the line that converts it; an index array of floats with what indices may be.
     */
    @Test
    void anUnreadableDtypeSaysWhatIsReadAndHowToConvert() throws IOException {
        Path complex = dir.resolve("complex.npz");
        Path floatIndices = dir.resolve("float-indices.npz");
        for (Path p : List.of(complex, floatIndices)) {
            try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(p))) {
                member(zos, "format", formatMember("coo"));
                member(zos, "shape", npy("<i8", 2, 1));
                byte[] complexHeader = NpyHeader.encode("<c16", false, new long[] {1});
                member(zos, "data", p == complex ? java.util.Arrays.copyOf(complexHeader, complexHeader.length + 16)
                        : npy("<f8", 1));
                member(zos, "row", p == complex ? npy("<i8", 0) : npy("<f8", 0));
                member(zos, "col", npy("<i8", 0));
            }
        }
        MatrixFormatException c = assertThrows(MatrixFormatException.class, () -> Npz.read(complex, DType.FLOAT64));
        assertTrue(c.getMessage().endsWith(":data.npy: unsupported dtype '<c16' for this array; float32, float64, "
                + "integer and boolean values are read (convert before saving: scipy.sparse.save_npz(path, "
                + "M.astype(numpy.float64)))"), c.getMessage());
        MatrixFormatException f = assertThrows(MatrixFormatException.class,
                () -> Npz.read(floatIndices, DType.FLOAT64));
        assertTrue(f.getMessage().endsWith(":row.npy: unsupported dtype '<f8' for this array; integer indices are "
                + "read"), f.getMessage());
    }

    /**
     * A member of hundreds of MB inflated in one call that no interrupt stopped (reliability.md, eighteenth session).
     * Now it is read in blocks of 65536 elements with a look between them: the hook interrupts the reader at its first
     * look inside the data member (four blocks), and the read must stop there, one look, with the documented
     * exception and the status kept. Uninterrupted, the same file is read, three looks in each of its three members.
     */
    @ParameterizedTest
    @CsvSource({"coo", "csr"})
    void anInterruptDuringALargeMembersInflateStopsAtTheNextBlock(String format) throws IOException {
        int n = 3 * 65_536 + 5;
        double[] values = new double[n];
        double[] rows = new double[n + 1];
        for (int k = 0; k < n; k++) {
            values[k] = k % 7 + 1;
            rows[k + 1] = k + 1;
        }
        Path big = dir.resolve(format + ".npz");
        // the members are read side by side, each in blocks with looks between them: a member of four blocks looks
        // three times
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(big))) {
            member(zos, "format", formatMember(format));
            member(zos, "shape", npy("<i8", n, 1));
            member(zos, "data", npy("<f8", values));
            member(zos, format.equals("coo") ? "row" : "indptr", npy("<i8", format.equals("coo")
                    ? java.util.Arrays.copyOf(rows, n) : rows));
            member(zos, format.equals("coo") ? "col" : "indices", npy("<i8", new double[n]));
        }
        Thread self = Thread.currentThread();
        int[] looks = new int[1];
        InterruptedIOException e = assertThrows(InterruptedIOException.class, () -> Npz.read(big,
                DType.FLOAT64, () -> {
                    looks[0]++;
                    self.interrupt();
                }));
        assertTrue(Thread.interrupted(), "the interrupt status stays set");
        assertEquals(1, looks[0], "stopped at the look that saw the interrupt");
        assertEquals(big + ": reading was interrupted (Thread.interrupt(); the thread's interrupt status stays set)",
                e.getMessage());
        looks[0] = 0;
        try (SparseMatrix s = Npz.read(big, DType.FLOAT64, () -> looks[0]++)) {
            // a coo reads its row.npy twice: once to count its rows, once beside the others
            assertEquals(format.equals("coo") ? 12 : 9, looks[0]);
            assertEquals(n, s.nonZeros());
            for (int k = 0; k < n; k++) {
                assertEquals(values[k], s.get(k, 0));
            }
        }
    }

    /**
     * A csc is read as Mᵀ's rows and transposed by a counting sort with a long per row of M on the heap: one of
     * 2³¹ − 1 rows and one entry asked for a long[2³¹] (an OutOfMemoryError); it is refused in a line, as the
     * staging reading refused so many rows, and from the shape, before the members are read: here they are missing
     * altogether (a refusal after reading them would name the missing data.npy instead). The line names the file and
     * counts its rows (the transpose's own refusal speaks of M's columns).
     */
    @Test
    void aCscOfMoreRowsThanAJavaArrayHoldsIsRefusedBeforeItsMembersAreRead() throws IOException {
        Path npz = dir.resolve("tall-no-members.npz");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            member(zos, "format", formatMember("csc"));
            member(zos, "shape", npy("<i8", Integer.MAX_VALUE, 1));
        }
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(npz, DType.FLOAT32));
        assertEquals(npz + ": a csc matrix of 2147483647 rows is too tall to read as csc (at most 2147483638: its rows "
                + "are counted in a Java array); save it as csr", e.getMessage());
    }

    /**
     * Duplicates (as scipy's coo keeps them) whose sum float32 cannot hold, each value can: named by their 0-based
     * position, a MatrixFormatException naming the file. SparseMatrix.Builder.build(FLOAT32)'s Float32RangeException
     * went out bare, its position 0-based and no file named.
     */
    @Test
    void duplicatesOverflowingFloat32AreNamed() throws IOException {
        Path dup = dir.resolve("dup.npz");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(dup))) {
            member(zos, "format", formatMember("coo"));
            member(zos, "shape", npy("<i8", 3, 2));
            member(zos, "row", npy("<i8", 0, 1, 1));
            member(zos, "col", npy("<i8", 0, 0, 0));
            member(zos, "data", npy("<f8", 1, 3e38, 3e38));
        }
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(dup, DType.FLOAT32));
        assertEquals(dup + ": the entries at row 1, column 0 (0-based) sum to a value that overflows float32",
                e.getMessage());
        try (SparseMatrix s = Npz.read(dup, DType.FLOAT64)) {
            assertEquals(6e38, s.get(1, 0));
        }
    }

    /**
     * A member whose bytes the disk or a copy changed reads as other numbers unless its CRC-32 is checked:
     * java.util.zip's ZipFile does not check it (its ZipInputStream does), and a walk's .npz with one byte of a
     * deflated data.npy flipped was factorised without a word, where numpy says "Bad CRC-32 for file 'data.npy'".
     * Here bit 0 of the first byte of the last value (little-endian, its least significant byte: 1.0 becomes 1.0 plus
     * one ulp, finite, so nothing else can notice) is flipped in a stored member and in a deflated one written without
     * compression (its bytes lie in the file as they are).
     */
    @ParameterizedTest
    @CsvSource({"stored", "deflated"})
    void aMemberWhoseBytesChangedFailsItsChecksum(String method) throws IOException {
        Path npz = dir.resolve(method + ".npz");
        byte[] data = npy("<f8", 3, 2, 1);
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            zos.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
            zos.setMethod(method.equals("stored") ? ZipOutputStream.STORED : ZipOutputStream.DEFLATED);
            member(zos, "format", formatMember("coo"));
            member(zos, "shape", npy("<i8", 2, 2));
            member(zos, "row", npy("<i8", 0, 1, 1));
            member(zos, "col", npy("<i8", 0, 0, 1));
            member(zos, "data", data);
        }
        try (SparseMatrix s = Npz.read(npz, DType.FLOAT64)) {
            assertEquals(1.0, s.get(1, 1));
        }
        byte[] file = Files.readAllBytes(npz);
        int at = indexOf(file, data) + data.length - 8;
        file[at] ^= 1;
        Files.write(npz, file);
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(npz, DType.FLOAT64));
        assertTrue(e.getMessage().startsWith(npz + ": member 'data.npy' is corrupt: its CRC-32 is "),
                e.getMessage());
    }

    /**
     * csr and csc files as scipy keeps them unsorted and with duplicates (scipy's own sum_duplicates rule: summed in
     * the order stored, in double, then rounded once), written here, read by the streaming reading and compared bit
     * for bit with the staging builder fed the same arrays in the order the reading before this one fed it: each
     * entry of each row (csr) or column (csc) in storage order.
     */
    @ParameterizedTest
    @CsvSource({"csr, float64", "csr, float32", "csc, float64", "csc, float32"})
    void nonCanonicalFilesEqualTheStagingReadingBitForBit(String format, String type) throws IOException {
        DType dtype = DType.parse(type);
        java.util.SplittableRandom random = new java.util.SplittableRandom(format.hashCode());
        for (int trial = 0; trial < 30; trial++) {
            int rows = 1 + random.nextInt(30);
            int cols = 1 + random.nextInt(30);
            boolean csr = format.equals("csr");
            int outer = csr ? rows : cols;
            int inner = csr ? cols : rows;
            int n = random.nextInt(3 * outer + 1);
            double[] indptr = new double[outer + 1];
            int[] owner = random.ints(n, 0, outer).sorted().toArray();
            for (int o : owner) {
                indptr[o + 1]++;
            }
            for (int o = 0; o < outer; o++) {
                indptr[o + 1] += indptr[o];
            }
            // few distinct indices in some trials, so that duplicates sit next to each other and apart
            double[] indices = random.ints(n, 0, trial % 3 == 0 ? Math.min(inner, 2) : inner).asDoubleStream()
                    .toArray();
            double[] data = random.doubles(n, -1, 1).toArray();
            Path npz = dir.resolve(format + trial + ".npz");
            try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
                member(zos, "format", formatMember(format));
                member(zos, "shape", npy("<i8", rows, cols));
                member(zos, "data", npy("<f8", data));
                member(zos, "indices", npy("<i8", indices));
                member(zos, "indptr", npy("<i8", indptr));
            }
            try (SparseMatrix.Builder b = SparseMatrix.builder(rows, cols, n)) {
                for (int o = 0, k = 0; o < outer; o++) {
                    for (; k < indptr[o + 1]; k++) {
                        b.add(csr ? o : (int) indices[k], csr ? (int) indices[k] : o, data[k]);
                    }
                }
                try (SparseMatrix expected = b.build(dtype); SparseMatrix got = Npz.read(npz, dtype)) {
                    assertSameBits(expected, got, npz.toString());
                }
            }
        }
    }

    /**
     * A header may declare far more data than its member holds: a deflated member inflates at most 1032-fold (a
     * 258-byte match costs two bits at least), a stored one holds its bytes. A csr whose data.npy declares 10⁹
     * float64 (8 GB) in a few bytes is refused from the headers, before the matrix is allocated: no native memory
     * taken, and the thread allocates little (the reading that held members whole grew its array as it read; this
     * one would allocate the 12 GB matrix first). Stored, the member's size is exact and named as before.
     */
    @ParameterizedTest
    @CsvSource({"deflated", "stored"})
    void aDeclarationItsCompressedBytesCannotHoldIsRefusedBeforeAllocating(String method) throws IOException {
        Path npz = dir.resolve(method + ".npz");
        long n = 1_000_000_000L;
        byte[] header = NpyHeader.encode("<f8", false, new long[] {n});
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            zos.setMethod(method.equals("stored") ? ZipOutputStream.STORED : ZipOutputStream.DEFLATED);
            member(zos, "format", formatMember("csr"));
            member(zos, "shape", npy("<i8", 1, 1));
            member(zos, "data", java.util.Arrays.copyOf(header, header.length + 16));
            member(zos, "indices", NpyHeader.encode("<i8", false, new long[] {n}));
            member(zos, "indptr", npy("<i8", 0, n));
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long live = org.autobalance.memory.NativeMemory.liveBytes();
        long before = threads.getCurrentThreadAllocatedBytes();
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(npz, DType.FLOAT64));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(method.equals("stored") ? npz + ":data.npy: the header declares 8000000000 bytes of data, the "
                + "member holds 16" : npz + ": member 'data.npy' is truncated or its header lies: the header declares "
                + "8000000000 bytes of data, more than its " + compressedSize(npz, "data.npy") + " deflated bytes can "
                + "hold (deflate expands at most 1032-fold)", e.getMessage());
        assertEquals(live, org.autobalance.memory.NativeMemory.liveBytes(), "no native memory was taken");
        assertTrue(allocated < 8 << 20, "allocated " + allocated + " bytes to refuse " + Files.size(npz));
    }

    /**
     * The directory's compressed size is the file's own word: a 1 kB archive whose directory says its deflated
     * members hold 4 GB each (patched after writing) would pass a check against that number and have the matrix of
     * the headers' 10⁸ entries allocated and zeroed before its first byte is read (1.23 GB resident, found by review).
     * No member holds more bytes than the archive, so the check bounds by that.
     */
    @Test
    void aDirectoryThatLiesAboutCompressedSizesIsBoundedByTheFile() throws IOException {
        Path npz = dir.resolve("lying-directory.npz");
        long n = 100_000_000L;
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            member(zos, "format", formatMember("csr"));
            member(zos, "shape", npy("<i8", 1, 1));
            byte[] header = NpyHeader.encode("<f8", false, new long[] {n});
            member(zos, "data", java.util.Arrays.copyOf(header, header.length + 16));
            member(zos, "indices", NpyHeader.encode("<i8", false, new long[] {n}));
            member(zos, "indptr", npy("<i8", 0, n));
        }
        byte[] bytes = Files.readAllBytes(npz);
        int patched = 0;
        for (int at = 0; at + 46 <= bytes.length; at++) {
            // a central directory record: signature, then the compressed size at +20 and the name at +46
            if (ByteBuffer.wrap(bytes, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() == 0x02014b50) {
                int nameLength = ByteBuffer.wrap(bytes, at + 28, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
                String name = new String(bytes, at + 46, nameLength, StandardCharsets.UTF_8);
                if (name.equals("data.npy") || name.equals("indices.npy")) {
                    ByteBuffer.wrap(bytes, at + 20, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0xFFFFFFF0);
                    patched++;
                }
            }
        }
        assertEquals(2, patched);
        Files.write(npz, bytes);
        assertEquals(0xFFFFFFF0L, compressedSize(npz, "data.npy"), "the directory says 4 GB");
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long live = org.autobalance.memory.NativeMemory.liveBytes();
        long before = threads.getCurrentThreadAllocatedBytes();
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(npz, DType.FLOAT64));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(npz + ": member 'data.npy' is truncated or its header lies: the header declares 800000000 bytes "
                + "of data, more than its " + Files.size(npz) + " deflated bytes can hold (deflate expands at most "
                + "1032-fold)", e.getMessage());
        assertEquals(live, org.autobalance.memory.NativeMemory.liveBytes(), "no native memory was taken");
        assertTrue(allocated < 8 << 20, "allocated " + allocated + " bytes to refuse " + Files.size(npz));
    }

    private static long compressedSize(Path npz, String member) throws IOException {
        try (ZipFile z = new ZipFile(npz.toFile())) {
            return z.getEntry(member).getCompressedSize();
        }
    }

    /**
     * Legal and highly compressed: 4 M explicit zeros at one place of a 1 × 1 csr (48 MB of members deflated to
     * under 100 kB, as the walk's 200 M took 2.3 MB) are read into the matrix's own memory: the reading that held each
     * member whole and staged every entry allocated the 48 MB of members on the heap; the streaming reading allocates
     * its blocks (three of 65 536 elements), whatever the members' length, and sums the run as it comes.
     */
    @Test
    void manyDuplicateZerosAreReadInBoundedHeap() throws IOException {
        int n = 4 << 20;
        Path npz = dir.resolve("zeros.npz");
        byte[] dataHeader = NpyHeader.encode("<f8", false, new long[] {n});
        byte[] indicesHeader = NpyHeader.encode("<i4", false, new long[] {n});
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            member(zos, "format", formatMember("csr"));
            member(zos, "shape", npy("<i8", 1, 1));
            member(zos, "data", java.util.Arrays.copyOf(dataHeader, dataHeader.length + 8 * n));
            member(zos, "indices", java.util.Arrays.copyOf(indicesHeader, indicesHeader.length + 4 * n));
            member(zos, "indptr", npy("<i8", 0, n));
        }
        assertTrue(Files.size(npz) < 1 << 20, "the archive is not small: " + Files.size(npz));
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try (SparseMatrix m = Npz.read(npz, DType.FLOAT32)) {
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(1, m.nonZeros());
            assertEquals(0.0, m.get(0, 0));
            assertTrue(m.isStored(0, 0));
            assertTrue(allocated < 8 << 20, "allocated " + allocated + " bytes of heap for 48 MB of members");
        }
    }

    /**
     * A changed byte of a csr's indices that reads as an index out of range is reported as the member's damage (its
     * CRC-32), as when each member was read whole before its numbers were looked at, not as the index.
     */
    @Test
    void aChangedIndexIsReportedAsTheMembersDamage() throws IOException {
        Path npz = dir.resolve("flip.npz");
        byte[] indices = npy("<i8", 0, 1, 1);
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            zos.setMethod(ZipOutputStream.STORED);
            member(zos, "format", formatMember("csr"));
            member(zos, "shape", npy("<i8", 2, 2));
            member(zos, "data", npy("<f8", 3, 2, 1));
            member(zos, "indices", indices);
            member(zos, "indptr", npy("<i8", 0, 2, 3));
        }
        byte[] file = Files.readAllBytes(npz);
        file[indexOf(file, indices) + indices.length - 1] ^= 0x40; // the last index becomes about 4.6e18
        Files.write(npz, file);
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(npz, DType.FLOAT64));
        assertTrue(e.getMessage().startsWith(npz + ": member 'indices.npy' is corrupt: its CRC-32 is "),
                e.getMessage());
    }

    /**
     * Duplicates whose sum float32 cannot hold in a csr and in a csc (whose rows, read as M's columns, are swapped
     * back in the message): the same line as the coo's, naming M's 0-based row and column.
     */
    @ParameterizedTest
    @CsvSource({"csr", "csc"})
    void compressedDuplicatesOverflowingFloat32AreNamed(String format) throws IOException {
        Path dup = dir.resolve(format + "dup.npz");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(dup))) {
            member(zos, "format", formatMember(format));
            // csr: row 1 holds column 0 twice; csc: column 0 holds row 1 twice. Either way M(1, 0) = 6e38
            member(zos, "shape", npy("<i8", format.equals("csr") ? 3 : 2, 2));
            member(zos, "indices", format.equals("csr") ? npy("<i8", 0, 0, 0) : npy("<i8", 0, 1, 1));
            member(zos, "indptr", format.equals("csr") ? npy("<i8", 0, 1, 3, 3) : npy("<i8", 0, 3, 3));
            member(zos, "data", npy("<f8", 1, 3e38, 3e38));
        }
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(dup, DType.FLOAT32));
        assertEquals(dup + ": the entries at row 1, column 0 (0-based) sum to a value that overflows float32",
                e.getMessage());
        try (SparseMatrix s = Npz.read(dup, DType.FLOAT64)) {
            assertEquals(6e38, s.get(1, 0));
        }
    }

    /**
     * coo files as scipy keeps them (entries in any order, duplicates; int32 or int64 indices; float32, float64 or
     * integer data), read by the counting reading (row.npy twice, each entry into its row's place) and compared bit
     * for bit with the staging builder that read them before, fed the entries in file order: scipy's
     * {@code sum_duplicates} rule, summed in the order stored, in double, then rounded once.
     */
    @ParameterizedTest
    @CsvSource({"float64, <i8, <f8", "float32, <i4, <f8", "float32, <i8, <f4", "float64, <i4, <i8",
        "float32, <i4, <i4"})
    void cooFilesEqualTheStagingReadingBitForBit(String type, String index, String values) throws IOException {
        DType dtype = DType.parse(type);
        java.util.SplittableRandom random = new java.util.SplittableRandom((type + index + values).hashCode());
        for (int trial = 0; trial < 30; trial++) {
            int rows = 1 + random.nextInt(30);
            int cols = 1 + random.nextInt(30);
            int n = random.nextInt(3 * rows + 1);
            // few distinct places in some trials, so that duplicates are many, next to each other and apart
            double[] row = random.ints(n, 0, trial % 3 == 0 ? Math.min(rows, 2) : rows).asDoubleStream().toArray();
            double[] col = random.ints(n, 0, trial % 3 == 0 ? Math.min(cols, 2) : cols).asDoubleStream().toArray();
            double[] data = values.startsWith("<i") ? random.ints(n, -1000, 1000).asDoubleStream().toArray()
                    : random.doubles(n, -1, 1).map(x -> values.equals("<f4") ? (float) x : x).toArray();
            Path npz = dir.resolve("coo" + trial + ".npz");
            try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
                member(zos, "format", formatMember("coo"));
                member(zos, "shape", npy("<i8", rows, cols));
                member(zos, "row", npy(index, row));
                member(zos, "col", npy(index, col));
                member(zos, "data", npy(values, data));
            }
            try (SparseMatrix.Builder b = SparseMatrix.builder(rows, cols, n)) {
                for (int k = 0; k < n; k++) {
                    b.add((int) row[k], (int) col[k], data[k]);
                }
                try (SparseMatrix expected = b.build(dtype); SparseMatrix got = Npz.read(npz, dtype)) {
                    assertSameBits(expected, got, npz.toString());
                }
            }
        }
    }

    /**
     * A coo of 4 M entries (a 4096 × 3 matrix, every place a thousand times over: 48 MB of members in under 1 MB) is
     * read into the matrix's own memory: the reading that held each member whole and staged every entry allocated
     * 1.75 GB of heap over this read (each member whole, copied as it grew); the counting reading allocates its
     * blocks, a long per row and a row's entries while they are sorted, whatever the members' length.
     */
    @Test
    void aCooIsReadInBoundedHeap() throws IOException {
        int n = 4 << 20;
        int rows = 4096;
        Path npz = dir.resolve("coo-big.npz");
        double[] row = new double[n];
        double[] col = new double[n];
        for (int k = 0; k < n; k++) {
            row[k] = k % rows;
            col[k] = k / rows % 3;
        }
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            member(zos, "format", formatMember("coo"));
            member(zos, "shape", npy("<i8", rows, 3));
            member(zos, "row", npy("<i4", row));
            member(zos, "col", npy("<i4", col));
            member(zos, "data", npy("<f8", new double[n]));
        }
        row = null;
        col = null;
        assertTrue(Files.size(npz) < 1 << 20, "the archive is not small: " + Files.size(npz));
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try (SparseMatrix m = Npz.read(npz, DType.FLOAT32)) {
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(3L * rows, m.nonZeros());
            assertTrue(m.isStored(rows - 1, 2));
            assertEquals(0.0, m.get(rows - 1, 2));
            assertTrue(allocated < 8 << 20, "allocated " + allocated + " bytes of heap for 48 MB of members");
        }
    }

    /**
     * The first entry outside the shape is named, its row or its column: the counting reading reads row.npy alone
     * first, where a row outside was refused before a column outside at an earlier entry could be seen.
     */
    @Test
    void aCoosEntryOutsideItsShapeIsNamedInEntryOrder() throws IOException {
        Path npz = dir.resolve("outside.npz");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            member(zos, "format", formatMember("coo"));
            member(zos, "shape", npy("<i8", 2, 2));
            member(zos, "row", npy("<i8", 0, 1, 7, 1));
            member(zos, "col", npy("<i8", 0, 2, 0, 1));
            member(zos, "data", npy("<f8", 1, 2, 3, 4));
        }
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(npz, DType.FLOAT64));
        assertEquals(npz + ": entry 1 at (1, 2) is outside the 2 x 2 shape (0-based)", e.getMessage());
    }

    /**
     * Every position this reader names is 0-based, as scipy and NumPy index the arrays, and says so: a NaN was named
     * "at row 2, column 1 (1-based)" beside "indices[3]" and "entry 1 at (1, 2) ... (0-based)" from the same file (a
     * data scientist's walk). A NaN is named by its index in data too, and where it lands in M (a csc's row is M's).
     */
    @ParameterizedTest
    @CsvSource({"csr", "csc", "coo"})
    void everyPositionIsZeroBasedAndSaysSo(String format) throws IOException {
        Path npz = dir.resolve(format + "nan.npz");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(npz))) {
            member(zos, "format", formatMember(format));
            // M(2, 1) = NaN, data[2] in every format: csr rows 0, 1, 2 hold one entry each; csc column 0 holds rows
            // 0 and 1, column 1 row 2; coo in the same order as the csr
            member(zos, "shape", npy("<i8", 3, 2));
            switch (format) {
                case "csr" -> {
                    member(zos, "indices", npy("<i8", 0, 0, 1));
                    member(zos, "indptr", npy("<i8", 0, 1, 2, 3));
                }
                case "csc" -> {
                    member(zos, "indices", npy("<i8", 0, 1, 2));
                    member(zos, "indptr", npy("<i8", 0, 2, 3));
                }
                default -> {
                    member(zos, "row", npy("<i8", 0, 1, 2));
                    member(zos, "col", npy("<i8", 0, 0, 1));
                }
            }
            member(zos, "data", npy("<f8", 1, 2, Double.NaN));
        }
        for (DType dtype : DType.values()) {
            MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(npz, dtype));
            assertEquals(npz + ": non-finite value NaN at data[2], row 2, column 1 (0-based)", e.getMessage());
        }
        Path decreasing = dir.resolve("decreasing.npz");
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(decreasing))) {
            member(zos, "format", formatMember("csr"));
            member(zos, "shape", npy("<i8", 3, 2));
            member(zos, "indices", npy("<i8", 0, 0, 1));
            member(zos, "indptr", npy("<i8", 0, 2, 1, 3));
            member(zos, "data", npy("<f8", 1, 2, 3));
        }
        assertEquals(decreasing + ": indptr decreases at index 2: indptr[2] = 1 is below indptr[1] = 2",
                assertThrows(MatrixFormatException.class, () -> Npz.read(decreasing, DType.FLOAT64)).getMessage());
    }

    /** Where {@code part} begins in {@code whole}: the first occurrence, which must exist. */
    private static int indexOf(byte[] whole, byte[] part) {
        for (int i = 0; i + part.length <= whole.length; i++) {
            if (java.util.Arrays.equals(whole, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    /** Writes member {@code name}.npy; its size and CRC-32 are set before, as a stored member needs them. */
    private static void member(ZipOutputStream zos, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(name + ".npy");
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes);
        e.setSize(bytes.length);
        e.setCrc(crc.getValue());
        zos.putNextEntry(e);
        zos.write(bytes);
        zos.closeEntry();
    }

    /**
     * A 1-d little-endian .npy array of {@code values}: int32 or int64 ({@code <i4}, {@code <i8}), float32 or float64
     * ({@code <f4}, {@code <f8}).
     */
    private static byte[] npy(String descr, double... values) {
        byte[] header = NpyHeader.encode(descr, false, new long[] {values.length});
        int size = descr.charAt(2) - '0';
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(header.length + size * values.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).put(header);
        for (double v : values) {
            switch (descr) {
                case "<i4" -> out.putInt((int) v);
                case "<i8" -> out.putLong((long) v);
                case "<f4" -> out.putFloat((float) v);
                case "<f8" -> out.putDouble(v);
                default -> throw new IllegalArgumentException(descr);
            }
        }
        return out.array();
    }

    private void assertMessage(Path p, String fragment) {
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npz.read(p, DType.FLOAT64));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    /** A 0-d '|S3' .npy member holding {@code text}, as save_npz writes the format. */
    private static byte[] formatMember(String text) {
        byte[] header = NpyHeader.encode("|S" + text.length(), false, new long[0]);
        byte[] out = new byte[header.length + text.length()];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, out, header.length,
                text.length());
        return out;
    }

    /** A copy of fixture {@code name} without member {@code drop}, plus {@code add} with {@code bytes} if not null. */
    private Path copyWithout(String name, String drop, String add, byte[] bytes) throws IOException {
        Path out = dir.resolve(name.replace(".npz", "-" + drop + ".npz"));
        try (ZipFile in = new ZipFile(fixture(name).toFile());
                ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                if (e.getName().equals(drop)) {
                    continue;
                }
                zos.putNextEntry(new ZipEntry(e.getName()));
                try (var s = in.getInputStream(e)) {
                    s.transferTo(zos);
                }
                zos.closeEntry();
            }
            if (add != null) {
                zos.putNextEntry(new ZipEntry(add));
                OutputStream o = zos;
                o.write(bytes);
                zos.closeEntry();
            }
        }
        return out;
    }
}

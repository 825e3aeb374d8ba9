package org.autobalance.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.autobalance.io.Npy;
import org.autobalance.io.NpyHeader;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * M as a directory of row-block shards: {@code .npy} files named {@code <prefix><index>.npy} with one prefix and the
 * indices 0, 1, …, n−1 (zero padding optional), e.g. {@code part-00000.npy}, {@code part-00001.npy}, … as
 * {@code for i, b in enumerate(np.array_split(M, n)): np.save(f"M/part-{i:05d}.npy", b)} writes them. Shard k holds
 * the next rows of M after shard k−1: every shard is a 2-D array with the same number of columns and the same dtype
 * ({@code <f4} or {@code <f8}, C or Fortran order), at least one row each. Names starting with {@code .} or
 * {@code _} are ignored (Spark's {@code _SUCCESS}, checksum files); any other file is an error.
 *
 * <p>One partition per shard. The driver reads every shard's header (a few hundred bytes each) and checks the whole
 * layout before any work; each executor then reads its own shards' data.
 */
final class ShardDirectory extends MatrixSource {
    private static final long serialVersionUID = 1L;
    private static final Pattern SHARD = Pattern.compile("(.*?)(\\d+)\\.npy");

    private final String[] shards;
    private final long[] rowCounts;

    private ShardDirectory(String[] shards, long[] rowCounts, int cols) {
        super(sum(rowCounts), cols);
        this.shards = shards;
        this.rowCounts = rowCounts;
    }

    private static long sum(long[] counts) {
        long s = 0;
        for (long c : counts) {
            s += c;
        }
        return s;
    }

    static ShardDirectory of(Path dir) {
        TreeMap<Long, Path> byIndex = new TreeMap<>();
        String prefix = null;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (MatrixSource.skippedBySpark(f)) {
                    continue;
                }
                String name = f.getFileName().toString();
                Matcher m = SHARD.matcher(name);
                if (!m.matches()) {
                    throw new IllegalArgumentException("shard directory " + dir + ": unexpected "
                            + (Files.isDirectory(f) ? "directory " : "file ") + name
                            + " (shards are named <prefix><index>.npy, e.g. part-00000.npy)");
                }
                if (prefix != null && !prefix.equals(m.group(1))) {
                    throw new IllegalArgumentException("shard directory " + dir + ": shards " + byIndex.firstEntry()
                            .getValue().getFileName() + " and " + name + " have different name prefixes");
                }
                if (!Files.isRegularFile(f)) {
                    // a directory of a shard's name was mapped as one: "autobalance: error: No such device"
                    throw new IllegalArgumentException("shard directory " + dir + ": " + name + " is not a file");
                }
                prefix = m.group(1);
                long index;
                try {
                    index = Long.parseLong(m.group(2));
                } catch (NumberFormatException e) {
                    // the message named no shard
                    throw new IllegalArgumentException("shard directory " + dir + ": shard " + name + " has an index "
                            + "too large for a shard count (the indices run 0, 1, … without gaps)", e);
                }
                Path previous = byIndex.put(index, f);
                if (previous != null) {
                    throw new IllegalArgumentException("shard directory " + dir + ": shards " + previous.getFileName()
                            + " and " + name + " have the same index");
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list shard directory " + dir + ": " + e.getMessage(), e);
        }
        if (byIndex.isEmpty()) {
            throw new IllegalArgumentException("shard directory " + dir + " holds no .npy shards");
        }
        long expected = 0;
        for (long index : byIndex.keySet()) {
            if (index != expected) {
                throw new IllegalArgumentException("shard directory " + dir + ": shard " + expected
                        + " is missing (the indices must run 0.." + (byIndex.size() - 1) + " without gaps; found "
                        + byIndex.get(index).getFileName() + " next)");
            }
            expected++;
        }
        List<String> shards = new ArrayList<>();
        long[] rows = new long[byIndex.size()];
        NpyHeader first = null;
        int cols = 0;
        for (Path shard : byIndex.values()) {
            NpyHeader h = header(shard);
            long[] shape = shape(h, shard);
            if (first == null) {
                first = h;
                cols = (int) shape[1];
            } else if (!h.descr().equals(first.descr())
                    && !(h.kind() == first.kind() && h.itemSize() == first.itemSize())) {
                throw new IllegalArgumentException("shard " + shard + ": dtype '" + h.descr() + "', but shard "
                        + shards.get(0) + " has '" + first.descr() + "' (all shards must share one dtype)");
            } else if (shape[1] != cols) {
                throw new IllegalArgumentException("shard " + shard + ": " + shape[0] + " x " + shape[1] + ", but "
                        + "shard " + shards.get(0) + " has " + cols + " columns (all shards must have the same "
                        + "number of columns)");
            }
            rows[shards.size()] = shape[0];
            shards.add(shard.toString());
        }
        return new ShardDirectory(shards.toArray(String[]::new), rows, cols);
    }

    /**
     * The header of a {@code .npy} file, checked as a readable matrix whose data fills the file exactly (so a
     * truncated shard is found before any work).
     */
    static NpyHeader header(Path file) {
        // shared, though one thread uses it: a confined arena's accesses would teach the kernels' segment accesses an
        // owner thread (SparseMatrix.Builder.build's sorting arena says why that costs)
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofShared()) {
            long size = channel.size();
            MemorySegment bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            NpyHeader h = NpyHeader.parse(bytes, file.toString());
            Npy.matrixShape(h, file.toString());
            if (h.dataBytes() != size - h.dataOffset()) {
                throw new IllegalArgumentException(file + ": the header declares a " + h.shapeText() + " '"
                        + h.descr() + "' array (" + h.dataBytes() + " bytes of data), the file holds "
                        + (size - h.dataOffset()) + " bytes after the header");
            }
            return h;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("shard " + file + " does not exist", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Rows {@code [first, first + count)} of the {@code .npy} matrix in {@code file}, reading only those rows' bytes
     * (the file is mapped; a C-order block is one run of bytes, a Fortran-order block one run per column): a task of
     * a single-file input needs its own rows, not a copy of the whole matrix. The rows are checked as {@link Npy}
     * checks a file (values, float32 range), through a {@code .npy} image of the block, so the messages are Npy's,
     * naming the file's rows.
     *
     * @throws IOException if the file cannot be read or the rows hold what Npy refuses
     * @throws IllegalStateException if the file no longer has {@code rows × cols} (it changed during the run)
     */
    static DenseMatrix readRows(Path file, long rows, int cols, long first, int count, DType dtype)
            throws IOException {
        // shared, though one thread uses it: a confined arena's accesses would teach the kernels' segment accesses an
        // owner thread (SparseMatrix.Builder.build's sorting arena says why that costs)
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofShared()) {
            MemorySegment whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            NpyHeader h = NpyHeader.parse(whole, file.toString());
            long[] shape = Npy.matrixShape(h, file.toString());
            if (shape[0] != rows || shape[1] != cols || h.dataBytes() != channel.size() - h.dataOffset()) {
                throw new IllegalStateException("input " + file + " changed during the run: now " + h.shapeText()
                        + " in " + channel.size() + " bytes, was " + rows + " x " + cols);
            }
            long item = h.itemSize();
            byte[] header = NpyHeader.encode(h.descr(), h.fortranOrder(), new long[] {count, cols});
            MemorySegment block = arena.allocate(header.length + (long) count * cols * item);
            MemorySegment.copy(MemorySegment.ofArray(header), 0, block, 0, header.length);
            if (h.fortranOrder()) {
                for (long j = 0; j < cols; j++) {
                    MemorySegment.copy(whole, h.dataOffset() + (j * rows + first) * item, block,
                            header.length + j * count * item, count * item);
                }
            } else {
                MemorySegment.copy(whole, h.dataOffset() + first * cols * item, block, header.length,
                        (long) count * cols * item);
            }
            // 0-based, as the rows in Npy's messages (the file's rows, which factorize of the file names too)
            return Npy.read(block, file + " (rows " + first + " to " + (first + count - 1) + ", 0-based)", dtype,
                    first);
        }
    }

    private static long[] shape(NpyHeader h, Path file) {
        try {
            return Npy.matrixShape(h, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** {rows, cols} of a single {@code .npy} file, checked as {@link #header} does. */
    static long[] shape(Path file) {
        return shape(header(file), file);
    }

    @Override
    public int partitions() {
        return shards.length;
    }

    @Override
    public long[] partitionRows() {
        return rowCounts.clone();
    }

    @Override
    public String describe() {
        return Path.of(shards[0]).getParent() + " (" + shards.length + " shards)";
    }

    @Override
    JavaRDD<MatrixBlock> blocks(JavaSparkContext sc, DType dtype) {
        ShardDirectory source = this;
        return partitionIndices(sc, shards.length).map(p -> source.read(p, dtype));
    }

    private MatrixBlock read(int p, DType dtype) {
        requirePartition(p);
        long first = 0;
        for (int k = 0; k < p; k++) {
            first += rowCounts[k];
        }
        DenseMatrix block;
        Path file = Path.of(shards[p]);
        try {
            // a value refused is placed by M's row, as for a single file's rows (a NaN in row 406 of M was
            // "part-00001.npy: … at row 6", the shard's)
            block = Npy.read(file, dtype, first);
        } catch (IOException e) {
            throw new UncheckedIOException(FileChecks.cannotRead("M", file, e), e);
        }
        if (block.rows() != rowCounts[p] || block.cols() != cols()) {
            block.close();
            throw new IllegalStateException("shard " + shards[p] + " changed during the run: now " + block.rows()
                    + " x " + block.cols() + ", was " + rowCounts[p] + " x " + cols());
        }
        return new MatrixBlock(p, first, block);
    }
}

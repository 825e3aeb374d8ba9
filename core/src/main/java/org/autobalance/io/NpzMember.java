package org.autobalance.io;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.autobalance.io.internal.Interrupts;
import org.autobalance.memory.internal.InterruptLooks;

/**
 * One 1-D {@code .npy} member of a {@code .npz} read front to back, one element at a time, through a block of
 * {@link InterruptLooks#EVERY} elements: the compressed sparse row reading takes its index pointers, indices and
 * values from three of these side by side, so that no member is held whole (a 20 M-entry float32 csr held 240 MB of
 * members and 320 MB of staged entries besides its 160 MB matrix). The interrupt status is looked at between blocks,
 * after {@code beforeLook}. {@link #finish()} checks that the member ends where its header says and its CRC-32.
 */
final class NpzMember implements AutoCloseable {
    /**
     * The most bytes one compressed byte of a deflated member inflates to: a match of 258 bytes costs at least two
     * bits (a one-bit length code and a one-bit distance code), so 1032 bytes per byte; a stored member holds exactly
     * its compressed bytes.
     */
    static final long DEFLATE_MAX_RATIO = 1032;

    private final CheckedInputStream in;
    private final ZipEntry entry;
    private final String source;
    private final String member;
    private final NpyHeader header;
    private final long length;
    private final int itemSize;
    private final Runnable beforeLook;
    private final byte[] block;
    private final NpyElements elements;
    /**
     * The current block decoded: as numbers (the data; {@code integers} hold an integer data's block on the way) or
     * as integers (the index members).
     */
    private final long[] integers;
    private final double[] numbers;
    /** Elements before the current block, in the current block, and the next one's place in it. */
    private long before;
    private int inBlock;
    private int next;
    /** What made the member unreadable (cut short, damaged), or null. */
    private MatrixFormatException failure;
    /** The first element as an integer once read, and the last once {@link #requireIntact()} has read it. */
    private long first;
    private long last;

    private NpzMember(CheckedInputStream in, ZipEntry entry, String source, String member, NpyHeader header,
            boolean asNumbers, Runnable beforeLook) {
        this.in = in;
        this.entry = entry;
        this.source = source;
        this.member = member;
        this.header = header;
        this.length = header.shape()[0];
        this.itemSize = header.itemSize();
        this.beforeLook = beforeLook;
        this.block = new byte[(int) Math.min(InterruptLooks.EVERY, length) * itemSize];
        int elementsPerBlock = block.length / Math.max(1, itemSize);
        this.elements = NpyElements.of(header, MemorySegment.ofArray(block), 0, elementsPerBlock);
        this.integers = new long[asNumbers && header.kind() == 'f' ? 0 : elementsPerBlock];
        this.numbers = new double[asNumbers ? elementsPerBlock : 0];
    }

    /**
     * Opens member {@code name}.npy, a 1-D array of one of {@code kinds} ('f', 'i', 'u', 'b'; read as numbers when
     * floats are among them, else as integers), and reads its header;
     * refuses one whose header declares more data than the member's compressed bytes can hold.
     */
    static NpzMember open(ZipFile zip, String name, String source, String kinds, Runnable beforeLook)
            throws IOException {
        Interrupts.checkReading(source);
        String member = name + ".npy";
        ZipEntry e = zip.getEntry(member);
        if (e == null) {
            throw new MatrixFormatException(source, "no member '" + member + "': not a scipy.sparse.save_npz file");
        }
        String named = source + ":" + member;
        CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32());
        try {
            NpyHeader h = Npz.requireVector(header(in, named, source, member), named, kinds);
            long declared = h.dataBytes();
            // the zip stream gives at most the directory's compressed size, and no member holds more bytes than the
            // archive (the directory's size is the file's own word: a hostile one says 4 GB of a 1 kB member), so
            // more cannot come out of it: refused before the matrix is allocated (a 2.3 MB archive's header may
            // declare gigabytes; if the member holds them, as 200 M zeros deflated do, it is read in the matrix's own
            // memory)
            long archive = Files.size(Path.of(zip.getName()));
            long compressed = e.getCompressedSize() < 0 ? archive : Math.min(e.getCompressedSize(), archive);
            long most = compressed > Long.MAX_VALUE / DEFLATE_MAX_RATIO ? Long.MAX_VALUE
                    : DEFLATE_MAX_RATIO * compressed;
            if (e.getMethod() == ZipEntry.STORED && declared > compressed - h.dataOffset()) {
                throw new MatrixFormatException(named, "the header declares " + declared + " bytes of data, the "
                        + "member holds " + Math.max(0, compressed - h.dataOffset()));
            }
            if (declared < 0 || declared > most - h.dataOffset()) {
                throw new MatrixFormatException(source, "member '" + member + "' is truncated or its header lies: "
                        + "the header declares " + (declared < 0 ? "shape " + h.shapeText() : declared + " bytes of "
                        + "data") + ", more than its " + compressed + " deflated bytes can hold (deflate expands at "
                        + "most " + DEFLATE_MAX_RATIO + "-fold)");
            }
            return new NpzMember(in, e, source, member, h, kinds.indexOf('f') >= 0, beforeLook);
        } catch (IOException | RuntimeException | Error failed) {
            in.close();
            throw failed;
        }
    }

    private static NpyHeader header(CheckedInputStream in, String named, String source, String member)
            throws IOException {
        try {
            return NpyHeader.parse(MemorySegment.ofArray(Npz.headerBytes(in, named)), named);
        } catch (ZipException | EOFException bad) {
            throw damaged(source, member, bad);
        }
    }

    /** The member's name, e.g. {@code data.npy}. */
    String name() {
        return member;
    }

    /** The element count its header declares. */
    long length() {
        return length;
    }

    /** The next element, as an integer (a uint64 beyond the long range reads negative). */
    long integer() throws IOException {
        if (next == inBlock) {
            fill();
        }
        return integers[next++];
    }

    /** The next element as the nearest double ({@link NpyElements#number}). */
    double number() throws IOException {
        if (next == inBlock) {
            fill();
        }
        return numbers[next++];
    }

    private void fill() throws IOException {
        if (failure != null) {
            throw failure;
        }
        before += inBlock;
        inBlock = 0;
        next = 0;
        if (before > 0) {
            beforeLook.run();
            Interrupts.checkReading(source);
        }
        if (before >= length) {
            throw new IllegalStateException(member + ": all " + length + " elements were read");
        }
        int want = (int) Math.min(block.length, (length - before) * itemSize);
        int got = read(block, want);
        if (got < want) {
            throw failed(new MatrixFormatException(source + ":" + member, "the header declares "
                    + header.dataBytes() + " bytes of data, the member holds " + (before * itemSize + got)));
        }
        inBlock = want / itemSize;
        if (numbers.length > 0) {
            elements.numbers(0, numbers, integers, inBlock);
        } else {
            elements.integers(0, integers, inBlock);
        }
        if (before == 0) {
            first = elements.integer(0);
        }
    }

    private int read(byte[] into, int want) throws IOException {
        try {
            return in.readNBytes(into, 0, want);
        } catch (ZipException | EOFException bad) {
            throw failed(damaged(source, member, bad));
        }
    }

    /** {@code problem}, kept for {@link #requireIntact()}: the stream cannot be read further. */
    private MatrixFormatException failed(MatrixFormatException problem) {
        failure = problem;
        return problem;
    }

    /**
     * Checks, once every element was read, that the member ends there and that its CRC-32 is the archive's: numpy
     * refuses a member whose bytes a disk or a copy changed, which would otherwise be read as other numbers.
     */
    void finish() throws IOException {
        int extra;
        try {
            extra = in.read();
        } catch (ZipException | EOFException bad) {
            throw damaged(source, member, bad);
        }
        if (extra >= 0) {
            throw new MatrixFormatException(source + ":" + member, "the header declares " + header.dataBytes()
                    + " bytes of data, the member holds more");
        }
        requireCrc(in, entry, source, member);
    }

    /**
     * Refuses a member read to its end through {@code in} whose CRC-32 is not the archive's: ZipFile's streams do
     * not check it (ZipInputStream's do), and numpy refuses such a member.
     */
    static void requireCrc(CheckedInputStream in, ZipEntry entry, String source, String member)
            throws MatrixFormatException {
        long crc = in.getChecksum().getValue();
        if (entry.getCrc() != -1 && crc != entry.getCrc()) {
            throw new MatrixFormatException(source, "member '" + member + "' is corrupt: its CRC-32 is " + hex(crc)
                    + ", the archive says " + hex(entry.getCrc()) + " (damaged in storage or in a copy? save or copy "
                    + "it again)");
        }
    }

    /**
     * After a problem with what was read so far: reads the rest as its header declares it and {@link #finish()}es,
     * so that a member cut short, longer than declared or corrupt is reported as such, as when each member was read
     * whole before its numbers were looked at (a changed byte may first read as an index out of range).
     */
    void requireIntact() throws IOException {
        if (failure != null) {
            throw failure;
        }
        long left = (length - before - inBlock) * itemSize;
        int lastBlock = inBlock;
        while (left > 0) {
            // up to 1032 bytes a compressed byte: a long read on an error path, which an interrupt must still stop
            beforeLook.run();
            Interrupts.checkReading(source);
            int want = (int) Math.min(block.length, left);
            int got = read(block, want);
            if (got < want) {
                throw failed(new MatrixFormatException(source + ":" + member, "the header declares "
                        + header.dataBytes() + " bytes of data, the member holds " + (header.dataBytes() - left
                        + got)));
            }
            if (before == 0 && lastBlock == 0) {
                first = elements.integer(0);
            }
            left -= got;
            lastBlock = got / itemSize;
        }
        if (lastBlock > 0) {
            last = elements.integer(lastBlock - 1);
        }
        finish();
    }

    /** The first and last elements as integers, once {@link #requireIntact()} has read the member to its end. */
    long[] ends() {
        return new long[] {first, last};
    }

    static MatrixFormatException damaged(String source, String member, IOException bad) {
        return bad instanceof EOFException
                // a deflated member whose compressed data ends early (found by NpzFuzzTest): a truncated file
                ? new MatrixFormatException(source, "member '" + member + "' is truncated (" + bad.getMessage() + ")")
                : new MatrixFormatException(source, "member '" + member + "' is corrupt: " + bad.getMessage());
    }

    private static String hex(long crc) {
        return String.format("%08x", crc);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}

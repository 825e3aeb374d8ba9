package org.autobalance.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import org.autobalance.io.internal.FileChecks;

/**
 * The bytes of a text matrix file (Matrix Market, delimited text) and an upper bound on how many there are, which a
 * reader checks what it is about to allocate against, or −1 for a pipe (/dev/stdin, a shell's {@code <(…)}, a FIFO),
 * which has no length. A gzip file (recognised by its first two bytes, 1F 8B, whatever its name: scipy's
 * {@code mmread} reads {@code .mtx.gz}, numpy's {@code loadtxt} {@code .csv.gz}) is decompressed as it is read; its
 * text is at most {@value #MAX_DEFLATE_EXPANSION} times the file, DEFLATE's largest expansion. One whose text is a
 * binary format ({@code M.npy.gz}) is refused at once, saying to gunzip it ({@link #compressedBinary}).
 */
record FileInput(InputStream bytes, long maxBytes) implements AutoCloseable {
    /** The buffer of the file stream, and of the decompressor. */
    static final int BUFFER_BYTES = 1 << 16;
    /** DEFLATE's largest expansion (RFC 1951: a 258-byte match coded in about 2 bits), an input bound for gzip. */
    static final long MAX_DEFLATE_EXPANSION = 1032;

    /** Whether a file's first two bytes (unsigned, as {@link InputStream#read()} gives them) are gzip's magic. */
    static boolean isGzip(int first, int second) {
        return first == 0x1F && second == 0x8B;
    }

    /**
     * Opens {@code path}; {@code kind} names the format in the message of a missing file ("no such {@code kind}
     * file").
     *
     * @throws NoSuchFileException if {@code path} does not exist
     * @throws MatrixFormatException if the file starts as gzip but its header is damaged
     */
    static FileInput open(Path path, String kind) throws IOException {
        requireNotDirectory(path, kind);
        InputStream file;
        try {
            file = new BufferedInputStream(Files.newInputStream(path), BUFFER_BYTES);
        } catch (NoSuchFileException e) {
            NoSuchFileException clearer = new NoSuchFileException(path.toString(), null, "no such " + kind + " file"
                    + FileChecks.standardInputHint(path.toString()));
            clearer.initCause(e);
            throw clearer;
        }
        long size = Files.isRegularFile(path) ? Files.size(path) : -1;
        try {
            file.mark(2);
            boolean gzip = isGzip(file.read(), file.read());
            file.reset();
            if (!gzip) {
                return new FileInput(file, size);
            }
            PushbackInputStream text = new PushbackInputStream(new GzipText(file, path.toString()), BINARY_PEEK);
            byte[] start = text.readNBytes(BINARY_PEEK);
            text.unread(start);
            String binary = compressedBinary(new String(start, StandardCharsets.ISO_8859_1));
            if (binary != null) {
                throw new MatrixFormatException(path.toString(), binary);
            }
            return new FileInput(text, size < 0 ? -1
                    : size > Long.MAX_VALUE / MAX_DEFLATE_EXPANSION ? Long.MAX_VALUE : size * MAX_DEFLATE_EXPANSION);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** How many decompressed bytes {@link #open} looks at for a binary format: the .npy magic string's 6. */
    private static final int BINARY_PEEK = 6;

    /**
     * What to do with a gzip file whose text (starting {@code start}) is one of the binary formats, which are read
     * uncompressed; null for any other. Read as text, a gzipped .npy ({@code M.npy.gz}) was told to be given a name
     * ending in .npy, and once renamed, to be gunzipped: gunzipping is the one step it needs.
     */
    static String compressedBinary(String start) {
        String what = start.startsWith("\u0093NUMPY") ? "NumPy .npy file"
                : start.startsWith(ZIP_MAGIC) ? "zip archive (a scipy .npz?)" : null;
        return what == null ? null : "a gzip-compressed " + what + ": " + GUNZIP;
    }

    /** What to do with gzip data where a binary format is read, "gunzip it" first (it came after the reason). */
    private static final String GUNZIP = "gunzip it; .npy and .npz files are read uncompressed, as numpy writes "
            + "them; .mtx and delimited text are read compressed";

    /** The first bytes of a zip archive (a local file header), as ISO-8859-1 text: what a .npz starts with. */
    static final String ZIP_MAGIC = "PK\u0003\u0004";

    /**
     * What a file looks like from its first bytes (as ISO-8859-1 text), when that is one of the formats read here
     * under a name that chose another, with what to do; null otherwise. The binary formats are chosen by the file's
     * name, so a {@code .npy} under another name reached a text reader, and text or gzip data a binary one.
     */
    static String foreignFormat(String start) {
        // both are read in place, so a file on disk: a pipe renamed .npy was then refused as a pipe
        return start.startsWith("\u0093NUMPY") ? "a NumPy .npy file: give it a name ending in .npy, as a file on disk"
                : start.startsWith(ZIP_MAGIC) ? "a zip archive (a scipy .npz?): give it a name ending in .npz, as a "
                        + "file on disk"
                : start.startsWith("%%MatrixMarket") ? "a Matrix Market file: give it a name ending in .mtx"
                // a byte-order mark: a Windows tool's "Unicode" text, Python's encoding='utf-16'; its NUL bytes were
                // reported as binary data
                : start.startsWith("\u00FF\u00FE") || start.startsWith("\u00FE\u00FF")
                        ? "UTF-16 text (it starts with a UTF-16 byte-order mark): convert it to UTF-8, e.g. iconv -f "
                        + "UTF-16 -t UTF-8 < IN > OUT"
                : start.length() >= 2 && isGzip(start.charAt(0), start.charAt(1))
                        ? "gzip-compressed data: " + GUNZIP
                : null;
    }

    /** The hint of a text reader, or of a binary one, for what looks like rows of numbers. */
    static final String NUMBERS_HINT = "numbers in rows? delimited text is read from a name ending in .csv, .tsv, "
            + ".txt or .dat, also for a named pipe";

    /**
     * {@link #foreignFormat}, or {@link #NUMBERS_HINT} for a start that looks like a number or a comment: the hint for
     * bytes that are not the format their name chose (for a text reader, they are not text of its format), null when
     * there is none.
     */
    static String hintFor(String start) {
        String foreign = foreignFormat(start);
        String trimmed = start.strip();
        return foreign != null ? foreign : trimmed.startsWith("#") || DelimitedText.startsLikeANumber(trimmed)
                ? NUMBERS_HINT : null;
    }

    /** The first {@code n} bytes of a file (fewer if it is shorter) as ISO-8859-1 text; empty if it cannot be read. */
    static String start(Path path, int n) {
        try (InputStream in = Files.newInputStream(path)) {
            return new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Refuses a directory where a {@code kind} file is expected, by name: opening or mapping one fails with the
     * system's bare "Is a directory" (a stream) or "No such device" (a mapping), and a zip archive's reader calls it a
     * missing file.
     */
    static void requireNotDirectory(Path path, String kind) throws FileSystemException {
        if (Files.isDirectory(path)) {
            throw new FileSystemException(path.toString(), null, "a directory, not a " + kind + " file");
        }
    }

    /**
     * As {@link #requireNotDirectory}, and not a pipe or a device either, for the binary formats, which are mapped or
     * read by position: a named pipe of {@code .npy} data was "empty file: not a .npy file" once a writer came, and a
     * wait without end before.
     */
    static void requireFile(Path path, String kind) throws FileSystemException {
        requireNotDirectory(path, kind);
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new FileSystemException(path.toString(), null, "a pipe or a device, not a file: a " + kind + " file "
                    + "is read in place and needs a file on disk (save it to one; Matrix Market and delimited text "
                    + "can come through a pipe)");
        }
    }

    /**
     * The error of a mapped file {@code source} that was cut short while it was read (another program truncated or
     * rewrote it): a page of the mapping that is gone faults, and the JVM raises that as an {@link InternalError} ("a
     * fault occurred in an unsafe memory access operation"), which ended the command with the JVM's stack trace.
     * Any other {@code InternalError} is thrown again as it is.
     */
    static MatrixFormatException cutShort(String source, InternalError e) {
        if (e.getMessage() == null || !e.getMessage().contains("unsafe memory access operation")) {
            throw e;
        }
        MatrixFormatException cut = new MatrixFormatException(source, "the file was cut short while it was read "
                + "(another program truncated or rewrote it?): read it again once it is complete");
        cut.initCause(e);
        return cut;
    }

    @Override
    public void close() throws IOException {
        bytes.close();
    }

    /** Gzip-compressed text whose damage (a bad header, corrupt or truncated data) is a format error of the file. */
    private static final class GzipText extends FilterInputStream {
        private final String source;

        GzipText(InputStream compressed, String source) throws IOException {
            super(null);
            this.source = source;
            try {
                in = new GZIPInputStream(compressed, BUFFER_BYTES);
            } catch (ZipException | EOFException e) {
                compressed.close();
                throw damaged(e);
            }
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (ZipException | EOFException e) {
                throw damaged(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (ZipException | EOFException e) {
                throw damaged(e);
            }
        }

        private MatrixFormatException damaged(IOException e) {
            MatrixFormatException m = new MatrixFormatException(source, "damaged gzip data: " + e.getMessage());
            m.initCause(e);
            return m;
        }
    }
}

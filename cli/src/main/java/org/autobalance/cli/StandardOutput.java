package org.autobalance.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.autobalance.io.internal.FileChecks;

/**
 * The command's standard output, remembering why a write to it failed. {@code PrintWriter} and {@code PrintStream}
 * keep only that one did ({@code checkError}), and a command whose output went to a full disk ({@code > out.txt}) or
 * to {@code /dev/full} exited 0 with its result lines lost — without {@code --out} the only result it gives.
 */
public final class StandardOutput extends PrintWriter {
    /** The file-type bits of {@code st_mode}, and the types of a pipe (named or not) and of a socket. */
    private static final int TYPE = 0170000, PIPE = 0010000, SOCKET = 0140000;

    private final Recording stream;
    private final boolean toAReader;

    private StandardOutput(Recording stream, Charset charset, boolean toAReader) {
        super(new OutputStreamWriter(stream, charset), true);
        this.stream = stream;
        this.toAReader = toAReader;
    }

    /**
     * Standard output in the encoding {@code System.out} uses ({@code stdout.encoding}, the locale's), as {@code new
     * PrintWriter(System.out)} wrote it and as standard error is written: in UTF-8 under a Latin-1 locale the
     * {@code wrote PATH} line named a path that does not exist.
     */
    public static StandardOutput open() {
        return new StandardOutput(new Recording(new FileOutputStream(FileDescriptor.out)), System.out.charset(),
                isAPipeOrSocket(Path.of("/dev/fd/1")));
    }

    /** A stand-in over {@code stream}, for tests; {@code toAReader} as if standard output were a pipe. */
    static StandardOutput over(OutputStream stream, Charset charset, boolean toAReader) {
        return new StandardOutput(new Recording(stream), charset, toAReader);
    }

    /**
     * Whether {@code fd} (standard output's {@code /dev/fd/1}) is a pipe or a socket, where a write fails only when
     * the reader has gone. Decided by the file's type, not by the failed write's message, which the C library
     * translates ("Datenübergabe unterbrochen (broken pipe)" under de_DE made {@code | head} a failure); false when
     * the type cannot be read (a closed descriptor, a system without {@code /dev/fd}), so a failure is reported.
     */
    static boolean isAPipeOrSocket(Path fd) {
        try {
            int type = (Integer) Files.getAttribute(fd, "unix:mode") & TYPE;
            return type == PIPE || type == SOCKET;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Why what was printed did not all arrive, in words, or null when it did. A reader that closed the pipe
     * ({@code | head -1}) took what it wanted, as {@code head} does from any command, and is not a failure.
     */
    String failure() {
        flush();
        IOException e = stream.failure;
        return e == null || toAReader ? null : FileChecks.reason(e);
    }

    private static final class Recording extends FilterOutputStream {
        private IOException failure;

        Recording(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                }
                throw e;
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }
    }
}

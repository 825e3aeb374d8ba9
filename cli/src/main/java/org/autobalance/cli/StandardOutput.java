package org.autobalance.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import org.autobalance.io.internal.FileChecks;

/**
 * The command's standard output, remembering why a write to it failed. {@code PrintWriter} and {@code PrintStream}
 * keep only that one did ({@code checkError}), and a command whose output went to a full disk ({@code > out.txt}) or
 * to {@code /dev/full} exited 0 with its result lines lost — without {@code --out} the only result it gives.
 */
public final class StandardOutput extends PrintWriter {
    private final Recording stream;

    private StandardOutput(Recording stream, Charset charset) {
        super(new OutputStreamWriter(stream, charset), true);
        this.stream = stream;
    }

    /** Standard output in the JVM's default encoding (UTF-8), as the commands have always written it. */
    public static StandardOutput open() {
        return new StandardOutput(new Recording(new FileOutputStream(FileDescriptor.out)), Charset.defaultCharset());
    }

    /** A stand-in over {@code stream}, for tests. */
    static StandardOutput over(OutputStream stream, Charset charset) {
        return new StandardOutput(new Recording(stream), charset);
    }

    /**
     * Why what was printed did not all arrive, in words, or null when it did. A reader that closed the pipe
     * ({@code | head -1}: "Broken pipe") took what it wanted, as {@code head} does from any command, and is not a
     * failure.
     */
    String failure() {
        flush();
        IOException e = stream.failure;
        return e == null || "Broken pipe".equals(e.getMessage()) ? null : FileChecks.reason(e);
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

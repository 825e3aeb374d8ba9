package org.autobalance.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.autobalance.solve.Checkpoint;

/**
 * Checkpoints as an earlier version wrote them, made from one written now: the header without an entry that version
 * did not write (of the configuration, or of the state), the file's SHA-256 made again (the format is otherwise
 * unchanged). For the tests that such a checkpoint still resumes.
 */
public final class OldCheckpoints {
    private OldCheckpoints() {
    }

    /**
     * Copies the checkpoint in directory {@code from} to directory {@code to}, its header without {@code entry} (the
     * exact JSON text, with its comma), which must occur there once.
     */
    public static void without(Path from, Path to, String entry) throws IOException {
        byte[] file = Files.readAllBytes(from.resolve(Checkpoint.FILE));
        int headerEnd = headerEnd(file);
        String header = new String(file, 0, headerEnd, StandardCharsets.UTF_8);
        String oldHeader = header.replace(entry, "");
        assertEquals(header.length() - entry.length(), oldHeader.length(), "once in " + header);
        byte[] head = oldHeader.getBytes(StandardCharsets.UTF_8);
        int payload = file.length - headerEnd - 32;
        byte[] out = new byte[head.length + payload + 32];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(file, headerEnd, out, head.length, payload);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(out, 0, out.length - 32);
            System.arraycopy(sha.digest(), 0, out, out.length - 32, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Files.createDirectories(to);
        Files.write(to.resolve(Checkpoint.FILE), out);
    }

    /**
     * {@link #without} the header's exact scalar {@code key} (a double the file keeps as the hexadecimal of its bits,
     * never the header's first entry), whatever its value; it must be there.
     */
    public static void withoutExact(Path from, Path to, String key) throws IOException {
        byte[] file = Files.readAllBytes(from.resolve(Checkpoint.FILE));
        String header = new String(file, 0, headerEnd(file), StandardCharsets.UTF_8);
        Matcher entry = Pattern.compile(",\"" + Pattern.quote(key) + "\":\"[0-9a-f]+\"").matcher(header);
        if (!entry.find()) {
            throw new AssertionError("no exact " + key + " in " + header);
        }
        without(from, to, entry.group());
    }

    /** The bytes of the file's first two lines: the format's and the header's. */
    private static int headerEnd(byte[] file) {
        int end = 0;
        for (int lines = 0; lines < 2; end++) {
            if (file[end] == '\n') {
                lines++;
            }
        }
        return end;
    }
}

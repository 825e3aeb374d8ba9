package org.autobalance.io;

import java.io.InputStream;
import java.util.SplittableRandom;

/** Hands out its bytes at most a few hundred at a time, in random amounts, as a slow pipe does. */
final class Trickle extends InputStream {
    private final byte[] bytes;
    private final int from;
    private final SplittableRandom random;
    private int at;

    /** The bytes of {@code bytes} from index {@code from}, cut where the generator seeded with {@code seed} says. */
    Trickle(byte[] bytes, int from, long seed) {
        this.bytes = bytes;
        this.from = from;
        this.at = from;
        this.random = new SplittableRandom(seed);
    }

    Trickle(byte[] bytes, long seed) {
        this(bytes, 0, seed);
    }

    @Override
    public int read() {
        return at < bytes.length ? bytes[at++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (at == bytes.length) {
            return -1;
        }
        // a read of 1 byte now and then: every token is cut at every place over the corpus
        int n = Math.min(Math.min(len, random.nextInt(8) == 0 ? 1 : 1 + random.nextInt(400)), bytes.length - at);
        System.arraycopy(bytes, at, b, off, n);
        at += n;
        return n;
    }

    @Override
    public String toString() {
        return "trickle of " + (bytes.length - from) + " bytes";
    }
}

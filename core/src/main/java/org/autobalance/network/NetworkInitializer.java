package org.autobalance.network;

import java.util.SplittableRandom;
import org.autobalance.memory.DenseMatrix;

/**
 * Sets the starting parameters of a network. Biases start at zero, except for {@link Given} parameters.
 *
 * <p>A small start makes every conserved difference small (paper-notes §1.3), so the layers end up balanced as they
 * grow; Xavier's start makes the layers as large as the data need from the outset and keeps whatever differences
 * its fan-in/fan-out scaling gives them. (0, …, 0) is a critical point GD never leaves: small is not zero.
 */
public sealed interface NetworkInitializer
        permits NetworkInitializer.Small, NetworkInitializer.Xavier, NetworkInitializer.Given {

    /** Default standard deviation of {@link #small()}: the top of paper-notes' 1e-3–1e-2 range for the Fig-2 run. */
    double DEFAULT_SMALL_SCALE = 1e-2;

    /** Writes the starting parameters into {@code p} (zero on entry). */
    void initialize(Parameters p, long seed);

    /** A short human-readable form, e.g. {@code small:0.001}. */
    String describe();

    /** What {@link #given} describes itself as, whatever the parameters. */
    String GIVEN = "given";

    /** I.i.d. N(0, 0.01²) weights. */
    static NetworkInitializer small() {
        return new Small(DEFAULT_SMALL_SCALE);
    }

    /** I.i.d. N(0, scale²) weights; {@code scale} finite and positive. */
    static NetworkInitializer small(double scale) {
        return new Small(scale);
    }

    /** Glorot/Xavier normal: N(0, 2/(fan_in + fan_out)) with fan_out = outChannels·KH·KW. */
    static NetworkInitializer xavier() {
        return new Xavier();
    }

    /** The given parameters, copied (the caller keeps ownership). */
    static NetworkInitializer given(Parameters p) {
        return new Given(p);
    }

    /** Parses {@code small}, {@code small:S} or {@code xavier} ({@code file:DIR} is read by the command line). */
    static NetworkInitializer parse(String spec) {
        String s = spec.trim();
        if (s.equals("xavier")) {
            return xavier();
        }
        if (s.equals("small")) {
            return small();
        }
        if (s.startsWith("small:")) {
            try {
                return small(Double.parseDouble(s.substring("small:".length()).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("init '" + spec + "': the scale S is not a number");
            }
        }
        throw new IllegalArgumentException("unknown init '" + spec + "': expected small[:S], xavier or file:DIR");
    }

    private static void fill(DenseMatrix w, SplittableRandom random, double std) {
        for (int i = 0; i < w.rows(); i++) {
            for (int j = 0; j < w.cols(); j++) {
                w.set(i, j, std * random.nextGaussian());
            }
        }
    }

    /** See {@link NetworkInitializer#small(double)}. */
    record Small(double scale) implements NetworkInitializer {
        /**
         * Validates the scale.
         *
         * @throws IllegalArgumentException unless it is finite and positive
         */
        public Small {
            if (!(scale > 0) || !Double.isFinite(scale)) {
                throw new IllegalArgumentException("initialisation scale must be finite and positive, got " + scale);
            }
        }

        @Override
        public void initialize(Parameters p, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int h = 1; h <= p.architecture().depth(); h++) {
                fill(p.weights(h), random, scale);
            }
        }

        @Override
        public String describe() {
            return "small:" + scale;
        }
    }

    /** See {@link NetworkInitializer#xavier()}. */
    record Xavier() implements NetworkInitializer {
        @Override
        public void initialize(Parameters p, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int h = 1; h <= p.architecture().depth(); h++) {
                Layer l = p.architecture().layer(h);
                double fanOut = (double) l.outChannels() * l.kernelHeight() * l.kernelWidth();
                fill(p.weights(h), random, Math.sqrt(2.0 / (l.fanIn() + fanOut)));
            }
        }

        @Override
        public String describe() {
            return "xavier";
        }
    }

    /** See {@link NetworkInitializer#given}. Shapes and finiteness are checked by the trainer. */
    record Given(Parameters parameters) implements NetworkInitializer {
        @Override
        public void initialize(Parameters p, long seed) {
            p.copyFrom(parameters);
        }

        @Override
        public String describe() {
            return GIVEN;
        }
    }
}

package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * The plain scalar reference implementation of {@link FactorKernels}: the oracle of every kernel test and the
 * fallback when the Vector API is unavailable. Written for clarity, not speed. Sums of products are accumulated in
 * double precision in both dtypes and rounded once when stored; only the {@code mtu} accumulator of
 * {@link #fusedPass} lives in the matrix's own precision, because it is accumulated across calls.
 */
public final class ScalarKernels implements FactorKernels {

    @Override
    public String name() {
        return "scalar";
    }

    /** Any block of columns: the pass reads a row's columns [0, cols) alone. */
    @Override
    public int columnBlock(DType dtype, int rank) {
        return 1;
    }

    @Override
    public void fusedPass(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, DenseMatrix mv,
            DenseMatrix mtu) {
        boolean f32 = m.dtype() == DType.FLOAT32;
        MemorySegment ms = m.segment();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        MemorySegment mvs = mv.segment();
        MemorySegment mtus = mtu.segment();
        int d2 = m.cols();
        int r = u.cols();
        double[] acc = new double[r];
        for (int i = rowStart; i < rowEnd; i++) {
            Arrays.fill(acc, 0.0);
            long mRow = (long) i * m.stride();
            long uRow = (long) i * u.stride();
            for (int j = 0; j < d2; j++) {
                double mij = load(ms, f32, mRow + j);
                long vRow = (long) j * v.stride();
                long mtuRow = (long) j * mtu.stride();
                for (int a = 0; a < r; a++) {
                    acc[a] += mij * load(vs, f32, vRow + a);
                    store(mtus, f32, mtuRow + a, load(mtus, f32, mtuRow + a) + mij * load(us, f32, uRow + a));
                }
            }
            long mvRow = (long) i * mv.stride();
            for (int a = 0; a < r; a++) {
                store(mvs, f32, mvRow + a, acc[a]);
            }
        }
    }

    @Override
    public void gram(DenseMatrix x, int rowStart, int rowEnd, double[] gram) {
        boolean f32 = x.dtype() == DType.FLOAT32;
        MemorySegment xs = x.segment();
        int r = x.cols();
        for (int i = rowStart; i < rowEnd; i++) {
            long row = (long) i * x.stride();
            for (int a = 0; a < r; a++) {
                double xa = load(xs, f32, row + a);
                for (int b = 0; b < r; b++) {
                    gram[a * r + b] += xa * load(xs, f32, row + b);
                }
            }
        }
    }

    @Override
    public double gradientStep(DenseMatrix x, DenseMatrix p, double[] a, double eta, int rowStart, int rowEnd) {
        boolean f32 = x.dtype() == DType.FLOAT32;
        MemorySegment xs = x.segment();
        MemorySegment ps = p.segment();
        int r = x.cols();
        double[] xi = new double[r];
        double sumSq = 0.0;
        for (int i = rowStart; i < rowEnd; i++) {
            long row = (long) i * x.stride();
            long pRow = (long) i * p.stride();
            for (int c = 0; c < r; c++) {
                xi[c] = load(xs, f32, row + c);
            }
            for (int c = 0; c < r; c++) {
                double g = -load(ps, f32, pRow + c);
                for (int k = 0; k < r; k++) {
                    g += xi[k] * a[k * r + c];
                }
                sumSq += g * g;
                store(xs, f32, row + c, xi[c] - eta * g);
            }
        }
        return sumSq;
    }

    @Override
    public double dot(DenseMatrix x, DenseMatrix y, int rowStart, int rowEnd) {
        boolean f32 = x.dtype() == DType.FLOAT32;
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        double sum = 0.0;
        for (int i = rowStart; i < rowEnd; i++) {
            long xRow = (long) i * x.stride();
            long yRow = (long) i * y.stride();
            for (int c = 0; c < x.cols(); c++) {
                sum += load(xs, f32, xRow + c) * load(ys, f32, yRow + c);
            }
        }
        return sum;
    }

    @Override
    public double residualSquared(DenseMatrix m, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd) {
        boolean f32 = m.dtype() == DType.FLOAT32;
        MemorySegment ms = m.segment();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        int r = u.cols();
        double sum = 0.0;
        for (int i = rowStart; i < rowEnd; i++) {
            long mRow = (long) i * m.stride();
            long uRow = (long) i * u.stride();
            for (int j = 0; j < m.cols(); j++) {
                long vRow = (long) j * v.stride();
                double uv = 0.0;
                for (int a = 0; a < r; a++) {
                    uv += load(us, f32, uRow + a) * load(vs, f32, vRow + a);
                }
                double res = uv - load(ms, f32, mRow + j);
                sum += res * res;
            }
        }
        return sum;
    }

    static double load(MemorySegment s, boolean f32, long index) {
        return f32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, index) : s.getAtIndex(ValueLayout.JAVA_DOUBLE, index);
    }

    static void store(MemorySegment s, boolean f32, long index, double value) {
        if (f32) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, index, (float) value);
        } else {
            s.setAtIndex(ValueLayout.JAVA_DOUBLE, index, value);
        }
    }
}

"""The sparse iteration in scipy + numpy, timed: the baseline of `./autobalance bench sparse` (native-notes/sparse.md).

    python3 reference.py --pattern uniform|powerlaw --d1 100000 --d2 50000 --nnz 5000000 --rank 16
                         --objective full|observed [--dtype float32] [--warmup 3] [--reps 15] [--seed 1]

Needs numpy and scipy (`pip install numpy scipy`; measured with numpy 2.4.6, scipy 1.17.1). Threads: scipy's sparse
products are single-threaded; set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS for numpy's dense parts (the bench command
sets both to its thread count).

The matrix is drawn from the same recipe as the engine's benchmark (bench/.../sparse/SparseProblem.java), with
numpy's generator instead of Java's: nnz (row, column) pairs, uniform or power-law (row i with probability
proportional to (i+1)^-1/2, column j to (j+1)^-1/2, by the inverse CDF of the continuous density), values N(0, 1),
duplicates summed (scipy's tocsr). Same size and degree statistics, not the same matrix.

One iteration, written as a numpy user would write it:
  full:      MV = M @ V; MtU = M.T @ U  (CSR products; M.T of a CSR is a free CSC view)
             U_new = U - eta (U (V'V) - MV); V_new = V - eta (V (U'U) - MtU)
  observed:  e = sum(U[rows] * V[cols], axis=1) - data   (gathers of rows of U and V for every stored entry)
             R = csr_matrix((e, indices, indptr)); U_new = U - eta R @ V; V_new = V - eta R.T @ U
Prints one JSON object: the median and minimum wall time per iteration in ms, the median process CPU time (on a
shared machine the steadier number with one thread: it leaves out the time the process waited), and the sizes.
"""
import argparse
import json
import time

import numpy as np
import scipy
import scipy.sparse as sp


def draw(n, count, pattern, rng):
    if pattern == "uniform":
        return rng.integers(0, n, size=count, dtype=np.int64)
    # density x^(-1/2) on [1, n + 1]: inverse CDF x = ((n + 1)^(1/2) - 1) u + 1)^2
    u = rng.random(count)
    x = ((np.sqrt(n + 1.0) - 1.0) * u + 1.0) ** 2
    return np.minimum(np.floor(x).astype(np.int64) - 1, n - 1)


def problem(pattern, d1, d2, nnz, dtype, seed):
    rng = np.random.default_rng(seed)
    rows = draw(d1, nnz, pattern, rng)
    cols = draw(d2, nnz, pattern, rng)
    vals = rng.standard_normal(nnz)
    m = sp.coo_matrix((vals, (rows, cols)), shape=(d1, d2)).tocsr()
    m.sum_duplicates()
    return m.astype(dtype)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pattern", choices=["uniform", "powerlaw"], default="uniform")
    p.add_argument("--d1", type=int, default=100000)
    p.add_argument("--d2", type=int, default=50000)
    p.add_argument("--nnz", type=int, default=5000000)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--objective", choices=["full", "observed"], default="full")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    dt = np.dtype(a.dtype)
    m = problem(a.pattern, a.d1, a.d2, a.nnz, dt, a.seed)
    rng = np.random.default_rng(a.seed + 1)
    u = (0.01 * rng.standard_normal((a.d1, a.rank))).astype(dt)
    v = (0.01 * rng.standard_normal((a.d2, a.rank))).astype(dt)
    eta = dt.type(1e-3)
    mt = m.T  # a CSC view: no copy
    rows = np.repeat(np.arange(a.d1, dtype=np.int32), np.diff(m.indptr))
    cols = m.indices

    def full(u, v):
        mv = m @ v
        mtu = mt @ u
        return u - eta * (u @ (v.T @ v) - mv), v - eta * (v @ (u.T @ u) - mtu)

    def observed(u, v):
        e = np.einsum("ij,ij->i", u[rows], v[cols]) - m.data
        r = sp.csr_matrix((e, m.indices, m.indptr), shape=m.shape)
        return u - eta * (r @ v), v - eta * (r.T @ u)

    step = full if a.objective == "full" else observed
    times = []
    cpu = []
    for k in range(a.warmup + a.reps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        u2, v2 = step(u, v)
        t1 = time.perf_counter()
        c1 = time.process_time()
        if k >= a.warmup:
            times.append((t1 - t0) * 1e3)
            cpu.append((c1 - c0) * 1e3)
    if not (np.isfinite(u2).all() and np.isfinite(v2).all()):
        raise SystemExit("non-finite result: the timing is meaningless")
    print(json.dumps({"impl": "scipy", "pattern": a.pattern, "objective": a.objective, "rank": a.rank,
                      "nnz": int(m.nnz), "ms_median": float(np.median(times)), "ms_min": float(np.min(times)),
                      "cpu_ms_median": float(np.median(cpu)),
                      "numpy": np.__version__, "scipy": scipy.__version__}))


if __name__ == "__main__":
    main()

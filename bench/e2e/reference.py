"""The engine's default algorithm in numpy, for the end-to-end comparison (./autobalance bench e2e).

    python3 reference.py M.npy RANK OUTDIR [--dtype float32|float64] [--max-iter N] [--tol EPS] [--seed S]

Mirrors `autobalance factorize --input M.npy --rank RANK --out OUTDIR --out-format npy` with the defaults, read from
the engine's code (core/.../solve/Factorizer.java, SpectralNorm.java, Initializer.java, SpectralSchedule.java):
- sigma1(M) by two interleaved power iterations from random unit vectors (x <- M'y/|M'y|, y <- Mx/|Mx|), the
  estimate max(|Mx|, |M'y|), stopping when a pass improves it by less than 1e-9 relatively, at most 300 passes;
- U0, V0 i.i.d. N(0, s^2), s = 1e-3 * sqrt(sigma1 / max(d1, d2)); eta = 0.5 / sigma1, constant;
- simultaneous gradient descent in the Gram form: G_U = U V'V - MV, G_V = V U'U - M'U, both from the old iterate;
- stop after the step when |grad|_F <= tol * |M|_F * sqrt(|U|^2 + |V|^2) (norms of the iterate the gradient was
  taken at), tol 1e-5 in float32 and 1.5e-8 (sqrt of float64's unit roundoff) in float64, or after max-iter steps;
- the final relative error |UV' - M|_F / |M|_F from the exact residual.
The random numbers differ from the engine's (another generator), so iteration counts may differ by a few.

Prints one JSON object: epoch times (time.time()) of the phases, iterations, the relative error; writes U.npy, V.npy.
"""
import time

T_START = time.time()
import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402

T_IMPORTED = time.time()

p = argparse.ArgumentParser()
p.add_argument("input")
p.add_argument("rank", type=int)
p.add_argument("out")
p.add_argument("--dtype", choices=["float32", "float64"], default="float64")
p.add_argument("--max-iter", type=int, default=10000)
p.add_argument("--tol", type=float)
p.add_argument("--seed", type=int, default=42)
a = p.parse_args()
dt = np.dtype(a.dtype)
tol = a.tol if a.tol is not None else (1e-5 if dt == np.float32 else np.sqrt(2.0 ** -53))

M = np.load(a.input)
if M.dtype != dt:
    M = M.astype(dt)
T_LOADED = time.time()

d1, d2 = M.shape
rng = np.random.default_rng(a.seed)
norm_m = float(np.linalg.norm(M))
x = rng.standard_normal(d2).astype(dt)
y = rng.standard_normal(d1).astype(dt)
x /= np.linalg.norm(x)
y /= np.linalg.norm(y)
best = 0.0
for _ in range(300):
    mx, mty = M @ x, M.T @ y
    nx, nty = float(np.linalg.norm(mx)), float(np.linalg.norm(mty))
    estimate = max(nx, nty)
    done = estimate <= best * (1 + 1e-9)
    best = max(best, estimate)
    if done:
        break
    x, y = mty / nty, mx / nx
sigma1 = best
scale = 1e-3 * np.sqrt(sigma1 / max(d1, d2))
U = (scale * rng.standard_normal((d1, a.rank))).astype(dt)
V = (scale * rng.standard_normal((d2, a.rank))).astype(dt)
eta = dt.type(0.5 / sigma1)

t_first = None
stop = "max_iterations"
iterations = 0
for t in range(a.max_iter):
    MV, MtU = M @ V, M.T @ U
    GU, GV = U @ (V.T @ V) - MV, V @ (U.T @ U) - MtU
    grad = np.sqrt(float(np.vdot(GU, GU)) + float(np.vdot(GV, GV)))
    size = np.sqrt(float(np.vdot(U, U)) + float(np.vdot(V, V)))
    U -= eta * GU
    V -= eta * GV
    iterations = t + 1
    if t_first is None:
        t_first = time.time()
    if tol > 0 and grad <= tol * norm_m * size:
        stop = "converged"
        break
rel = float(np.linalg.norm(U @ V.T - M)) / norm_m
os.makedirs(a.out, exist_ok=True)
np.save(os.path.join(a.out, "U.npy"), U)
np.save(os.path.join(a.out, "V.npy"), V)
print(json.dumps({"start": T_START, "imported": T_IMPORTED, "loaded": T_LOADED, "first_iteration": t_first,
                  "done": time.time(), "iterations": iterations, "stop_reason": stop, "relative_error": rel,
                  "sigma1": sigma1, "numpy": np.__version__}))

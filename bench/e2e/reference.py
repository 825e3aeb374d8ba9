"""The engine's default algorithm in numpy, for the end-to-end comparison (./autobalance bench e2e).

    python3 reference.py M.npy RANK OUTDIR [--dtype float32|float64] [--max-iter N] [--tol EPS] [--seed S]

Mirrors `autobalance factorize --input M.npy --rank RANK --out OUTDIR --out-format npy` with the defaults, read from
the engine's code (core/src/main/java/org/autobalance/solve/: Factorizer, Initializer, internal/SpectralNorm,
internal/PlateauCheck; schedule/SpectralSchedule). Keep the two in step when either changes. Not mirrored: what the
engine's stop rule gained on 2026-12-05/06 (internal/EckartYoungCheck's fit test of the weakest learned direction,
the plateau report of a limit reached mid-escape, auto's back-off from a run-away or oscillating loss); on the bench's
problems none of them changed the engine's iteration counts (500 x 300 float32 and 4096 x 4096 both dtypes, checked
since).
- sigma1(M) by block power iteration with b = min(RANK, 256) columns per chain (SpectralNorm.estimate): X (d2 x b), Y
  (d1 x b) with unit Gaussian columns; each pass Y <- eta M X, X <- eta M'Y (both from the old blocks), eta = 1/|M|_F
  and then 1/(the current estimate); the estimate sqrt(lambda_max_bound(G(MX), G(X))) from the Grams (the larger of the
  two chains), at most 300 passes, stopping (SpectralNorm.Progress) when a pass improves it by at most 1e-9 relatively,
  or when twice the error left extrapolated from the last 3 ratios q of successive improvements d (from the second
  pass's on), 2 d / (1 - max q), is within 1e-3 and d min(q)^30 > 1e-9 (the 1e-9 change rule would not end it within 30
  passes);
- U0, V0 i.i.d. N(0, s^2), s = 1e-3 * sqrt(sigma1 / max(d1, d2)); eta = 0.5 / sigma1, constant;
- simultaneous gradient descent in the Gram form: G_U = U V'V - MV, G_V = V U'U - M'U, both from the old iterate;
- first-order test after the step: |grad|_F <= tol * |M|_F * sqrt(|U|^2 + |V|^2) (the iterate the gradient was taken
  at), tol 1e-5 in float32 and 1.05e-8 (sqrt of float64's unit roundoff 2**-53) in float64;
- then the plateau test (PlateauCheck): accepted when sigma_r(UV')^2 >= |R|_F^2 = 2f (from the Grams, free), else
  when sigma1(R), R = M - UV', estimated by power iteration (<= 30 passes, 1e-2 relative, stopped once above the
  bound), is <= sqrt(sigma_r^2 + level^2), level = max(100 sigma1(U0 V0'), sqrt(u) |M|_F); checks after a plateau
  are rationed as the engine rations them; a run that ends by max-iter while the first-order test holds reports
  "plateau";
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


def lambda_max(a, b, floor):
    """max_w w'Aw / w'Bw over the directions where B's eigenvalues exceed floor times its largest
    (SmallLinearAlgebra.largestGeneralizedEigenvalue, the Jacobi path; the floor is SpectralNorm.gramFloor:
    sqrt(2^-24) in float32, 1e-12 in float64)."""
    lam, q = np.linalg.eigh(b)
    lam, q = lam[::-1], q[:, ::-1]
    kept = lam > floor * lam[0]
    if lam[0] <= 0 or not kept.any():
        return 0.0
    w = q[:, kept] / np.sqrt(lam[kept])
    return float(np.linalg.eigvalsh(w.T @ a @ w)[-1])


def ritz_quotient(a, b, floor_g, threshold):
    """lambda_max_bound's steps at one pivot threshold: B's Cholesky factor with diagonal pivoting, stopped before
    the first pivot <= threshold, gives L over the kept columns P; the top eigenvector z of L^-1 A_PP L^-T (Lanczos
    there, exact here) gives w = L^-T z; w'Aw / w'Bw, or None when w'Bw <= floor_g * |w|^2."""
    r = b.shape[0]
    piv, rest, l = list(range(r)), np.diag(b).copy(), np.zeros((r, r))
    k = 0
    while k < r:
        p = k + int(np.argmax(rest[k:]))
        if not rest[p] > threshold:
            break
        piv[k], piv[p] = piv[p], piv[k]
        rest[[k, p]] = rest[[p, k]]
        l[[k, p], :k] = l[[p, k], :k]
        l[k, k] = np.sqrt(rest[k])
        l[k + 1:, k] = (b[piv[k + 1:], piv[k]] - l[k + 1:, :k] @ l[k, :k]) / l[k, k]
        rest[k + 1:] -= l[k + 1:, k] ** 2
        k += 1
    if k == 0:
        return 0.0
    kept, li = piv[:k], np.linalg.inv(l[:k, :k])
    ap, bp = a[np.ix_(kept, kept)], b[np.ix_(kept, kept)]
    w = li.T @ np.linalg.eigh(li @ ap @ li.T)[1][:, -1]
    wbw = w @ bp @ w
    return float(w @ ap @ w / wbw) if wbw > floor_g * (w @ w) else None


def lambda_max_bound(a, b, floor):
    """SmallLinearAlgebra.largestGeneralizedEigenvalueBound, what sigma1 uses: ritz_quotient at the pivot thresholds
    1e-4, 1e-2 and 1 times floor * g (g = max row sum of |B|; each at least 16 r 2^-52 g), the first whose w lies
    above the floor, else lambda_max's."""
    r = b.shape[0]
    g = np.abs(b).sum(axis=1).max()
    if not g > 0:
        return 0.0
    tried = 0.0
    for fraction in (1e-4, 1e-2, 1.0):
        threshold = max(fraction * floor, 16 * r * 2.0 ** -52) * g
        if threshold > tried:
            tried = threshold
            bound = ritz_quotient(a, b, floor * g, threshold)
            if bound is not None:
                return bound
    return lambda_max(a, b, floor)


def product_singular_values(gram_u, gram_v):
    """Singular values of UV' from U'U and V'V, largest first."""
    lam, q = np.linalg.eigh(gram_u)
    w = q * np.sqrt(np.maximum(lam, 0.0))
    return np.sqrt(np.maximum(np.linalg.eigvalsh(w.T @ gram_v @ w), 0.0))[::-1]


def unit_columns(rng, rows, cols, dt):
    z = rng.standard_normal((rows, cols))
    return (z / np.linalg.norm(z, axis=0)).astype(dt)


class Progress:
    """SpectralNorm.Progress: whether to stop after a pass that improved the estimate by d (relatively)."""
    TARGET, POLISH, POLISH_PASSES, RATE_WINDOW, MIN_TARGET_BLOCK = 1e-3, 1e-9, 30, 3, 4

    def __init__(self, block):
        self.ratios, self.previous = [], None
        self.may_stop_at_target = block >= self.MIN_TARGET_BLOCK

    def stop(self, d):
        if d <= self.POLISH:
            return True
        if self.previous is not None:
            self.ratios = (self.ratios + [d / self.previous])[-self.RATE_WINDOW:]
        self.previous = d
        if not self.may_stop_at_target or len(self.ratios) < self.RATE_WINDOW:
            return False
        slowest, fastest = max(self.ratios), min(self.ratios)
        return (slowest < 1 and 2 * d / (1 - slowest) <= self.TARGET
                and d * fastest ** self.POLISH_PASSES > self.POLISH)


def sigma1_block(M, b, norm_m, rng, dt):
    d1, d2 = M.shape
    X, Y = unit_columns(rng, d2, b, dt), unit_columns(rng, d1, b, dt)
    best, eta = 0.0, 1.0 / norm_m
    prev_gy = prev_gx = None
    progress = Progress(b)
    floor = np.sqrt(2.0 ** -24) if dt == np.float32 else 1e-12
    for k in range(300):
        gy, gx = (Y.T @ Y).astype(np.float64), (X.T @ X).astype(np.float64)
        if k > 0:
            estimate = np.sqrt(max(lambda_max_bound(gy, prev_gx, floor), lambda_max_bound(gx, prev_gy, floor))) / eta
            # the first improvement is from nothing: the rate is read from the later ones
            done = estimate == 0.0 if best == 0.0 else progress.stop(estimate / best - 1)
            best = max(best, estimate)
            if done:
                break
            eta = 1.0 / best
        prev_gy, prev_gx = gy, gx
        Y, X = dt.type(eta) * (M @ X), dt.type(eta) * (M.T @ Y)
    return best


def sigma1_residual(M, U, V, rng, dt, max_passes, tol, enough):
    d1, d2 = M.shape
    x, y = unit_columns(rng, d2, 1, dt)[:, 0], unit_columns(rng, d1, 1, dt)[:, 0]
    best = 0.0
    for _ in range(max_passes):
        mx = M @ x - U @ (V.T @ x)
        mty = M.T @ y - V @ (U.T @ y)
        nx, nty = float(np.linalg.norm(mx)), float(np.linalg.norm(mty))
        estimate = max(nx, nty)
        if estimate == 0.0:
            return 0.0
        done = estimate <= best * (1 + tol) or estimate > enough
        best = max(best, estimate)
        if done:
            break
        if nty > 0:
            x = mty / nty
        if nx > 0:
            y = mx / nx
    return best


class Plateau:
    """PlateauCheck: whether an iterate that passed the first-order test is a minimiser rather than a saddle."""
    GROWTH, MAX_PASSES, TOL = 100.0, 30, 1e-2

    def __init__(self, M, norm_m, dt, rng):
        self.M, self.dt, self.rng = M, dt, rng
        self.floor = np.sqrt(0.5 * np.finfo(dt).eps) * norm_m
        self.last_check, self.last_unlearned, self.last_plateau = -1, -1, False

    def start(self, gram_u, gram_v):
        self.level = max(self.GROWTH * product_singular_values(gram_u, gram_v)[0], self.floor)

    def minimiser(self, t, U, V, gram_u, gram_v, loss, fresh):
        sigma = product_singular_values(gram_u, gram_v)
        weakest = sigma[-1]
        if weakest * weakest >= 2 * loss:
            return True
        unlearned = int((sigma < self.level).sum())
        due = (self.last_check < 0 or (fresh and self.last_check != t)
               or (t >= self.last_check + self.MAX_PASSES
                   and (unlearned != self.last_unlearned or t >= 2 * self.last_check)))
        if due:
            bound = np.sqrt(weakest * weakest + self.level * self.level)
            residual = sigma1_residual(self.M, U, V, self.rng, self.dt, self.MAX_PASSES, self.TOL, bound)
            self.last_plateau = residual > bound
            self.last_check, self.last_unlearned = t, unlearned
        return not self.last_plateau


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
r = a.rank
rng = np.random.default_rng(a.seed)
norm_m2 = float(np.vdot(M, M))
norm_m = np.sqrt(norm_m2)
sigma1 = sigma1_block(M, min(r, 256), norm_m, rng, dt)  # SpectralNorm.MAX_BLOCK
scale = 1e-3 * np.sqrt(sigma1 / max(d1, d2))
U = (scale * rng.standard_normal((d1, r))).astype(dt)
V = (scale * rng.standard_normal((d2, r))).astype(dt)
eta = dt.type(0.5 / sigma1)
plateau = Plateau(M, norm_m, dt, rng)

t_first = None
stop = "max_iterations"
iterations = 0
on_plateau = False
for t in range(a.max_iter):
    MV, MtU = M @ V, M.T @ U
    gram_u, gram_v = U.T @ U, V.T @ V
    loss = 0.5 * (norm_m2 - 2 * float(np.vdot(U, MV)) + float(np.vdot(gram_u, gram_v)))
    if t == 0:
        plateau.start(gram_u.astype(np.float64), gram_v.astype(np.float64))
    GU, GV = U @ gram_v - MV, V @ gram_u - MtU
    grad = np.sqrt(float(np.vdot(GU, GU)) + float(np.vdot(GV, GV)))
    size = np.sqrt(float(np.trace(gram_u)) + float(np.trace(gram_v)))
    U, V = U - eta * GU, V - eta * GV
    iterations = t + 1
    if t_first is None:
        t_first = time.time()
    stationary = tol > 0 and grad <= tol * norm_m * size
    last = t + 1 == a.max_iter
    # as in the engine: the Grams and loss of the iterate the test was made at, the factors already stepped (the
    # engine updates them in place before the check runs)
    if stationary and plateau.minimiser(t, U, V, gram_u.astype(np.float64), gram_v.astype(np.float64), loss, last):
        stop = "converged"
        break
    on_plateau = stationary
if stop != "converged" and on_plateau:
    stop = "plateau"
rel = float(np.linalg.norm(U @ V.T - M)) / norm_m
os.makedirs(a.out, exist_ok=True)
np.save(os.path.join(a.out, "U.npy"), U)
np.save(os.path.join(a.out, "V.npy"), V)
print(json.dumps({"start": T_START, "imported": T_IMPORTED, "loaded": T_LOADED, "first_iteration": t_first,
                  "done": time.time(), "iterations": iterations, "stop_reason": stop, "relative_error": rel,
                  "sigma1": sigma1, "numpy": np.__version__}))

"""End-to-end comparison with numpy, as a user would make it: `./autobalance bench e2e [options]`.

For each problem (d1 x d2, rank k plus 1 % noise) and dtype it writes M.npy once, then runs, alternately and
`--runs` times each, two whole processes that read M.npy and write U.npy, V.npy:
  engine: ./autobalance factorize --input M.npy --rank k --dtype D --out DIR --out-format npy
  numpy:  python3 bench/e2e/reference.py M.npy k DIR --dtype D   (the same algorithm, start and stop rule)
and reports medians of: wall time of the process, when M was loaded and when the first iteration ended (seconds
after the process was started, from the epoch times each process reports: the engine in summary.json "clock", the
script on stdout), iterations, final relative error, CPU time (user + system: on a machine shared with other work,
less disturbed than the wall time), peak resident memory.

The problem M = A B' / sqrt(k) + N, with A, B, N i.i.d. standard Gaussian scaled so the noise entries have 1 % of the
low-rank entries' standard deviation (the shape of `./autobalance demo`), fixed seed.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROBLEMS = [(500, 300, 5), (2000, 1500, 10), (4096, 4096, 16)]
NOISE = 0.01


def problem(work, d1, d2, k, dtype):
    import numpy as np
    path = os.path.join(work, f"M_{d1}x{d2}_r{k}_{dtype}.npy")
    if not os.path.exists(path):
        rng = np.random.default_rng(2018 + d1 + d2 + k)
        a = rng.standard_normal((d1, k))
        b = rng.standard_normal((d2, k))
        m = a @ b.T / np.sqrt(k) + NOISE * rng.standard_normal((d1, d2))
        tmp = path + ".tmp.npy"
        np.save(tmp, m.astype(dtype))
        os.replace(tmp, path)
    return path


def timed(cmd, env=None):
    """Runs cmd; returns (wall s, spawn epoch, CPU s, peak RSS in MB, stdout). Fails loudly on a non-zero exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        spawned = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=env)
        # wait4, not wait: it gives this one child's CPU time and peak resident set (RUSAGE_CHILDREN would sum
        # the times of, and take the largest set over, every child so far)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(f"autobalance: error: bench e2e: {' '.join(cmd)} failed (exit {proc.returncode}):\n"
                     f"{err.read().decode(errors='replace')}")
        return wall, spawned, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode()


def run_engine(m_path, k, dtype, out_dir, threads):
    cmd = [os.path.join(ROOT, "autobalance"), "factorize", "--input", m_path, "--rank", str(k), "--dtype", dtype,
           "--out", out_dir, "--out-format", "npy"] + (["--threads", str(threads)] if threads else [])
    wall, spawned, cpu, rss, _ = timed(cmd)
    with open(os.path.join(out_dir, "summary.json")) as f:
        s = json.load(f)
    clock = s["clock"]
    return {"wall": wall, "loaded": clock["loaded"] - spawned, "first_iteration": clock["first_iteration"] - spawned,
            "load": s["load_seconds"], "iterations": s["iterations"], "relative_error": s["relative_error"],
            "stop_reason": s["stop_reason"], "cpu": cpu, "peak_mb": rss}


def run_numpy(m_path, k, dtype, out_dir, threads):
    cmd = [sys.executable, os.path.join(HERE, "reference.py"), m_path, str(k), out_dir, "--dtype", dtype]
    env = None
    if threads:
        # numpy's BLAS (OpenBLAS, or another through these variables) reads its thread count at import
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
    wall, spawned, cpu, rss, out = timed(cmd, env)
    s = json.loads(out.strip().splitlines()[-1])
    return {"wall": wall, "loaded": s["loaded"] - spawned, "first_iteration": s["first_iteration"] - spawned,
            "load": s["loaded"] - s["imported"], "iterations": s["iterations"],
            "relative_error": s["relative_error"], "stop_reason": s["stop_reason"], "cpu": cpu, "peak_mb": rss}


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def machine():
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start"


def main():
    p = argparse.ArgumentParser(prog="autobalance bench e2e", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    def error(message):
        # one line, as the other bench commands' mistakes are (argparse would print the usage first)
        print(f"autobalance: error: bench e2e: {message} (try --help)", file=sys.stderr)
        sys.exit(2)

    p.error = error
    p.add_argument("--runs", type=int, default=5, help="runs of each process per cell, alternated (default 5)")
    # comma lists, as bench takes them, and repeatable, as this command first took them
    p.add_argument("--size", action="append", metavar="D1xD2:K",
                   help="problems, e.g. 2000x1500:10; a comma list, or repeated (default: 500x300:5, 2000x1500:10, "
                        "4096x4096:16)")
    p.add_argument("--dtype", action="append", metavar="DTYPE",
                   help="float32, float64 or both as a comma list, or repeated (default: both)")
    p.add_argument("--work", default=os.path.join(ROOT, "bench", "target", "e2e"),
                   help="where the problems and outputs go (default: bench/target/e2e)")
    p.add_argument("--threads", type=int, metavar="T",
                   help="threads for both: the engine's --threads and numpy's BLAS threads (default: each its own "
                        "default, all cores)")
    p.add_argument("--json", metavar="FILE", help="also write every run's measurements here")
    a = p.parse_args()
    problems = PROBLEMS
    if a.size:
        problems = []
        for spec in [one for given in a.size for one in given.split(",")]:
            try:
                dims, k = spec.split(":")
                d1, d2 = dims.lower().split("x")
                problems.append((int(d1), int(d2), int(k)))
            except ValueError:
                p.error(f"--size: expected D1xD2:K such as 2000x1500:10, got '{spec}'")
    # everything that can be checked is, before the first process starts (a cell takes minutes)
    for d1, d2, k in problems:
        if d1 < 1 or d2 < 1 or not 1 <= k <= min(d1, d2):
            p.error(f"--size {d1}x{d2}:{k}: the sizes must be positive and 1 <= K <= min(D1, D2)")
    if a.runs < 1:
        p.error(f"--runs must be at least 1, got {a.runs}")
    if a.threads is not None and a.threads < 1:
        p.error(f"--threads must be at least 1, got {a.threads}")
    for option, value in (("--json", a.json), ("--work", a.work)):
        if value == "":
            # an unset shell variable: an empty --json is false below, and the cells ran for minutes to write nothing
            p.error(f"{option} '': an empty path (an unset shell variable?); give a name")
    dtypes = []
    for dtype in [one for given in (a.dtype or ["float32,float64"]) for one in given.split(",")]:
        if dtype not in ("float32", "float64"):
            p.error(f"--dtype: expected float32 or float64, got '{dtype}'")
        if dtype not in dtypes:
            dtypes.append(dtype)
    try:
        os.makedirs(a.work, exist_ok=True)
    except OSError as e:
        p.error(f"--work {a.work}: cannot make it ({e.strerror})")
    if a.json:
        json_dir = os.path.dirname(os.path.abspath(a.json))
        if os.path.isdir(a.json) or not os.path.isdir(json_dir) or not os.access(json_dir, os.W_OK):
            p.error(f"--json {a.json}: cannot write a file there")

    import numpy as np
    # the first engine call may build the project: done before timing anything, and before the table, which the
    # JVM's lines on standard error ("N compiler directives added") landed in the middle of
    subprocess.run([os.path.join(ROOT, "autobalance"), "--help"], cwd=ROOT, stdout=subprocess.DEVNULL,
                   check=False)
    print(f"# autobalance bench e2e, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# {machine()}; numpy {np.__version__}, python {platform.python_version()}; {a.runs} "
          f"run{'' if a.runs == 1 else 's'} per cell, alternated; medians")
    print("| problem | dtype | impl | wall s | loaded at s | 1st iteration at s | load s | iterations | "
          "rel. error | CPU s | peak MB | engine/numpy wall | engine/numpy CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    results = []
    for d1, d2, k in problems:
        for dtype in dtypes:
            m_path = problem(a.work, d1, d2, k, dtype)
            runs = {"engine": [], "numpy": []}
            for i in range(a.runs):
                # alternate which goes first, so drift in the machine's load falls on both alike
                order = ["engine", "numpy"] if i % 2 == 0 else ["numpy", "engine"]
                for impl in order:
                    out_dir = os.path.join(a.work, f"out_{impl}")
                    fn = run_engine if impl == "engine" else run_numpy
                    runs[impl].append(fn(m_path, k, dtype, out_dir, a.threads))
            cell = {"d1": d1, "d2": d2, "rank": k, "dtype": dtype, "runs": runs}
            results.append(cell)
            ratio = median(runs["engine"], "wall") / median(runs["numpy"], "wall")
            cpu_ratio = median(runs["engine"], "cpu") / median(runs["numpy"], "cpu")
            for impl in ("engine", "numpy"):
                r = runs[impl]
                iters = sorted({x["iterations"] for x in r})
                print(f"| {d1}x{d2} r={k} | {dtype} | {impl} | {median(r, 'wall'):.2f} | {median(r, 'loaded'):.2f} | "
                      f"{median(r, 'first_iteration'):.2f} | {median(r, 'load'):.3f} | "
                      f"{'/'.join(map(str, iters))} | {median(r, 'relative_error'):.5g} | {median(r, 'cpu'):.2f} | "
                      f"{median(r, 'peak_mb'):.0f} | {f'{ratio:.2f}' if impl == 'engine' else ''} | "
                      f"{f'{cpu_ratio:.2f}' if impl == 'engine' else ''} |", flush=True)
    if a.json:
        # written beside it and renamed: an earlier file of that name stays whole if this fails
        partial = a.json + ".partial"
        with open(partial, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
                       "numpy": np.__version__, "runs": a.runs, "threads": a.threads, "results": results}, f, indent=1)
        os.replace(partial, a.json)


if __name__ == "__main__":
    main()

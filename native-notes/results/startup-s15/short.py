"""Alternated short whole processes; CPU (user+sys) and wall from wait4, medians. Usage: short.py ROUNDS name=ROOT ... -- ARGS"""
import os, subprocess, sys, time, statistics as st
i = sys.argv.index('--')
rounds = int(sys.argv[1]); variants = [a.split('=', 1) for a in sys.argv[2:i]]; args = sys.argv[i + 1:]
res = {n: [] for n, _ in variants}
for r in range(rounds):
    for n, root in (variants if r % 2 == 0 else variants[::-1]):
        t0 = time.perf_counter()
        p = subprocess.Popen([f'{root}/autobalance'] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        res[n].append((time.perf_counter() - t0, ru.ru_utime + ru.ru_stime, ru.ru_utime, ru.ru_stime, os.waitstatus_to_exitcode(status)))
for n, _ in variants:
    x = res[n]
    print(f"{n:8} n={len(x)} exit {sorted(set(e[4] for e in x))} wall {st.median(e[0] for e in x):.3f} cpu {st.median(e[1] for e in x):.3f} "
          f"(user {st.median(e[2] for e in x):.3f} sys {st.median(e[3] for e in x):.3f}) cpu min {min(e[1] for e in x):.3f} max {max(e[1] for e in x):.3f}")

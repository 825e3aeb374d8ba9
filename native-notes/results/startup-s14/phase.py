"""CPU of alt.py runs split at the first iteration: medians of process and C2 CPU before it and after it (to exit).
Usage: python3 phase.py OUT.json (alt.py's)."""
import json, statistics as st, sys
runs = json.load(open(sys.argv[1]))
for v in dict.fromkeys(r['v'] for r in runs):
    rs = [r for r in runs if r['v'] == v]
    def after(r, g): return r['cpu'].get(g, 0) - r['cpu_at']['first_iteration'].get(g, 0)
    def upto(r, g): return r['cpu_at']['first_iteration'].get(g, 0)
    tot = lambda r, f: sum(f(r, g) for g in ('main', 'workers', 'C1', 'C2', 'other'))
    print(f"{v:10} n={len(rs)} load {min(r['load'] for r in rs):.1f}-{max(r['load'] for r in rs):.1f} cpu {st.median(r['cpu_total'] for r in rs):.2f}"
          f" | to it1: cpu {st.median(tot(r, upto) for r in rs):.2f} C2 {st.median(upto(r, 'C2') for r in rs):.2f}"
          f" | it1->exit: cpu {st.median(tot(r, after) for r in rs):.2f} C2 {st.median(after(r, 'C2') for r in rs):.2f}"
          f" | wall {st.median(r['wall'] for r in rs):.2f}")

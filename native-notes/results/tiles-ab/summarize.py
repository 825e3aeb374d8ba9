# Summarises qt.txt (qt.sh's output): per dtype and rank, each run's CPU-time median per side, the ratio of the
# medians of those, and the smallest CPU time of any call. Throwaway, not project code: python3 summarize.py qt.txt
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\w+) (\d+) \S+ (\w+) d=\d+ r=(\d+) .*cpu min ([\d.]+) med ([\d.]+) ms", line)
    if m:
        side, rnd, dt, r, cmin, cmed = m.groups()
        runs.setdefault((dt, int(r)), {}).setdefault(side, []).append((float(cmed), float(cmin)))
print("| dtype | r | before, ms (runs) | after, ms (runs) | after / before | min before / after |")
print("|---|---|---|---|---|---|")
for (dt, r), sides in sorted(runs.items()):
    b, a = sides.get("before", []), sides.get("after", [])
    if not b or not a:
        continue
    mb, ma = statistics.median(x[0] for x in b), statistics.median(x[0] for x in a)
    print(f"| {dt} | {r} | {' / '.join(f'{x[0]:.2f}' for x in b)} | {' / '.join(f'{x[0]:.2f}' for x in a)} | "
          f"{ma / mb:.2f} | {min(x[1] for x in b):.2f} / {min(x[1] for x in a):.2f} |")

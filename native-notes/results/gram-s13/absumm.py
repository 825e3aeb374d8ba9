import sys, re, statistics as st
# after/before per JVM (median of the paired block ratios, inverted when A was the after jar), then over JVMs
res = {}; cur = None
for line in open(sys.argv[1]):
    m = re.match(r'=== A=(\w+) (\w+) (\w+) (\d+) \d+ .*load average: ([\d.]+)', line)
    if m: cur = m.groups(); continue
    m = re.match(r'(gram|step|pass) \S+ d=\d+ r=\d+: A median ([\d.]+) min ([\d.]+) \| B median ([\d.]+) min ([\d.]+) \| B/A median ([\d.]+)', line)
    if m:
        am, amin, bm, bmin, q = map(float, m.groups()[1:])
        if cur[0] == 'after': am, amin, bm, bmin, q = bm, bmin, am, amin, 1 / q
        res.setdefault(cur[1:4], []).append((am, bm, q, amin, bmin, float(cur[4])))
print('case | JVMs | before median ms | after median ms | after/before (per JVM: paired block medians) | minima | load')
for k, v in res.items():
    print(f"{' '.join(k)} | {len(v)} | {st.median(x[0] for x in v):.3f} | {st.median(x[1] for x in v):.3f} | "
          f"{' '.join(f'{x[2]:.3f}' for x in v)} -> {st.median(x[2] for x in v):.3f} | "
          f"{min(x[3] for x in v):.3f} / {min(x[4] for x in v):.3f} | {min(x[5] for x in v)}-{max(x[5] for x in v)}")

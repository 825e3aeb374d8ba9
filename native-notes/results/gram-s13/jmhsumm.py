import sys, json, glob, os, statistics as st
# per benchmark and params: each run's score (ms/op) and cpuMs, before and after, and after/before of the medians
d = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.json'))):
    side = f.rsplit('-', 1)[1][:-5]
    for b in json.load(open(f)):
        key = (b['benchmark'].rsplit('.', 1)[1], b['params']['dtype'], int(b['params']['r']))
        # cpuMs is an EVENTS counter, whose score sums the iterations: the median of its per-iteration values instead
        cpu = st.median(x for fork in b['secondaryMetrics']['cpuMs']['rawData'] for x in fork)
        d.setdefault(key, {}).setdefault(side, []).append((b['primaryMetric']['score'], cpu,
                                                           min(min(x) for x in b['primaryMetric']['rawData'])))
print('kernel dtype r | before ms/op (runs) | after | after/before (medians) | CPU ms per call (median iteration)'
      ' before / after | best iteration before / after')
for k in sorted(d):
    b, a = d[k].get('before', []), d[k].get('after', [])
    if not b or not a:
        continue
    mb, ma = st.median(x[0] for x in b), st.median(x[0] for x in a)
    print(f"{k[0]} {k[1]} {k[2]} | {' '.join(f'{x[0]:.3f}' for x in b)} | {' '.join(f'{x[0]:.3f}' for x in a)} | "
          f"{ma / mb:.3f} | {st.median(x[1] for x in b):.3f} / {st.median(x[1] for x in a):.3f} | "
          f"{min(x[2] for x in b):.3f} / {min(x[2] for x in a):.3f}")

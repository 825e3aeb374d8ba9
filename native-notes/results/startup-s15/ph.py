"""Per-phase medians of alt.py JSON runs: wall and CPU (all threads; main) between the summary clock's marks."""
import json, sys, statistics as st
runs = json.load(open(sys.argv[1]))
order = ['load_start', 'loaded', 'first_iteration', 'done', 'exit']
names = []
for x in runs:
    if x['v'] not in names: names.append(x['v'])
print(f"{'variant':8} {'n':>2} {'load':>5} {'proc CPU':>8} {'wall':>6} | " + ' | '.join(f"{a}->{b} wall/CPU/main" for a, b in zip(['spawn'] + order, order)))
for v in names:
    rs = [x for x in runs if x['v'] == v]
    def mark(x, k): return x['wall'] if k == 'exit' else (0 if k == 'spawn' else x['marks'][k])
    def cpu(x, k, g=None):
        c = x['cpu'] if k == 'exit' else ({} if k == 'spawn' else x['cpu_at'][k])
        return c.get(g, 0) if g else sum(c.values())
    cols = []
    for a, b in zip(['spawn'] + order, order):
        cols.append(f"{st.median(mark(x,b)-mark(x,a) for x in rs):5.3f} {st.median(cpu(x,b)-cpu(x,a) for x in rs):5.3f} {st.median(cpu(x,b,'main')-cpu(x,a,'main') for x in rs):5.3f}")
    print(f"{v:8} {len(rs):2} {st.median(x['load'] for x in rs):5.2f} {st.median(x['cpu_total'] for x in rs):8.3f} {st.median(x['wall'] for x in rs):6.3f} | " + ' | '.join(cols))

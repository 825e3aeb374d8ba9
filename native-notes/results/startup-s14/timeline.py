"""Timeline of one logged factorize run: phases (clock + PROBE marks) against compile tasks from LogCompilation."""
import html, json, re, sys
from collections import defaultdict
log, summary, stderr = sys.argv[1:4]
ATTR = re.compile(r"(\w+)='([^']*)'")
lines = open(log, errors='replace').read().split('\n')
t0 = int(ATTR.findall(lines[1])[-1][1]) / 1000.0 if 'time_ms' in lines[1] else None
for l in lines[:3]:
    m = re.search(r"time_ms='(\d+)'", l)
    if m: t0 = int(m.group(1)) / 1000.0
clock = json.load(open(summary))['clock']
marks = {k: v - t0 for k, v in clock.items()}
passes = []
for l in open(stderr):
    if l.startswith('PROBE'):
        f = l.split()
        if f[1] == 'sigma-start': marks['sigma_start'] = int(f[2]) / 1000 - t0
        elif 'end' in f: marks['sigma_end'] = int(f[-1]) / 1000 - t0
        else: passes.append(int(f[-1]) / 1000 - t0)
order = sorted(marks.items(), key=lambda kv: kv[1])
print('marks (s since JVM start):', ' '.join(f'{k}={v:.3f}' for k, v in order))
print('sigma passes at:', ' '.join(f'{p:.3f}' for p in passes))
# tasks: <task compile_id method stamp compiler? ... > ... <task_done stamp>
tasks = []; cur = None
thread = None
for l in lines:
    if l.startswith('<compilation_log thread'):
        thread = dict(ATTR.findall(l)).get('thread')
    if l.startswith('<task '):
        a = {k: html.unescape(v) for k, v in ATTR.findall(l)}
        cur = a
    elif l.startswith('<task_done') and cur is not None:
        a = dict(ATTR.findall(l))
        cur['end'] = float(a['stamp']); cur['nmsize'] = a.get('nmsize', '0'); cur['ok'] = a.get('success')
        tasks.append(cur); cur = None
def phase(t):
    name = 'before'
    for k, v in order:
        if t >= v: name = k
    return name
agg = defaultdict(lambda: [0, 0.0])
for t in tasks:
    c = 'C2' if t.get('level', '4') == '4' else 'C1'
    m = t['method']
    kind = 'kernels' if m.startswith('org.autobalance.kernel.simd') else 'vectorAPI' if 'incubator.vector' in m or 'internal.vm.vector' in m else 'ours' if m.startswith('org.autobalance') else 'jdk/other'
    st = float(t['stamp']); agg[(phase(st), c, kind)][0] += 1; agg[(phase(st), c, kind)][1] += t['end'] - st
print(f"{'phase(start)':16} {'comp':4} {'kind':10} n  wall_s")
for (ph, c, kind), (n, s) in sorted(agg.items(), key=lambda kv: (marks.get(kv[0][0], -1), kv[0][1], kv[0][2])):
    print(f'{ph:16} {c:4} {kind:10} {n:4} {s:.3f}')
if '-v' in sys.argv:
    for t in tasks:
        if t.get('level', '4') == '4':
            st = float(t['stamp'])
            print(f"{st:7.3f} {t['end']-st:6.3f} {phase(st):14} {'osr' if 'osr_bci' in t else '   '} {t['method'].split(' ')[0].replace('org.autobalance.','')}.{t['method'].split(' ')[1]} bc={t.get('bytes')} nm={t['nmsize']}")

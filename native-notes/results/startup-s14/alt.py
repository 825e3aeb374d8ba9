"""Alternated whole-process runs of ./autobalance factorize with variants given as JDK_JAVA_OPTIONS (or env).
Per run: wall, CPU by thread group (/proc sampled every 10 ms), phase marks (summary clock + PROBE sigma marks).
Usage: [ALT_OUT=/tmp/dir] python3 alt.py OUT.json ROUNDS ROOT M.npy RANK name=OPTS ...   (variants.py: OPTS)"""
import json, os, resource, statistics as st, subprocess, sys, time
from variants import parse
out, rounds, root, m, rank = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
variants = parse(sys.argv[6:])
tick = os.sysconf('SC_CLK_TCK')
def group(comm):
    if comm.startswith('C2 Compiler'): return 'C2'
    if comm.startswith('C1 Compiler'): return 'C1'
    if comm == 'java': return 'main'
    if comm.startswith('autobalance'): return 'workers'
    return 'other'
def sample(pid, acc):
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            s = open(f'/proc/{pid}/task/{tid}/stat').read()
        except OSError:
            continue
        comm = s[s.index('(') + 1:s.rindex(')')]
        f = s[s.rindex(')') + 2:].split()
        acc[tid] = (comm, (int(f[11]) + int(f[12])) / tick)
runs = []
for r in range(rounds):
    for name, opts, env, vroot in (variants if r % 2 == 0 else variants[::-1]):
        o = f"{os.environ.get('ALT_OUT', '/tmp/s14')}/alt-out-{name}"
        load = os.getloadavg()[0]
        e = {**os.environ, **env, 'JDK_JAVA_OPTIONS': ('-Dprobe=true ' + opts).strip()}
        t0 = time.time()
        p = subprocess.Popen([f'{vroot or root}/autobalance', 'factorize', '--input', m, '--rank', rank, '--dtype', os.environ.get('ALT_DTYPE', 'float32'),
                              '--out', o, '--out-format', 'npy'] + os.environ.get('ALT_EXTRA', '').split(), env=e, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        acc = {}
        series = []
        while p.poll() is None:
            try: sample(p.pid, acc)
            except OSError: pass
            g = {}
            for comm, s in acc.values(): g[group(comm)] = g.get(group(comm), 0) + s
            series.append((time.time() - t0, g))
            time.sleep(0.01)
        err = p.stderr.read()
        wall = time.time() - t0
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = {}
        for comm, s in acc.values(): cpu[group(comm)] = cpu.get(group(comm), 0) + s
        c = json.load(open(f'{o}/summary.json'))
        clk = c['clock']
        marks = {k: v - t0 for k, v in clk.items()}
        for l in err.splitlines():
            if l.startswith('PROBE'):
                f = l.split()
                if f[1] in ('sigma-start', 'run', 'engine', 'norm'): marks[f[1].replace('-', '_')] = int(f[2]) / 1000 - t0
                elif 'end' in f: marks['sigma_end'] = int(f[-1]) / 1000 - t0
        cpu_at = {}
        for k, tm in marks.items():
            before = [g for t, g in series if t <= tm]
            cpu_at[k] = before[-1] if before else {}
        runs.append({'cpu_at': cpu_at, 'v': name, 'round': r, 'load': load, 'wall': wall, 'cpu': cpu, 'cpu_total': sum(cpu.values()),
                     'marks': marks, 'iters': c['iterations'], 'err': c['relative_error']})
        print(f"{name:10} load {load:4.2f} wall {wall:5.2f} cpu {sum(cpu.values()):5.2f} " +
              ' '.join(f'{k} {v:.2f}' for k, v in sorted(cpu.items())) + ' | ' +
              ' '.join(f'{k} {v:.2f}' for k, v in sorted(marks.items(), key=lambda kv: kv[1]) if k != 'process_start') +
              f" | it {c['iterations']} err {c['relative_error']:.6f}", flush=True)
json.dump(runs, open(out, 'w'), indent=1)
print('medians:')
for name, _, _, _ in variants:
    rs = [x for x in runs if x['v'] == name]
    md = lambda f: st.median(f(x) for x in rs)
    ph = lambda a, b: md(lambda x: x['marks'][b] - x['marks'][a])
    print(f"{name:10} n={len(rs)} wall {md(lambda x: x['wall']):.3f} cpu {md(lambda x: x['cpu_total']):.3f} " +
          ' '.join(f"{k} {md(lambda x: x['cpu'].get(k, 0)):.2f}" for k in ('main', 'workers', 'C1', 'C2', 'other')) +
          (f" | start->load {md(lambda x: x['marks']['load_start']):.3f} read {ph('load_start','loaded'):.3f}"
           f" loaded->sigma {ph('loaded','sigma_start'):.3f} sigma {ph('sigma_start','sigma_end'):.3f}"
           f" sigma->it1 {ph('sigma_end','first_iteration'):.3f}" if 'sigma_start' in rs[0]['marks']
           else f" | it1 {md(lambda x: x['marks']['first_iteration']):.3f}") +
          f" it1->done {ph('first_iteration','done'):.3f}"
          f" done->exit {md(lambda x: x['wall'] - x['marks']['done']):.3f}")

if os.environ.get('ALT_PHASES'):
    order = ['load_start', 'loaded', 'norm', 'sigma_start', 'sigma_end', 'first_iteration', 'done']
    for name, _, _, _ in variants:
        rs = [x for x in runs if x['v'] == name]
        print(f'{name}: phase | wall s | CPU s main workers C1 C2 other (medians)')
        prev = None
        for k in order + ['exit']:
            def wall(x):
                return (x['wall'] if k == 'exit' else x['marks'][k]) - (x['marks'][prev] if prev else 0)
            def cpu(x, gname):
                end = x['cpu'] if k == 'exit' else x['cpu_at'][k]
                start = x['cpu_at'][prev] if prev else {}
                return end.get(gname, 0) - start.get(gname, 0)
            gs = ('main', 'workers', 'C1', 'C2', 'other')
            print(f"  {(prev or 'spawn') + ' -> ' + k:32} {st.median(wall(x) for x in rs):6.3f} "
                  f"{st.median(sum(cpu(x, g) for g in gs) for x in rs):6.3f} " +
                  ' '.join(f'{st.median(cpu(x, g) for x in rs):5.2f}' for g in gs))
            prev = k

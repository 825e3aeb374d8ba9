"""Where a whole `factorize` process spends its time: runs the launcher (which execs the JVM, same pid), samples every
thread's CPU time from /proc/PID/task/*/stat every 20 ms (the last sample before exit is kept: the last ~20 ms are
missed), and reads the phases' epoch times from summary.json's clock. Variants alternate round by round.

Usage: python3 phases.py OUT.json ROUNDS M.npy RANK DTYPE VARIANT... (VARIANT: aot | noaot | nojit)
"""
import json, os, re, statistics as st, subprocess, sys, time

out, rounds, m, rank, dtype = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
variants = sys.argv[6:]
root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
tick = os.sysconf('SC_CLK_TCK')
ENV = {'aot': {}, 'noaot': {'AUTOBALANCE_AOT': '0'}, 'nojit': {'AUTOBALANCE_JIT': '0'}}


def group(comm):
    if comm.startswith('C2 Compiler'):
        return 'C2'
    if comm.startswith('C1 Compiler'):
        return 'C1'
    if comm == 'java':
        return 'main'
    if comm.startswith('autobalance'):
        return 'workers'
    return 'other JVM'


def sample(pid, acc):
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/stat') as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index('(') + 1:s.rindex(')')]
        fields = s[s.rindex(')') + 2:].split()
        acc[tid] = (comm, (int(fields[11]) + int(fields[12])) / tick)


runs = []
for r in range(rounds):
    for v in (variants if r % 2 == 0 else variants[::-1]):
        o = f'/tmp/phases-out-{v}'
        load = os.getloadavg()[0]
        t0 = time.time()
        p = subprocess.Popen([f'{root}/autobalance', 'factorize', '--input', m, '--rank', rank, '--dtype', dtype,
                              '--out', o, '--out-format', 'npy'], env={**os.environ, **ENV[v]},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        acc = {}
        series = []  # (epoch time, CPU seconds by thread group) after each sample
        while p.poll() is None:
            try:
                sample(p.pid, acc)
            except OSError:
                pass
            g = {}
            for comm, s in acc.values():
                g[group(comm)] = g.get(group(comm), 0) + s
            series.append((time.time(), g))
            time.sleep(0.02)
        wall = time.time() - t0
        c = json.load(open(f'{o}/summary.json'))['clock']
        cpu = {}
        for comm, s in acc.values():
            cpu[group(comm)] = cpu.get(group(comm), 0) + s
        ph = {'jvm+launcher to load start': c['load_start'] - t0, 'read M': c['loaded'] - c['load_start'],
              'loaded to 1st iteration': c['first_iteration'] - c['loaded'],
              '1st iteration to done': c['done'] - c['first_iteration'], 'done to exit': t0 + wall - c['done']}
        # CPU by thread group spent up to each clock mark (the last sample before it)
        at = {}
        for mark in ('load_start', 'loaded', 'first_iteration', 'done'):
            before = [g for t, g in series if t <= c[mark]]
            at[mark] = before[-1] if before else {}
        runs.append({'variant': v, 'round': r, 'load': load, 'wall': wall, 'phases': ph, 'cpu': cpu, 'cpu_at': at})
        print(v, f'load {load:.1f} wall {wall:.2f}', ' '.join(f'{k}: {x:.2f}' for k, x in ph.items()), '| cpu',
              ' '.join(f'{k} {x:.2f}' for k, x in sorted(cpu.items())), flush=True)
json.dump(runs, open(out, 'w'), indent=1)
for v in variants:
    rs = [x for x in runs if x['variant'] == v]
    for mark in ('load_start', 'loaded', 'first_iteration', 'done'):
        print(f'  {v} CPU s by {mark}:', ' '.join(f'{k} {st.median(x["cpu_at"][mark].get(k, 0) for x in rs):.2f}'
                                                 for k in ('main', 'C1', 'C2', 'workers', 'other JVM')))
    print(f'median {v}: wall {st.median(x["wall"] for x in rs):.2f} |',
          ' '.join(f'{k} {st.median(x["phases"][k] for x in rs):.2f}' for k in rs[0]['phases']), '| cpu',
          ' '.join(f'{k} {st.median(x["cpu"].get(k, 0) for x in rs):.2f}' for k in sorted(rs[0]['cpu'])),
          f'total {st.median(sum(x["cpu"].values()) for x in rs):.2f}')

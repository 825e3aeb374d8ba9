"""Steady state through the launcher: factorize --max-iter N --tol 0 --log, variants alternated; per run the median
iteration time of the second half (from the log's cumulative seconds) and the process CPU (wait4).
Usage: [ALT_OUT=/tmp/dir] python3 ss.py ROUNDS ROOT M.npy RANK ITERS THREADS name=OPTS ..."""
import json, os, statistics as st, subprocess, sys, time
from variants import parse
rounds, root, m, rank, iters, threads = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
variants = parse(sys.argv[7:])
res = {n: [] for n, _, _, _ in variants}
for r in range(rounds):
    for name, opts, env, vroot in (variants if r % 2 == 0 else variants[::-1]):
        o = f"{os.environ.get('ALT_OUT', '/tmp/s14')}/ss-{name}"
        log = o + '.log'
        e = {**os.environ, **env, 'JDK_JAVA_OPTIONS': opts}
        load = os.getloadavg()[0]
        p = subprocess.Popen([f'{vroot or root}/autobalance', 'factorize', '--input', m, '--rank', rank, '--dtype', 'float32',
                              '--out', o, '--out-format', 'npy', '--max-iter', iters, '--tol', '0', '--threads', threads,
                              '--log', log], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        cpu = ru.ru_utime + ru.ru_stime
        secs = [json.loads(l)['seconds'] for l in open(log) if l.startswith('{"t"')]
        d = [b - a for a, b in zip(secs, secs[1:])]
        half = d[len(d) // 2:]
        med, mn = st.median(half) * 1e3, min(half) * 1e3
        res[name].append((med, mn, cpu))
        print(f'{name:10} load {load:5.2f} iter median {med:.3f} ms min {mn:.3f} ms  process cpu {cpu:.2f} s', flush=True)
for name in res:
    v = res[name]
    print(f'{name:10} median of medians {st.median(x[0] for x in v):.3f} ms, min {min(x[1] for x in v):.3f} ms, '
          f'cpu {st.median(x[2] for x in v):.2f} s')

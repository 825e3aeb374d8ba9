import sys, re, statistics as st
# per corun: median A and B CPU ms of the blocks inside the spinner's window and outside it
runs = []; cur = None
for line in open(sys.argv[1]):
    if line.startswith('=== corun'):
        cur = {'kind': line.split()[2], 'load': line.split('average:')[1].split(',')[0].strip(), 'b': []}
        runs.append(cur); continue
    m = re.match(r'spinner (start|end) (\d+)', line)
    if m: cur[m.group(1)] = int(m.group(2)); continue
    m = re.match(r'block +\d+ t (\d+) A ([\d.]+) B ([\d.]+)', line)
    if m: cur['b'].append((int(m.group(1)), float(m.group(2)), float(m.group(3))))
for r in runs:
    inn = [b for b in r['b'] if r['start'] + 300 <= b[0] <= r['end']]
    out = [b for b in r['b'] if b[0] < r['start'] or b[0] > r['end'] + 300]
    f = lambda xs, i: f'{st.median(x[i] for x in xs):.3f}' if xs else '-'
    print(f"{r['kind']:4s} load {r['load']:5s} | spinner on: {len(inn):2d} blocks A {f(inn,1)} B {f(inn,2)} | "
          f"off: {len(out):2d} blocks A {f(out,1)} B {f(out,2)}")

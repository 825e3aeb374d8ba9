import sys, re, statistics as st
# medians over rounds, per variant and case: iter0 ms, wall steady, wall late, total, CPU steady, CPU late
data = {}; loads = {}
cur = None
for line in open(sys.argv[1]):
    m = re.match(r'=== (\S+) round .*load average: ([\d.]+)', line)
    if m: cur = m.group(1); idx = 0; loads.setdefault(cur, []).append(float(m.group(2))); continue
    p = line.split()
    if len(p) == 14 and re.match(r'\d+x\d+', p[0]):
        key = (idx, f'{p[0]}:{p[1]}:{p[2]}'); idx += 1
        data.setdefault(key, {}).setdefault(cur, []).append([float(x) for x in (p[4], p[8], p[10], p[11], p[12], p[13])])
vs = sys.argv[2:]
print('columns per variant: iter0 ms, steady ms, late ms (wall); steady, late (CPU ms); total ms — medians of',
      {v: len(loads.get(v, [])) for v in vs}, 'runs; load', {v: (min(loads[v]), max(loads[v])) for v in vs if v in loads})
print(f'{"#  case":27s}' + ''.join(f'| {v:^44s}' for v in vs))
for key in sorted(data):
    row = f'{key[0]:2d} {key[1]:24s}'
    for v in vs:
        a = data[key].get(v, [])
        med = [st.median(x[i] for x in a) for i in range(6)] if a else [0]*6
        row += f'| {med[0]:6.1f} {med[1]:6.2f} {med[2]:6.2f} {med[4]:6.2f} {med[5]:6.2f} {med[3]:7.0f} '
    print(row)

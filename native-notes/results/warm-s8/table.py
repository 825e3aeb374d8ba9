import sys,re,collections
runs=collections.OrderedDict()
cur=None
for line in open(sys.argv[1]):
    m=re.match(r'== round (\d+) (\S+) threads',line)
    if m: cur=(m.group(2),int(m.group(1))); runs[cur]=[]; continue
    m=re.match(r'^(\d+x\d+)\s+(\d+)\s+(float\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)',line)
    if m and cur: runs[cur].append(m.groups())
variants=[v for v in ['main','branch','options'] if any(k[0]==v for k in runs)]
n=len(next(iter(runs.values())))
rounds=sorted(set(k[1] for k in runs))
print('| # | case | '+' | '.join(f'{v}: iter 0 / steady ms (ratio), late ms' for v in variants)+' |')
print('|---|---|'+'---|'*len(variants))
for i in range(n):
    first=runs[(variants[0],rounds[0])][i]
    cells=[]
    for v in variants:
        parts=[]
        for r in rounds:
            g=runs[(v,r)][i]
            parts.append(f'{float(g[4]):.1f} / {float(g[8]):.2f} (**{float(g[9]):.1f}**), {float(g[10]):.2f}' if float(g[9])>3 else f'{float(g[4]):.1f} / {float(g[8]):.2f} ({float(g[9]):.1f}), {float(g[10]):.2f}')
        cells.append('; '.join(parts))
    print(f'| {i} | {first[0]} r={first[1]} {first[2]} | '+' | '.join(cells)+' |')

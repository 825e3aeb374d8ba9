import sys, re, statistics as st
d = {}; loads = []
cur = None
for line in open(sys.argv[1]):
    m = re.match(r'=== (\S+) (\S+) (\S+) .*load average: ([\d.]+)', line)
    if m: cur = m.group(1); loads.append(float(m.group(4))); continue
    m = re.match(r'simd-\d+ (\S+) (\S+) d=\d+ r=(\d+) .*cpu min ([\d.]+) med ([\d.]+) ms', line)
    if m:
        k, dt, r, cmin, cmed = m.groups()
        d.setdefault((k, dt, int(r)), {}).setdefault(cur, []).append((float(cmed), float(cmin)))
print('load', min(loads), max(loads))
print('kernel dtype r | before CPU medians (runs) -> median | after ... | after/before | minima before/after')
for key in sorted(d):
    b = d[key].get('main', []); a = d[key].get('br', [])
    mb = st.median(x[0] for x in b); ma = st.median(x[0] for x in a)
    print(f'{key[0]:5s} {key[1]} {key[2]:3d} | {" ".join(f"{x[0]:.3f}" for x in b)} -> {mb:.3f} | '
          f'{" ".join(f"{x[0]:.3f}" for x in a)} -> {ma:.3f} | {ma/mb:.3f} | {min(x[1] for x in b):.3f} / {min(x[1] for x in a):.3f}')

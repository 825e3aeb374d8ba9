import re,sys,collections,statistics
cur=None; d=collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    m=re.match(r'== (\S+) (\S+)',line)
    if m: cur=m.groups(); continue
    m=re.search(r'(float\d\d) d=\d+ r=(\d+) .*cpu min ([\d.]+) med ([\d.]+)',line)
    if m and cur: d[(m.group(1),int(m.group(2)))][cur[1]].append((float(m.group(4)),float(m.group(3))))
print("| dtype | r | old med (runs) | new med (runs) | new/old (median of medians) | min old / new |")
print("|---|---|---|---|---|---|")
for k in sorted(d):
    o=d[k]['old']; n=d[k]['new']
    mo=statistics.median([x[0] for x in o]); mn=statistics.median([x[0] for x in n])
    print(f"| {k[0]} | {k[1]} | {' / '.join('%.2f'%x[0] for x in o)} | {' / '.join('%.2f'%x[0] for x in n)} | {mn/mo:.2f} | {min(x[1] for x in o):.2f} / {min(x[1] for x in n):.2f} |")

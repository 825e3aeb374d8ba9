import sys,re,statistics as st,collections
d=collections.defaultdict(list); al=collections.defaultdict(list)
for f in sys.argv[1:]:
    for l in open(f):
        m=re.match(r'(old|new) (\w+) (observed|fused) +r=(\d+) min ([\d.]+) median ([\d.]+) ms alloc (\d+)',l)
        if m:
            v,t,p,r,mn,md,a=m.groups(); k=(t,p,int(r))
            d[k+(v,)].append(float(md)); al[k+(v,)].append(int(a))
keys=sorted(set(k[:3] for k in d))
print('| pass | old ms: median (range) | new ms: median (range) | new/old | old B/pass | new B/pass |')
print('|---|---|---|---|---|---|')
for k in keys:
    o=d[k+('old',)]; n=d[k+('new',)]
    print('| %s %s r = %d | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.3f | %s | %s |'%(k[0],k[1],k[2],st.median(o),min(o),max(o),st.median(n),min(n),max(n),st.median(n)/st.median(o),
        '/'.join(str(x) for x in al[k+('old',)]), '/'.join(str(x) for x in al[k+('new',)])))

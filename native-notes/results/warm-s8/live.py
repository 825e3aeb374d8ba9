import re,sys
# which org.autobalance.kernel/parallel methods have no live whole-method C2 (level 4, not OSR) version at each run's start mark
live={}  # method -> {cid: (level, osr)}
seen=set()
pat=re.compile(r'^\s*(\d+)\s+(\d+)\s+([%sbn! ]{5,6})\s*(\d)\s+(\S+)')
for line in open(sys.argv[1]):
    if line.startswith('@ run') and 'start' in line:
        missing=sorted(m for m in seen if not any(l==4 and not o for (l,o) in live.get(m,{}).values()))
        print(line.strip(), '| without whole C2:', ', '.join(x.split('.')[-1] for x in missing))
        continue
    m=re.match(r'^\s*(\d+)\s+(\d+)\s+(.{6})\s*(\d)\s+(\S+::\S+)',line)
    if not m: continue
    cid=int(m.group(2)); flags=m.group(3); lvl=int(m.group(4)); meth=m.group(5)
    if not meth.startswith('org.autobalance.kernel.simd') : continue
    if meth.split('::')[1] in ('<init>','<clinit>'): continue
    seen.add(meth)
    if 'made not entrant' in line or 'made zombie' in line:
        live.get(meth,{}).pop(cid,None)
    else:
        live.setdefault(meth,{})[cid]=(lvl,'%' in flags)

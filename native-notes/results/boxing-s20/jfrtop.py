import json,collections,sys
d=json.load(open(sys.argv[1]))
c=collections.Counter()
for e in d['recording']['events']:
    st=e['values'].get('stackTrace')
    if not st: continue
    fr=st['frames']
    key=tuple((f['method']['type']['name'].split('/')[-1]+'.'+f['method']['name'], f['lineNumber'], f['type'][0]) for f in fr[:int(sys.argv[3])])
    c[key]+=e['values']['weight']
tot=sum(c.values())
for k,v in c.most_common(int(sys.argv[2])):
    print('%.1f%%'%(100*v/tot), ' <- '.join('%s:%s%s'%(a,b,t) for a,b,t in k))

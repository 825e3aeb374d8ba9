import re, sys, html
# for each C2 task of a kernel method: the calls bound from profile (predicted_call on jdk.incubator.vector) with the callee and the caller chain
log = sys.argv[1]; want = sys.argv[2]
txt = open(log, errors='replace').read()
for m in re.finditer(r"<task compile_id='(\d+)'[^>]*method='org\.autobalance\.kernel\.simd\.(\w+) (\w+) [^>]*>", txt):
    name = m.group(2) + '.' + m.group(3)
    if name != want or "level='4'" not in m.group(0) and 'level=' in m.group(0): continue
    end = txt.find('</task>', m.end()); body = txt[m.end():end]
    klass = dict(re.findall(r"<klass id='(\d+)' name='([^']+)'", body))
    meth = {}
    for mm in re.finditer(r"<method id='(\d+)' holder='(\d+)' name='([^']+)'", body):
        meth[mm.group(1)] = klass.get(mm.group(2), '?').split('/')[-1] + '.' + mm.group(3)
    stack = []; out = []
    lines = body.split('\n')
    lastcall = None
    for l in lines:
        if l.startswith('<parse method='):
            stack.append(meth.get(re.search(r"method='(\d+)'", l).group(1), '?'))
        elif l.startswith('</parse>'):
            stack.pop()
        elif l.startswith('<call method='):
            lastcall = meth.get(re.search(r"method='(\d+)'", l).group(1), '?')
        elif l.startswith('<predicted_call') and "exact='1'" in l:
            k = klass.get(re.search(r"klass='(\d+)'", l).group(1), '?')
            if 'incubator' in k:
                out.append(' > '.join(s.split('.')[-1] for s in stack[-3:]) + f' :: {lastcall} on {k.split(".")[-1]}')
    print('compile', m.group(1), name, len(out))
    for o in sorted(set(out)): print('   ', o, out.count(o))

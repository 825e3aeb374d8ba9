import re, sys
# Reads a -XX:+PrintCompilation log with WarmStart "marks"; at each "@ run k iteration T" with T in the chosen set,
# lists the kernel methods that have no live whole-method C2 (level 4) code, with what they have.
pat = re.compile(r'^\s*(\d+)\s+(\d+)\s+([%sbn! ]*?)\s*(\d)\s+(\S+::\S+)(?: @ (\d+))?\s+\((\d+) bytes\)(.*)$')
mark = re.compile(r'@ run (\d+) (?:iteration (\d+)|(.+?) start)')
deo = re.compile(r'Uncommon trap.*?reason=(\S+).*?method=(\S+)|DEOPT \S+.*?(org\.autobalance\S+)')
live = {}      # compile id -> (method, level, osr)
everm = set()
want = set(int(x) for x in sys.argv[2].split(',')) if len(sys.argv) > 2 else {4}
pkg = sys.argv[3] if len(sys.argv) > 3 else 'org.autobalance.kernel.simd'
runs = {}
for line in open(sys.argv[1], errors='replace'):
    m = pat.match(line)
    if m:
        ts, cid, flags, lvl, meth, osr, size, rest = m.groups()
        if not meth.startswith(pkg):
            continue
        meth = meth[len(pkg) + 1:]
        everm.add(meth)
        if 'made not entrant' in rest or 'made zombie' in rest:
            live.pop(cid, None)
        else:
            live[cid] = (meth, int(lvl), osr is not None or '%' in flags)
        continue
    mm = mark.search(line)
    if mm:
        run, it, spec = mm.groups()
        if spec:
            runs[run] = spec
            print(f'--- run {run} {spec}')
            continue
        if int(it) in want:
            st = {}
            for meth, lvl, osr in live.values():
                st.setdefault(meth, []).append(f'{"osr" if osr else ""}{lvl}')
            bad = [f'{k}[{",".join(sorted(v))}]' for k, v in sorted(st.items()) if '4' not in v]
            none = sorted(everm - set(st))
            print(f'  it{it}: not C2-whole: {" ".join(bad)}' + (f'  | no code: {" ".join(none)}' if none else ''))

#!/usr/bin/env python3
"""Prints the innermost loops of C2-compiled methods from a -XX:+PrintAssembly log, with a per-loop tally.

Usage: asm-loops.py LOG [METHOD_REGEX]   (native-notes/tools/README.md)

For each method matching METHOD_REGEX (against Class::method) it takes the last C2 compilation of the whole
method (an OSR compilation, marked %, only when there is no other), finds its loops as backward branches, and
prints every innermost loop (one that contains no other, and no call) that has vector instructions, followed by a tally:
instructions, FMAs, broadcasts, vector loads and stores, memory operands folded into arithmetic, stack accesses
(rsp-relative: spills and reloads), the vector registers named and their widths, branches. The log must be in
Intel syntax (-XX:PrintAssemblyOptions=intel), as print-kernel-asm.sh makes it.
"""
import re
import sys

HEADER = re.compile(r'^Compiled method \((c[12])\)\s+\d+\s+(\d+)\s+([%sbn! ]*?)\s*(\d)\s+(\S+::\S+)')
INSN = re.compile(r'^\s+0x([0-9a-f]+):\s+(\S+)\s*([^;]*?)\s*(;.*)?$')
VREG = re.compile(r'\b([xyz]mm)(\d+)\b')
MEM = re.compile(r'\[[^\]]*\]')


def compilations(path):
    """Yields (tier, compile id, osr, name, [(address, mnemonic, operands, comment)]) for each compiled method."""
    current = None
    with open(path, errors='replace') as f:
        for line in f:
            h = HEADER.match(line)
            if h:
                if current:
                    yield current
                current = (h.group(1), int(h.group(2)), '%' in h.group(3), h.group(5), [])
                continue
            if current is None:
                continue
            m = INSN.match(line)
            if m:
                current[4].append((int(m.group(1), 16), m.group(2), m.group(3), (m.group(4) or '').strip()))
    if current:
        yield current


def loops(code):
    """Innermost loops as (first index, last index) into code: spans of backward branches with no other inside."""
    index = {a: i for i, (a, _, _, _) in enumerate(code)}
    spans = []
    for i, (a, mn, ops, _) in enumerate(code):
        if mn.startswith('j'):
            t = re.match(r'0x([0-9a-f]+)$', ops)
            if t and int(t.group(1), 16) <= a and int(t.group(1), 16) in index:
                spans.append((index[int(t.group(1), 16)], i))
    # a span with a call in it is out-of-line code (a trap or a slow path) that jumps back, not a hot loop
    spans = [s for s in spans if not any(mn.startswith('call') for _, mn, _, _ in code[s[0]:s[1] + 1])]
    # innermost: no other loop's back-edge lies inside the span (this also drops a strip-mined outer loop that jumps
    # back into the second instruction of its inner loop, which plain containment would keep)
    return [s for s in spans if not any(o != s and s[0] <= o[1] < s[1] for o in spans)]


def tally(body):
    t = dict(insns=len(body), fma=0, bcast=0, vload=0, vstore=0, folded=0, stack=0, branch=0, scalar=0)
    regs = {}
    for _, mn, ops, _ in body:
        operands = [o.strip() for o in re.split(r',(?![^\[]*\])', ops)] if ops else []
        vector = bool(VREG.search(ops)) and mn.startswith('v')
        mem = [k for k, o in enumerate(operands) if MEM.search(o)]
        if 'rsp' in ''.join(MEM.findall(ops)):
            t['stack'] += 1
        if mn.startswith('j'):
            t['branch'] += 1
        if re.match(r'vf[n]?m(add|sub)', mn):
            t['fma'] += 1
            if mem:
                t['folded'] += 1
        elif 'broadcast' in mn:
            t['bcast'] += 1
        elif vector and mn.startswith('vmov') and mem:
            t['vstore' if mem[0] == 0 else 'vload'] += 1
        elif vector and mem:
            t['folded'] += 1
        if not vector:
            t['scalar'] += 1
        for kind, n in VREG.findall(ops):
            regs.setdefault(kind, set()).add(int(n))
    t['regs'] = ', '.join(f'{len(v)} {k} (max {k}{max(v)})' for k, v in sorted(regs.items()))
    return t


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: asm-loops.py LOG [METHOD_REGEX]')
    pattern = re.compile(sys.argv[2] if len(sys.argv) > 2 else '.')
    chosen = {}
    for tier, cid, osr, name, code in compilations(sys.argv[1]):
        if tier != 'c2' or not pattern.search(name) or not code:
            continue
        old = chosen.get(name)
        if old is None or (old[1] and not osr) or (old[1] == osr and cid > old[0]):
            chosen[name] = (cid, osr, code)
    if not chosen:
        sys.exit(f'asm-loops.py: no C2 compilation matching {pattern.pattern} in {sys.argv[1]}')
    for name, (cid, osr, code) in sorted(chosen.items()):
        print(f'== {name}  (C2 compile id {cid}{", OSR" if osr else ""}, {len(code)} instructions)')
        for first, last in loops(code):
            body = code[first:last + 1]
            t = tally(body)
            if not VREG.search(' '.join(ops for _, _, ops, _ in body)):
                continue
            size = code[last + 1][0] - code[first][0] if last + 1 < len(code) else 0
            print(f'-- loop 0x{code[first][0]:x}..0x{code[last][0]:x} ({size} bytes)')
            for a, mn, ops, comment in body:
                print(f'   {a & 0xffff:04x}: {mn:<14} {ops}' + (f'   {comment}' if comment.startswith('; {') else ''))
            print(f'   tally: {t["insns"]} instructions: {t["fma"]} FMA, {t["bcast"]} broadcast, {t["vload"]} vector '
                  f'load, {t["vstore"]} vector store, {t["folded"]} memory operand(s) folded into arithmetic, '
                  f'{t["stack"]} stack access(es), {t["branch"]} branch(es), {t["scalar"]} scalar; registers: '
                  f'{t["regs"]}')
        print()


main()

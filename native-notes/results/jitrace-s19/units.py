#!/usr/bin/env python3
"""Per C2 task of the sparse observed pass (or the methods named): the unit's nodes when its parse ended (C2's
inlining cutoff is 18 000), the kernel-package calls it inlined or not (reason), and Vector API calls bound from a
type profile. Usage: units.py LOG [METHOD-SUBSTRING...] (default: Sparse.observed, Sparse.update; "" alone: every
compile of the engine's code past C2's inlining cutoff)"""
import re
import sys

TASK = re.compile(r"<task compile_id='(\d+)'( compile_kind='osr')? method='([\w.$]+) ([\w$]+) [^>]*>")
text = open(sys.argv[1], encoding="iso-8859-1").read()
wanted = sys.argv[2:] or ["Sparse.observed", "Sparse.update"]
for t in TASK.finditer(text):
    if " level='" in t.group(0) and " level='4'" not in t.group(0):
        continue
    name = t.group(3).rsplit(".", 1)[-1] + "." + t.group(4)
    if not any(w in name for w in wanted) or not t.group(3).startswith("org.autobalance."):
        continue
    end = text.find("</task>", t.end())
    body = text[t.end():end if end >= 0 else len(text)]
    klass = dict(re.findall(r"<klass id='(\d+)' name='([^']+)'", body))
    meth = {m[0]: klass.get(m[1], "?").rsplit(".", 1)[-1] + "." + m[2]
            for m in re.findall(r"<method id='(\d+)' holder='(\d+)' name='([^']+)'", body)}
    calls = []
    for c in re.finditer(r"<call method='(\d+)'[^>]*>\s*<inline_(success|fail) reason='([^']*)'", body):
        k = klass.get(re.search(r"<method id='%s' holder='(\d+)'" % c.group(1), body).group(1), "")
        if k.startswith("org.autobalance.kernel.simd.") and meth[c.group(1)].split(".")[1] not in ("load", "sum",
                                                                                                   "exact"):
            calls.append("%s %s" % (meth[c.group(1)], c.group(3)))
    nodes = max([int(n) for n in re.findall(r"<parse_done nodes='(\d+)'", body)] or [0])
    prof = sorted({klass.get(k, "?").rsplit(".", 1)[-1] for k in
                   re.findall(r"<predicted_call bci='\d+' exact='1' klass='(\d+)'", body)
                   if klass.get(k, "").startswith("jdk.incubator.vector.")})
    cut = body.count("reason='NodeCountInliningCutoff'")
    if wanted == [""] and not cut:
        continue
    print("%s %s%s nodes %d%s%s: %s" % (t.group(1), name, " osr" if t.group(2) else "", nodes,
                                       " PROFILE-BOUND %s" % prof if prof else "",
                                       " past the cutoff (%d calls)" % cut if cut else "", "; ".join(calls) or "-"))

#!/usr/bin/env python3
"""Reads a HotSpot -XX:+LogCompilation file and prints, per C2 task of a kernel-package method: its compile id,
method, inlined bytes, late inlines, Vector API calls bound from a type profile, and the inlining decision (reason)
at each call of another kernel-package method. Usage: inlines.py LOG [METHOD-SUBSTRING...]"""
import re
import sys

TASK = re.compile(r"<task compile_id='(\d+)'(?: compile_kind='osr')? method='org\.autobalance\.kernel\.simd\.(\w+) "
                  r"(\w+) [^>]*>")
KLASS = re.compile(r"<klass id='(\d+)' name='([^']+)'")
METHOD = re.compile(r"<method id='(\d+)' holder='(\d+)' name='([^']+)'")
EVENT = re.compile(r"<call method='(\d+)'[^>]*>|<inline_(success|fail) reason='([^']*)'|<late_inline method='(\d+)'"
                   r"|<predicted_call bci='\d+' exact='1' klass='(\d+)'|<task_done [^>]*>")

text = open(sys.argv[1], encoding="iso-8859-1").read()
wanted = sys.argv[2:]
for t in TASK.finditer(text):
    if " level='" in t.group(0) and " level='4'" not in t.group(0):
        continue
    name = t.group(2) + "." + t.group(3)
    if wanted and not any(w in name for w in wanted):
        continue
    end = text.find("</task>", t.end())
    body = text[t.end():end if end >= 0 else len(text)]
    klasses = dict(KLASS.findall(body))
    methods = {m[0]: (klasses.get(m[1], "?"), m[2]) for m in METHOD.findall(body)}
    calls, late, profiled, done, last = [], 0, set(), "", None
    for e in EVENT.finditer(body):
        if e.group(1):
            last = methods.get(e.group(1), ("?", "?"))
        elif e.group(2):
            if last and last[0].startswith("org.autobalance.kernel.simd."):
                calls.append("%s.%s %s: %s" % (last[0].rsplit(".", 1)[1], last[1], e.group(2), e.group(3)))
            last = None
        elif e.group(4):
            late += 1
        elif e.group(5):
            k = klasses.get(e.group(5), "?")
            if k.startswith("jdk.incubator.vector."):
                profiled.add(k.rsplit(".", 1)[1])
        else:
            done = e.group(0)
    inl = re.search(r"inlined_bytes='(\d+)'", done)
    nm = re.search(r"nmsize='(\d+)'", done)
    osr = " osr" if "compile_kind='osr'" in t.group(0) else ""
    print("%s %s%s inlined_bytes=%s nmsize=%s late_inlines=%d profiled=%s" % (
        t.group(1), name, osr, inl.group(1) if inl else "?", nm.group(1) if nm else "?", late,
        sorted(profiled) if profiled else "-"))
    for c in calls:
        print("    " + c)

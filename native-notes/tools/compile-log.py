"""Summarises a HotSpot compilation log (-XX:+LogCompilation) of one run: compile-thread time by compiler and by what
was compiled, then every C2 compile of the SIMD kernels in order (start, duration, on-stack or whole, size, inlined
bytes, the traps that had invalidated earlier code), then the traps hit in kernel code, then the kernel code thrown
away for another reason than a trap: a dependency of the compiled code failed, e.g. a class loaded after the compile
(a second species' mask class) broke an assumption of class-hierarchy analysis (the classes that broke it are listed).

    JDK_JAVA_OPTIONS="-XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=/tmp/c.log" \\
        ./autobalance factorize --input M.npy --rank 10 --dtype float32 --out /tmp/o --out-format npy
    python3 native-notes/tools/compile-log.py /tmp/c.log

Times are the log's stamps (seconds since the JVM started, wall clock): on a loaded machine a compile's duration is
mostly the compiler thread waiting for a core. Developer tool, not part of the build (native-notes/startup.md).
"""
import html
import re
import sys
from collections import Counter, defaultdict

KERNELS = "org.autobalance.kernel.simd."
ATTR = re.compile(r"(\w+)='([^']*)'")


def attrs(line):
    return {k: html.unescape(v) for k, v in ATTR.findall(line)}


def short(method):
    """'org.x.Class name (sig)' -> 'Class.name'."""
    parts = method.split(" ")
    return parts[0].rsplit(".", 1)[-1] + "." + parts[1]


def main(path):
    tasks, traps, names = [], Counter(), {}
    # kernel code made not entrant without a trap, and the dependencies that failed, by log stamp
    invalidated, witnesses = [], defaultdict(set)
    task = None
    lines = open(path, errors="replace").read().split("\n")
    for i, line in enumerate(lines):
        if line.startswith("<task "):
            task = attrs(line)
        elif line.startswith("<task_done") and task is not None:
            done = attrs(line)
            task["seconds"] = float(done["stamp"]) - float(task["stamp"])
            task["nmsize"] = done.get("nmsize", "-")
            task["inlined"] = done.get("inlined_bytes", "-")
            tasks.append(task)
            task = None
        elif line.startswith("<failure") and task is not None:
            task["failure"] = attrs(line).get("reason", "")
        elif line.startswith(("<task_queued", "<nmethod")):
            a = attrs(line)
            if "method" in a:
                names[a["compile_id"]] = a["method"]
        elif line.startswith("<dependency_failed"):
            a = attrs(line)
            witnesses[a.get("stamp")].add(a.get("type", "?") + ": " + a.get("witness", "?").replace("/", "."))
        elif line.startswith("<make_not_entrant") and "reason='uncommon trap'" not in line:
            a = attrs(line)
            if names.get(a.get("compile_id"), "").startswith(KERNELS):
                invalidated.append((a.get("stamp"), a["compile_id"], short(names[a["compile_id"]]), a.get("reason")))
        elif line.startswith("<uncommon_trap thread") and "count=" not in line:
            # the first of the two records of a trap; the next line is its innermost frame
            a, frame = attrs(line), attrs(lines[i + 1])
            method = names.get(a.get("compile_id"), "")
            if method.startswith(KERNELS) and "method" in frame:
                traps[(short(method), a["compile_id"], a["reason"], short(frame["method"]), frame.get("bci"))] += 1

    total, count = defaultdict(float), Counter()
    for t in tasks:
        compiler = "C2" if t.get("level", "4") == "4" else "C1"
        m = t["method"]
        what = ("kernels" if m.startswith(KERNELS) else
                "Vector API" if m.startswith(("jdk.incubator.vector", "jdk.internal.vm.vector")) else "other")
        total[(compiler, what)] += t["seconds"]
        count[(compiler, what)] += 1
    print("compiler  what        tasks  compile-thread s")
    for key in sorted(total):
        print(f"{key[0]:9s} {key[1]:10s} {count[key]:6d}  {total[key]:8.3f}")

    print("\nC2 compiles of the kernels (id, start s, duration s, kind, method, bytecodes, code bytes, inlined bytes)")
    for t in tasks:
        if t["method"].startswith(KERNELS) and t.get("level", "4") == "4":
            kind = "osr@" + t["osr_bci"] if t.get("compile_kind") == "osr" else "whole"
            history = " ".join(f"{k}={t[k]}" for k in ("decompiles", "unstable_if_traps", "profile_predicate_traps",
                                                       "predicate_traps", "overflow_recompiles") if k in t)
            print(f"{t['compile_id']:>5} {float(t['stamp']):7.3f} {t['seconds']:6.3f} {kind:8s} "
                  f"{short(t['method']):30s} {t['bytes']:>5} {t['nmsize']:>6} {t['inlined']:>5} "
                  f"{t.get('failure', '')} {history}")

    print("\ntraps hit in kernel code (count, compiled method, compile id, reason, innermost method, bci)")
    for key, n in sorted(traps.items(), key=lambda kv: int(kv[0][1])):
        print(n, *key)

    print("\nkernel code invalidated without a trap (stamp s, compile id, method, reason; failed dependencies then)")
    for stamp, cid, method, reason in invalidated:
        print(stamp, cid, method, reason, "; ".join(sorted(witnesses.get(stamp, ()))))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: compile-log.py LOGFILE")
    main(sys.argv[1])

import re, sys, html
# compile tasks (any method) whose compilation overlaps each measurement window printed by SeqProbe
log, out = sys.argv[1], sys.argv[2]
wins = [(l.split()[0], float(m.group(1)), float(m.group(2))) for l in open(out) for m in [re.search(r'\[([\d.]+)-([\d.]+)\]', l)] if m]
tasks = []
cur = None
for line in open(log, errors='replace'):
    if line.startswith('<task ') and 'compile_id' in line:
        a = dict(re.findall(r"(\w+)='([^']*)'", line)); cur = (a['compile_id'], html.unescape(a['method']), a.get('level'), float(a['stamp']))
    elif line.startswith('<task_done') and cur:
        st = float(re.search(r"stamp='([\d.]+)'", line).group(1)); tasks.append(cur + (st,)); cur = None
for tag, a, b in wins:
    inside = [t for t in tasks if t[4] > a and t[3] < b]
    c2 = [t for t in inside if t[2] == '4']
    busy = sum(min(t[4], b) - max(t[3], a) for t in c2)
    print(f"{tag} window {a:.2f}-{b:.2f}s: {len(inside)} compilations overlap ({len(c2)} C2, {busy*1e3:.0f} ms of C2 compile time); C2: " + '; '.join(t[1].split(' (')[0].split('.')[-1] for t in c2[:6]))

import re, sys, html
# print the inlining decisions (depth 1 and 2 under the root) of compile id in log
log, cid = sys.argv[1], sys.argv[2]
inside = False; methods = {}; depth = 0; pending = None
for line in open(log, errors='replace'):
    if line.startswith('<task ') and f"compile_id='{cid}'" in line:
        inside = True; print(html.unescape(line[:200])); continue
    if not inside: continue
    if line.startswith('<task_done'): print(line.strip()[:200]); break
    if line.startswith('<method '):
        a = dict(re.findall(r"(\w+)='([^']*)'", line)); methods[a['id']] = (a.get('holder'), a.get('name'), a.get('bytes'))
    elif line.startswith('<klass '):
        a = dict(re.findall(r"(\w+)='([^']*)'", line)); methods['k' + a['id']] = a.get('name')
    elif line.startswith('<call '):
        a = dict(re.findall(r"(\w+)='([^']*)'", line)); pending = a
    elif line.startswith('<inline_fail') or line.startswith('<inline_success'):
        if pending:
            m = methods.get(pending['method'], ('?', '?', '?'))
            name = m[1]
            holder = methods.get('k' + (m[0] or ''), '')
            if 'autobalance' in holder or 'Arrays' in holder:
                print(f"  {depth} {holder.split('/')[-1]}.{name} bytes={m[2]} count={pending.get('count')} -> {line.strip()[:90]}")
        pending = None
    elif line.startswith('<parse ') : depth += 1
    elif line.startswith('</parse>'): depth -= 1

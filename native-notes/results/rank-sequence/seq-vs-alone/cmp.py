import re, sys, collections, html
HOT = re.compile(r'org\.autobalance\.(kernel\.simd|parallel)\.')
def parse_log(path):
    tasks = {}
    cur = None; methods = {}
    for line in open(path, errors='replace'):
        if line.startswith('<task ') and 'compile_id' in line:
            a = dict(re.findall(r"(\w+)='([^']*)'", line))
            cur = {'id': a['compile_id'], 'method': html.unescape(a['method']), 'osr': a.get('osr_bci'), 'level': a.get('level'),
                   'stamp': a.get('stamp'), 'fails': collections.Counter(), 'traps': collections.Counter(), 'inl': collections.Counter(), 'pred': 0, 'nm': None}
            methods = {}
            tasks[cur['id']] = cur
        elif cur is None:
            continue
        elif line.startswith('<method '):
            a = dict(re.findall(r"(\w+)='([^']*)'", line))
            methods[a['id']] = a.get('holder', '') + '::' + a.get('name', '')
        elif line.startswith('<inline_fail'):
            cur['fails'][re.search(r"reason='([^']*)'", line).group(1)] += 1
        elif line.startswith('<inline_success'):
            cur['inl']['ok'] += 1
        elif line.startswith('<uncommon_trap') and 'reason' in line and 'bci' in line and 'thread' not in line:
            cur['traps'][re.search(r"reason='([^']*)'", line).group(1)] += 1
        elif line.startswith('<predicted_call'):
            cur['pred'] += 1
        elif line.startswith('<task_done'):
            m = re.search(r"nmsize='(\d+)'", line)
            cur['nm'] = int(m.group(1)) if m else None
            cur = None
    return tasks
def alive(codelist):
    out = []
    for line in open(codelist):
        f = line.split()
        if len(f) >= 4 and HOT.search(f[3]) and f[2] == '0' and f[1] == '4':
            out.append((f[0], f[3].split('(')[0].replace('org.autobalance.', '')))
    return out
def summary(tasks, cid):
    t = tasks.get(cid)
    if not t: return '?'
    tr = ','.join(f'{k}:{v}' for k, v in sorted(t['traps'].items()))
    fl = ','.join(f'{k}:{v}' for k, v in sorted(t['fails'].items()))
    return f"{'OSR@'+t['osr'] if t['osr'] else 'std'} nm={t['nm']} inl={t['inl']['ok']} pred={t['pred']} traps[{tr}] fails[{fl}] t={t['stamp']}"
if __name__ == '__main__':
    for log, cl in zip(sys.argv[1::2], sys.argv[2::2]):
        tasks = parse_log(log)
        print('==', cl)
        for cid, m in sorted(alive(cl), key=lambda x: x[1]):
            print(f'  {m:45s} {cid:>5s} {summary(tasks, cid)}')

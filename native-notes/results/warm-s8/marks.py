# compile log lines of org.autobalance methods between WarmStart marks (input: stdout of WarmStart ... marks with -XX:+PrintCompilation)
import sys,re
# print, for each run, the autobalance compiles/deopts between marks, with mark lines
lines=open(sys.argv[1]).read().splitlines()
show=False
for l in lines:
    if l.startswith('@') or re.match(r'^\S+\s+\d+\s+(float|double)',l) or re.match(r'^\d+x\d+',l):
        print(l); continue
    if 'org.autobalance' in l and ('kernel' in l or 'parallel' in l or 'solve' in l or 'memory' in l):
        print('   ',l)

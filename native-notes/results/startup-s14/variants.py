"""The variant arguments of alt.py and ss.py: name=[ROOT:/checkout;][ENV:K=V;]JVM_OPTIONS — the launcher of another
checkout, one environment variable, and JDK_JAVA_OPTIONS for that variant."""


def parse(args):
    variants = []
    for a in args:
        name, opts = a.split('=', 1)
        env, vroot = {}, None
        if opts.startswith('ROOT:'):
            vroot, opts = opts[5:].split(';', 1)
        if opts.startswith('ENV:'):
            e, opts = opts[4:].split(';', 1)
            k, v = e.split('=', 1)
            env[k] = v
        variants.append((name, opts, env, vroot))
    return variants

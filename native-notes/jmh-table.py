#!/usr/bin/env python3
"""Turns the JMH logs in native-notes/results/ into the markdown tables of kernels.md (floors from CeilingProbe)."""
import pathlib
import re
import sys

res = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else 'native-notes/results')


def ceilings(name, bits):
    text = (res / name).read_text()
    out = {}
    for bench, score in re.findall(r'^CeilingProbe\.(\w+)\s+thrpt\s+\d+\s+([\d.]+)', text, re.M):
        out[bench] = float(score)
    return {'f32': out['fmaFloat'] * 2 * bits / 32, 'f64': out['fmaDouble'] * 2 * bits / 64,
            'bw': out['streamRead']}


def rows(name):
    text = (res / name).read_text()
    prim = {}
    cpu = {}
    pat = r'^FusedPassBenchmark\.fusedPass(:cpuMs)?\s+(\d+)\s+(float\d+)\s+(\w+)\s+(\d+)\s+avgt\s+(\d+)\s+([\d.]+)(?:\s+±\s+([\d.]+))?'
    for aux, d, dt, k, r, cnt, score, err in re.findall(pat, text, re.M):
        key = (int(d), dt, k, int(r))
        if aux:
            # an EVENTS counter is summed over the measurement iterations: each adds its mean CPU ms per call
            cpu[key] = (float(score) / int(cnt), 0.0)
        else:
            prim[key] = (float(score), float(err or 0))
    return prim, cpu


def table(name, ceil):
    prim, cpu = rows(name)
    print('| d | dtype | kernels | r | wall ms/op (± 99.9 %) | CPU ms/op | floor ms | wall / floor | floor / CPU |')
    print('|---|---|---|---|---|---|---|---|---|')
    for key in sorted(prim):
        d, dt, k, r = key
        b = 4 if dt == 'float32' else 8
        peak = ceil['f32'] if dt == 'float32' else ceil['f64']
        floor = max(d * d * b / ceil['bw'], 4.0 * d * d * r / peak) * 1e3
        w, e = prim[key]
        c = cpu.get(key, (float('nan'), 0))[0]
        print(f'| {d} | {dt} | {k} | {r} | {w:.2f} ± {e:.2f} | {c:.2f} | {floor:.2f} | {w / floor:.2f}× | '
              f'{100 * floor / c:.0f} % |')


if __name__ == '__main__':
    c256 = ceilings('ceiling-256.txt', 256)
    print(f"Ceilings (256-bit): float32 {c256['f32'] / 1e9:.1f} GFLOP/s, float64 {c256['f64'] / 1e9:.1f} GFLOP/s, "
          f"stream {c256['bw'] / 1e9:.1f} GB/s\n")
    for f in ['fused-simd-4096.txt', 'fused-simd-1024.txt', 'fused-scalar-1024.txt', 'fused-scalar-4096.txt',
              'fused-simd512-4096.txt', 'fused-large512-4096.txt']:
        if (res / f).exists():
            print(f'\n{f}:\n')
            table(f, c256)

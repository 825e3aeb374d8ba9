#!/usr/bin/env python3
"""Generates DoubleFused.java from FloatFused.java (the float file is the one to edit).

Run from the repository root: python3 native-notes/gen-double.py
"""
import pathlib

d = pathlib.Path('core/src/main/java/org/autobalance/kernel/simd')
s = (d / 'FloatFused.java').read_text()
reps = [
    ('FloatFused', 'DoubleFused'), ('FloatVector', 'DoubleVector'), ('VectorMask<Float>', 'VectorMask<Double>'),
    ('VectorSpecies<Float>', 'VectorSpecies<Double>'), ('SimdSpecies.FLOAT', 'SimdSpecies.DOUBLE'),
    ('Float.BYTES', 'Double.BYTES'), ('ValueLayout.OfFloat', 'ValueLayout.OfDouble'), ('JAVA_FLOAT', 'JAVA_DOUBLE'),
    ('float[]', 'double[]'), ('(float) sum', 'sum'), (', 0f)', ', 0.0)'),
    ('sc.floats(', 'sc.doubles('), ('smallRank.float32', 'smallRank.float64'),
    ('smallRank.float64", 8', 'smallRank.float64", 4'),
    ('JB = 96;', 'JB = 48;'), ('in float precision', 'in double precision'),
    ('DoubleFused is generated from this file\n * (see native-notes/kernels.md): edit this one and regenerate.',
     'GENERATED from FloatFused.java by\n * native-notes/gen-double.py: edit FloatFused and regenerate.'),
    ('(a multiple of NJ, of 4 and of 16)', '(a multiple of NJ, of 4 and of 8)'),
    ('With RB = 96\n     * a block is 36 KiB; 96 beat 240 and 48 at r = 256 (271 vs 358 / 294 ms).', 'Half the float value:\n     * the same 36 KiB per block.'),
]
for a, b in reps:
    if a not in s:
        raise SystemExit('pattern not found: ' + a)
    s = s.replace(a, b)
(d / 'DoubleFused.java').write_text(s)

import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend, loadNativeBlas, openBlasCoreType } from '../src';

const blas = loadNativeBlas();
// CI installs OpenBLAS and sets this, so a broken build fails there instead of being skipped.
const required = process.env.RETORT_REQUIRE_NATIVE_BLAS === '1';

describe('OpenBLAS core type from /proc/cpuinfo flags', () => {
  it('picks the widest kernel set the CPU supports, and none without AVX2', () => {
    expect(openBlasCoreType('processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl\n')).toBe('SkylakeX');
    expect(openBlasCoreType('flags\t\t: fpu sse sse2 avx avx2 fma avx512f\n')).toBe('Haswell');
    expect(openBlasCoreType('flags\t\t: fpu sse sse2 sse4_2 avx\n')).toBeUndefined();
    expect(openBlasCoreType('')).toBeUndefined();
  });
});

describe('native OpenBLAS matmul on the wasm heap', () => {
  if (required) it('is built and loads', () => expect(blas.why ?? 'loaded').toBe('loaded'));
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const wanted = process.env.OPENBLAS_CORETYPE || openBlasCoreType(cpuinfo);
  (blas.blas && wanted ? it : it.skip)(`runs OpenBLAS's ${wanted} kernels, the set this CPU's flags call for`, () => {
    expect(blas.blas!.core().toLowerCase()).toBe(wanted!.toLowerCase());
  });
  const maybe = blas.blas ? it : it.skip;

  // [a shape, b shape, transposeA, transposeB]: plain, transposed, batched, broadcast, 4-D, and a
  // broadcast that the native kernel hands back to the original one.
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[1, 9], [9, 1], false, false],
    [[4, 5, 7], [4, 7, 3], false, false],
    [[4, 7, 5], [4, 3, 7], true, true],
    [[1, 5, 7], [4, 7, 3], false, false],
    [[4, 5, 7], [7, 3], false, false],
    [[2, 3, 5, 7], [2, 3, 4, 7], false, true],
    [[2, 1, 5, 7], [1, 3, 7, 4], false, false],
    [[1, 1, 5, 7], [3, 7, 4], false, false],
    [[5, 0], [0, 3], false, false],
    [[300, 200], [200, 500], false, false],
  ];

  maybe.each(cases)('%j x %j (transposeA %s, transposeB %s) equals the JavaScript cpu backend', async (aShape, bShape, ta, tb) => {
    const a = Float32Array.from({ length: aShape.reduce((x, y) => x * y) }, (_, i) => Math.sin(i * 0.37));
    const b = Float32Array.from({ length: bShape.reduce((x, y) => x * y) }, (_, i) => Math.cos(i * 0.11));
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb));
    const want = { shape: expected.shape, values: expected.dataSync().slice() };
    expected.dispose();
    await initBackend(undefined, () => undefined);
    await tf.setBackend('wasm');
    const got = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb));
    expect(got.shape).toEqual(want.shape);
    const values = got.dataSync();
    let worst = 0;
    values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want.values[i]))));
    expect(worst).toBeLessThan(1e-4);
    got.dispose();
  });

  maybe('is the kernel the wasm backend runs, and survives the heap growing under it', async () => {
    await initBackend(undefined, () => undefined);
    await tf.setBackend('wasm');
    expect((tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc as { retortNative?: boolean }).retortNative).toBe(true);
    const a = tf.ones([1024, 64]);
    const b = tf.ones([64, 1024]);
    const outs = Array.from({ length: 24 }, () => tf.matMul(a, b)); // 4 MiB each: the heap grows
    expect(outs.every((o) => o.dataSync()[1024 * 1024 - 1] === 64)).toBe(true);
    tf.dispose([a, b, ...outs]);
  });
});

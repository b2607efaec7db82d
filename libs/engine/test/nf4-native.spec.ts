import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { dequantizeNf4Host, initBackend, loadNativeBlas, quantizeNf4, uploadNf4 } from '../src';
import { nf4MatmulNative } from '../src/nf4-native';
import { frozenMatmul } from '../src/ops';

// CI builds the addon and sets this, so a broken NF4 product fails there instead of being skipped.
const required = process.env.RETORT_REQUIRE_NATIVE_BLAS === '1';
const maybe = loadNativeBlas().blas || required ? it : it.skip;

const values = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

/** x [m, k] times W [rows, cols] (W^T when transW) on tfjs's JavaScript cpu backend: the reference. */
async function reference(x: Float32Array, m: number, w: Float32Array, rows: number, cols: number, transW: boolean): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(x, [m, transW ? cols : rows]), tf.tensor2d(w, [rows, cols]), false, transW));
  const data = out.dataSync().slice() as Float32Array;
  out.dispose();
  return data;
}

function worstRelative(got: Float32Array, want: Float32Array): number {
  let scale = 1e-6;
  want.forEach((v) => (scale = Math.max(scale, Math.abs(v))));
  let worst = 0;
  got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]))));
  return worst / scale;
}

describe('the NF4 product in the native addon (QLoRA on wasm)', () => {
  // [rows, cols, m]: blocks that cross rows (cols not a multiple of 64), a weight cut into many
  // panels with a partial last one, tall panels, and a single token.
  const cases: [number, number, number][] = [
    [37, 101, 5],
    [300, 5000, 7],
    [5000, 64, 3],
    [129, 896, 1],
  ];

  maybe.each(cases)('W [%i, %i], x of %i rows: both products equal the dequantized weight on the cpu backend', async (rows, cols, m) => {
    const w = values(rows * cols, (i) => Math.sin(i * 0.731) * (1 + (i % 977) / 300));
    const q = quantizeNf4(w, [rows, cols]);
    const dense = dequantizeNf4Host(q);
    const x = values(m * cols, (i) => Math.cos(i * 0.173));
    const dy = values(m * rows, (i) => Math.sin(i * 0.291 + 1));
    const wantY = await reference(x, m, dense, rows, cols, true);
    const wantDx = await reference(dy, m, dense, rows, cols, false);

    await initBackend('wasm', () => undefined);
    await tf.setBackend('wasm');
    const weight = uploadNf4(q);
    const y = nf4MatmulNative(tf.tensor2d(x, [m, cols]), weight, true);
    const dx = nf4MatmulNative(tf.tensor2d(dy, [m, rows]), weight, false);
    expect(y?.shape).toEqual([m, rows]);
    expect(dx?.shape).toEqual([m, cols]);
    expect(worstRelative(y!.dataSync() as Float32Array, wantY)).toBeLessThan(1e-5);
    expect(worstRelative(dx!.dataSync() as Float32Array, wantDx)).toBeLessThan(1e-5);
    tf.dispose([y!, dx!, weight.codes, weight.qabsmax, weight.absmax2]);
  });

  maybe('is what a frozen NF4 layer runs on wasm, forward and backward', async () => {
    const [rows, cols, m] = [96, 130, 4];
    const q = quantizeNf4(values(rows * cols, (i) => Math.sin(i * 0.37)), [rows, cols]);
    const x = values(m * cols, (i) => Math.cos(i * 0.05));
    const upstream = values(m * rows, (i) => Math.sin(i * 0.11));
    await initBackend('wasm', () => undefined);
    await tf.setBackend('wasm');
    const weight = uploadNf4(q);
    const grad = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(frozenMatmul(xi as tf.Tensor2D, { nf4: weight }), tf.tensor2d(upstream, [m, rows]))));
    const gotDx = grad(tf.tensor2d(x, [m, cols])).dataSync() as Float32Array;
    const direct = nf4MatmulNative(tf.tensor2d(upstream, [m, rows]), weight, false)!.dataSync() as Float32Array;
    expect(Array.from(gotDx)).toEqual(Array.from(direct)); // the same kernel: the same bits
    expect(worstRelative(gotDx, await reference(upstream, m, dequantizeNf4Host(q), rows, cols, false))).toBeLessThan(1e-5);
  });

  maybe('refuses operands outside the wasm heap', async () => {
    await initBackend('wasm', () => undefined);
    await tf.setBackend('wasm');
    const blas = loadNativeBlas().blas!;
    const heap = new ArrayBuffer(1024);
    const nf4 = new Float32Array(16);
    const dyn = new Float32Array(256);
    expect(() => blas.nf4Matmul(heap, 0, 0, 0, 0, 512, 4, 64, 64, 1, 0, nf4, dyn)).toThrow(/outside the heap/);
    expect(() => blas.nf4Matmul(heap, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, new Float32Array(15), dyn)).toThrow(/Float32Arrays/);
  });

  it('is not used off wasm: other backends keep their own dequantization', async () => {
    await tf.setBackend('cpu');
    const weight = uploadNf4(quantizeNf4(values(64, (i) => i / 64), [8, 8]));
    expect(nf4MatmulNative(tf.ones([2, 8]) as tf.Tensor2D, weight, true)).toBeUndefined();
  });
});

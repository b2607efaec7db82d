import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  activeBackend,
  createLora,
  dequantizeNf4Host,
  disposeLora,
  disposeModel,
  forwardLogits,
  initBackend,
  initModel,
  linearStorage,
  loadModel,
  loadNativeBlas,
  mergeAdapter,
  modelToHost,
  NF4_VALUES,
  quantizeNf4,
  uploadNf4,
} from '../src';
import { frozenProduct, HostWeight } from '../src/host-weights';
import { frozenMatmul } from '../src/ops';
import { maxAbsDiff, tmpDir } from './helpers';

// CI builds the addon and sets this, so a broken product fails there instead of being skipped.
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
  return maxAbsDiff(got, want) / scale;
}

async function onWasm(): Promise<void> {
  await initBackend('wasm', () => undefined);
  await tf.setBackend('wasm');
}

describe('products with frozen weights held outside the wasm heap (native addon)', () => {
  // [rows, cols, m]: blocks that cross rows (cols not a multiple of 64), a weight cut into many
  // panels with a partial last one, tall panels, and a single token.
  const cases: [number, number, number][] = [
    [37, 101, 5],
    [300, 2000, 7],
    [5000, 64, 3],
    [129, 896, 1],
  ];
  const kinds = ['host nf4', 'heap nf4', 'host float32'] as const;

  maybe.each(kinds.flatMap((k) => cases.map((c) => [k, ...c] as const)))('%s W [%i, %i], x of %i rows: both products equal the cpu backend', async (kind, rows, cols, m) => {
    const w = values(rows * cols, (i) => Math.sin(i * 0.731) * (1 + (i % 977) / 300));
    const q = quantizeNf4(w, [rows, cols]);
    const dense = kind === 'host float32' ? w : dequantizeNf4Host(q);
    const x = values(m * cols, (i) => Math.cos(i * 0.173));
    const dy = values(m * rows, (i) => Math.sin(i * 0.291 + 1));
    const wantY = await reference(x, m, dense, rows, cols, true);
    const wantDx = await reference(dy, m, dense, rows, cols, false);

    await onWasm();
    const heap = kind === 'heap nf4' ? uploadNf4(q) : undefined;
    const weight = heap ? { heapNf4: heap } : kind === 'host nf4' ? { nf4: q } : { dense: { shape: [rows, cols] as [number, number], data: w } };
    const y = frozenProduct(tf.tensor2d(x, [m, cols]), weight, true);
    const dx = frozenProduct(tf.tensor2d(dy, [m, rows]), weight, false);
    expect(y?.shape).toEqual([m, rows]);
    expect(dx?.shape).toEqual([m, cols]);
    expect(worstRelative(y!.dataSync() as Float32Array, wantY)).toBeLessThan(1e-5);
    expect(worstRelative(dx!.dataSync() as Float32Array, wantDx)).toBeLessThan(1e-5);
    tf.dispose([y!, dx!, ...(heap ? [heap.codes, heap.qabsmax, heap.absmax2] : [])]);
  });

  maybe('quantizes to NF4 natively with the same bits as the JavaScript: ties, zero and partial blocks, NaN', async () => {
    await onWasm();
    const mid = (a: number, b: number) => Math.fround((a + b) / 2);
    // Block 0: absmax 1 and the midpoints between NF4 values (ties: the first wins); block 1: zeros;
    // then values of every scale, a NaN in one block, and a partial last block with an odd count.
    const nf4 = Array.from(NF4_VALUES);
    const ties = [1, ...nf4.slice(1).map((v, i) => mid(nf4[i], v)), ...nf4.map((v) => -v)];
    const n = 64 * 40 + 37;
    const data = values(n, (i) => (i < 64 ? (ties[i % ties.length] ?? 0.5) : i < 128 ? 0 : Math.sin(i * 0.731) * 10 ** ((i % 7) - 3)));
    data[300] = NaN;
    const [native, js] = [quantizeNf4(data, [1, n], 'native'), quantizeNf4(data, [1, n], 'js')];
    expect(Array.from(native.codes)).toEqual(Array.from(js.codes));
    expect(Array.from(native.qabsmax)).toEqual(Array.from(js.qabsmax));
    expect(Array.from(native.absmax2)).toEqual(Array.from(js.absmax2));
    expect(native.offset).toBe(js.offset);
    const w = values(300 * 2000, (i) => Math.sin(i * 0.731) * (1 + (i % 977) / 300));
    expect(Array.from(quantizeNf4(w, [300, 2000], 'native').codes)).toEqual(Array.from(quantizeNf4(w, [300, 2000], 'js').codes));
    expect(() => loadNativeBlas().blas!.nf4Quantize(data, new Int32Array(3), new Float32Array(1), new Float32Array(16), 7)).toThrow(/do not match/);
  });

  maybe('is what a frozen layer runs on wasm, forward and backward', async () => {
    const [rows, cols, m] = [96, 130, 4];
    const q = quantizeNf4(values(rows * cols, (i) => Math.sin(i * 0.37)), [rows, cols]);
    const x = values(m * cols, (i) => Math.cos(i * 0.05));
    const upstream = values(m * rows, (i) => Math.sin(i * 0.11));
    await onWasm();
    const host: HostWeight = { nf4: q };
    const grad = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(frozenMatmul(xi as tf.Tensor2D, { host }), tf.tensor2d(upstream, [m, rows]))));
    const gotDx = grad(tf.tensor2d(x, [m, cols])).dataSync() as Float32Array;
    const direct = frozenProduct(tf.tensor2d(upstream, [m, rows]), host, false)!.dataSync() as Float32Array;
    expect(Array.from(gotDx)).toEqual(Array.from(direct)); // the same kernel: the same bits
    expect(worstRelative(gotDx, await reference(upstream, m, dequantizeNf4Host(q), rows, cols, false))).toBeLessThan(1e-5);
  });

  maybe('refuses arrays that do not match the shapes', async () => {
    await onWasm();
    const blas = loadNativeBlas().blas!;
    const nf4 = new Float32Array(16);
    const dyn = new Float32Array(256);
    const words = new Int32Array(512);
    expect(() => blas.nf4Matmul(new Float32Array(4 * 64), new Float32Array(4 * 63), 4, words, words, new Float32Array(1), 64, 64, 1, 0, nf4, dyn)).toThrow(/does not match/);
    expect(() => blas.nf4Matmul(new Float32Array(64), new Float32Array(64), 1, new Int32Array(3), words, new Float32Array(1), 64, 64, 1, 0, nf4, dyn)).toThrow(/too short/);
    expect(() => blas.nf4Matmul(new Float32Array(1), new Float32Array(1), 1, words, words, new Float32Array(1), 1, 1, 1, 0, new Float32Array(15), dyn)).toThrow(/too short/);
    expect(() => blas.denseMatmul(new Float32Array(6), new Float32Array(4), 2, new Float32Array(5), 2, 3, 1)).toThrow(/rows x cols/);
    expect(() => blas.denseMatmul(new Float32Array(6), new Float32Array(4), 2, new Uint8Array(6) as never, 2, 3, 1)).toThrow(/float32/);
  });

  it('off wasm, a host weight is uploaded for the product and NF4 tensors are left to the caller', async () => {
    await tf.setBackend('cpu');
    const w = values(64, (i) => i / 64);
    const y = frozenProduct(tf.ones([2, 8]) as tf.Tensor2D, { dense: { shape: [8, 8], data: w } }, true)!;
    expect(Array.from(y.dataSync().slice(0, 2))).toEqual([Array.from(w.slice(0, 8)).reduce((a, b) => a + b), Array.from(w.slice(8, 16)).reduce((a, b) => a + b)].map(Math.fround));
    expect(frozenProduct(tf.ones([2, 8]) as tf.Tensor2D, { heapNf4: uploadNf4(quantizeNf4(w, [8, 8])) }, true)).toBeUndefined();
  });
});

describe('a model whose frozen weights are in host memory', () => {
  const config = { vocab_size: 300, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 };
  const ids = [[1, 5, 9, 200, 17, 3]];

  maybe.each(['none', 'nf4'] as const)('quant %s: held on the host by default on wasm, the same logits and merge as on the device', async (quant) => {
    await onWasm();
    expect(activeBackend()?.weightsOnHost).toBe(true);
    const dir = tmpDir();
    initModel({ family: 'qwen2', out: dir, config, seed: 4, std: 0.05 });
    const before = tf.memory().numBytes;
    const host = loadModel(dir, { quant });
    const heldOnDevice = tf.memory().numBytes - before;
    const device = loadModel(dir, { quant, weights: 'device' });
    expect(linearStorage(host)).toMatchObject({ quant, where: 'host' });
    expect(linearStorage(device)).toMatchObject({ quant, where: 'device' });
    expect(linearStorage(host).bytes).toBe(linearStorage(device).bytes);
    expect(host.embed instanceof tf.Tensor).toBe(false);
    // Only norms, biases and the rotation matrices are tensors: a small part of the embedding alone.
    expect(heldOnDevice).toBeLessThan(config.vocab_size * config.hidden_size);
    const a = forwardLogits(host, ids);
    const b = forwardLogits(device, ids);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(1e-5);
    tf.dispose([a, b]);

    const lora = createLora(host, { r: 4, alpha: 8 }, 7);
    for (const m of lora.modules.values()) m.bt.assign(tf.randomNormal(m.bt.shape, 0, 0.1, 'float32', 3));
    const mergedHost = await modelToHost(await mergeAdapter(host, lora));
    const mergedDevice = await modelToHost(await mergeAdapter(device, lora));
    expect([...mergedHost.keys()]).toEqual([...mergedDevice.keys()]);
    for (const [name, t] of mergedHost) expect(maxAbsDiff(t.data, mergedDevice.get(name)!.data)).toBeLessThan(1e-6);
    disposeLora(lora);
    disposeModel(host);
    disposeModel(device);
  });
});

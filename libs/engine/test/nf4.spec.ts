import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  dequantizeNf4,
  dequantizeNf4Kernels,
  dequantizeNf4Host,
  dynamicMap,
  forwardLogits,
  generate,
  linearStorage,
  loadModel,
  nf4Absmax,
  nf4Bytes,
  NF4_VALUES,
  quantizeModel,
  quantizeNf4,
  unpackBytes,
  unpackNibbles,
  uploadNf4,
} from '../src';
import { describeBackends } from './backends';
import { maxAbsDiff } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures');
// scripts/make_nf4_fixtures.py: a PyTorch re-implementation of bitsandbytes' quantize_4bit (nf4, double quantization).
const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'nf4', 'golden.json'), 'utf8'));
const f32 = (s: string) => new Float32Array(new Uint8Array(Buffer.from(s, 'base64')).buffer);
const u8 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describeBackends('NF4 quantization (bitsandbytes semantics)', (backend) => {
  it('uses the NF4 table and the dynamic 8-bit map of the reference', () => {
    expect(Array.from(NF4_VALUES)).toEqual(Array.from(f32(golden.nf4)));
    expect(Array.from(dynamicMap())).toEqual(Array.from(f32(golden.dynamicMap)));
    // bitsandbytes' own float32 map (torch.linspace) differs by at most one ulp
    const torchMap = f32(golden.dynamicMapTorchF32);
    dynamicMap().forEach((v, i) => expect(Math.abs(v - torchMap[i])).toBeLessThanOrEqual(Math.abs(v) * 2 ** -23));
  });

  interface Case {
    name: string;
    shape: number[];
    input: string;
    codes: string;
    packed: string;
    absmax: string;
    offset: number;
    qabsmax: string;
    absmax2: string;
    dequant: string;
  }
  const cases: [string, Case][] = (golden.cases as Case[]).map((c) => [c.name, c]);

  it.each(cases)('codes, absmax and dequantized values equal the reference: %s', async (_name, c) => {
    const x = f32(c.input);
    const shape: [number, number] = c.shape.length === 2 ? [c.shape[0], c.shape[1]] : [1, c.shape[0]];
    const q = quantizeNf4(x, shape);
    const blocks = Math.ceil(x.length / 64);
    expect(Buffer.from(unpackNibbles(q.codes, x.length))).toEqual(Buffer.from(u8(c.codes)));
    expect(Buffer.from(unpackBytes(q.qabsmax, blocks))).toEqual(Buffer.from(u8(c.qabsmax)));
    expect(Array.from(q.absmax2)).toEqual(Array.from(f32(c.absmax2)));
    expect(q.offset).toBe(c.offset);
    // the packed words are bitsandbytes' uint8 buffer read as int32
    expect(Buffer.from(new Uint8Array(q.codes.buffer).subarray(0, u8(c.packed).length))).toEqual(Buffer.from(u8(c.packed)));
    expect(maxAbsDiff(dequantizeNf4Host(q), f32(c.dequant))).toBe(0);
    // on the device: arithmetic unpacking of the int32 words with tfjs kernels (node-gpu), exact
    // where int32 arithmetic is (not on webgpu, which computes it in float32 and so has its own WGSL
    // kernels); and what the forward pass uses on this backend (a host loop on wasm, WGSL on webgpu)
    const w = uploadNf4(q);
    const dev = dequantizeNf4Kernels(w);
    if (backend !== 'webgpu') expect(maxAbsDiff(await dev.data(), f32(c.dequant))).toBe(0);
    const used = dequantizeNf4(w);
    expect(maxAbsDiff(await used.data(), f32(c.dequant))).toBe(0);
    tf.dispose([dev, used, w.codes, w.qabsmax, w.absmax2]);
    // double quantization keeps the block scales close to the float ones
    const exact = f32(c.absmax);
    nf4Absmax(q).forEach((a, b) => expect(Math.abs(a - exact[b])).toBeLessThanOrEqual(Math.max(...exact) * 0.01));
  });

  it.each(['tiny-llama', 'tiny-qwen2'])('logits of the NF4 model equal a reference forward on the dequantized weights within 1e-4 (%s)', async (name) => {
    const { ids, logits } = golden.models[name];
    const model = loadModel(path.join(FIXTURES, name), { quant: 'nf4' });
    expect(model.layers[0].proj.q_proj.wt).toBeUndefined();
    expect(maxAbsDiff(await forwardLogits(model, ids).data(), logits)).toBeLessThan(1e-4);
    // quantizing a loaded float model gives the same model
    const again = await quantizeModel(loadModel(path.join(FIXTURES, name)));
    expect(maxAbsDiff(await forwardLogits(again, ids).data(), logits)).toBeLessThan(1e-4);
  });

  it('stores at most 0.55 bytes per parameter, counted from the tensors held', () => {
    const model = loadModel(path.join(FIXTURES, 'tiny-llama'), { quant: 'nf4' });
    const small = linearStorage(model);
    expect(small.quant).toBe('nf4');
    expect(small.bytesPerParam).toBeLessThanOrEqual(0.55); // 0.5237: tiny layers round their absmax words up
    // a 7B-shaped projection row block: 0.5 (codes) + 1/64 (8-bit absmax) + 4/16384 (absmax of absmax)
    const x = Float32Array.from({ length: 256 * 3584 }, (_, i) => Math.sin(i * 12.9898) * 0.02);
    const before = tf.memory().numBytes;
    const w = uploadNf4(quantizeNf4(x, [256, 3584]));
    const held = tf.memory().numBytes - before; // what tfjs reports for the three tensors
    expect(held + 4).toBe(nf4Bytes(w)); // + the float32 offset kept with them
    expect(nf4Bytes(w) / x.length).toBeCloseTo(0.5159, 4);
    tf.dispose([w.codes, w.qabsmax, w.absmax2]);
  });

  it('generates with an NF4 base, the KV cache matching recomputation', async () => {
    const model = loadModel(path.join(FIXTURES, 'tiny-qwen2'), { quant: 'nf4' });
    const cached = await generate(model, [5, 17, 3, 42], { maxNewTokens: 6 });
    const plain = await generate(model, [5, 17, 3, 42], { maxNewTokens: 6, useCache: false });
    expect(cached.ids).toEqual(plain.ids);
  });
});

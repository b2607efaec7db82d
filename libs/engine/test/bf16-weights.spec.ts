import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { activeBackend, batchLoss, collate, createLora, disposeModel, forwardLogits, generate, linearStorage, loadModel, loraVariables, Model, modelToHost, Rng } from '../src';
import { isBf16Exact, packBf16, unpackBf16 } from '../src/bf16-weights';
import type { RowBlocks } from '../src/row-blocks';
import { describeBackends } from './backends';
import { maxAbsDiff, maxRelDiff } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('bf16 words', () => {
  it('hold bf16 values exactly, two per word, and only values that are bf16 count as exact', () => {
    const rng = new Rng(1);
    const f32 = Float32Array.from({ length: 9 }, () => rng.normal());
    const bits = new Uint32Array(f32.buffer);
    const bf = new Float32Array(new Uint32Array(bits.map((b) => b & 0xffff0000)).buffer); // truncated to bf16
    bf[3] = -0;
    bf[4] = Infinity;
    expect(isBf16Exact(bf)).toBe(true);
    expect(isBf16Exact(f32)).toBe(false);
    const words = packBf16(bf);
    expect(words).toHaveLength(5); // an odd count: the last word's high half is zero
    expect(Array.from(new Uint32Array(unpackBf16(words, 9).buffer))).toEqual(Array.from(new Uint32Array(bf.buffer)));
  });
});

async function lossAndGrads(model: Model): Promise<{ loss: number; grads: Float32Array[] }> {
  const lora = createLora(model, { r: 4, alpha: 8, dropout: 0 }, 5);
  const rng = new Rng(6);
  for (const m of lora.modules.values()) m.bt.assign(tf.tensor2d(Array.from({ length: m.bt.size }, () => rng.normal() * 0.1), m.bt.shape));
  const batch = collate([0, 1].map((k) => ({ ids: Array.from({ length: 12 }, (_, t) => (k * 31 + t * 7) % model.config.vocabSize), weights: Array(12).fill(1) })), 0);
  const params = loraVariables(lora);
  const { value, grads } = tf.variableGrads(() => batchLoss(model, lora, batch, 24), params);
  const out = { loss: (await value.data())[0], grads: await Promise.all(params.map(async (v) => (await grads[v.name].data()) as Float32Array)) };
  tf.dispose([value, ...Object.values(grads), ...params]);
  return out;
}

describeBackends('frozen projections held as bf16', (backend) => {
  it("halve the projections' bytes of a bf16 checkpoint and give the float32 base's logits, LoRA gradients, generation and weights", async () => {
    const dir = path.join(FIXTURES, 'tiny-qwen2'); // a BF16 safetensors file
    const f32 = loadModel(dir, { weights: 'device', bf16: false });
    const bf16 = loadModel(dir, { weights: 'device', bf16: true });
    try {
      expect(linearStorage(f32)).toMatchObject({ quant: 'none', where: 'device', bytesPerParam: 4 });
      expect(linearStorage(bf16)).toMatchObject({ quant: 'none', where: 'device', bytesPerParam: 2, params: linearStorage(f32).params });
      expect(bf16.layers[0].proj.q_proj.bf16).toBeDefined();
      // the tied embedding and lm_head [96, 32]: bf16 words [96, 16]
      expect(bf16.embed).toMatchObject({ shape: [96, 32], bf16: true });
      expect((bf16.embed as RowBlocks).blocks.map((b) => [b.dtype, ...b.shape])).toEqual([['int32', 96, 16]]);
      expect((f32.embed as RowBlocks).bf16).toBeUndefined();
      const ids = [[1, 50, 7, 93, 12]];
      const a = forwardLogits(f32, ids);
      const b = forwardLogits(bf16, ids);
      expect(maxRelDiff(await a.data(), await b.data())).toBeLessThan(2e-6); // the same weights, products in another layout (float32 rounding, which varies with the CPU's BLAS kernels)
      tf.dispose([a, b]);
      const g1 = await lossAndGrads(f32);
      const g2 = await lossAndGrads(bf16);
      expect(Math.abs(g1.loss - g2.loss)).toBeLessThan(1e-5);
      expect(Math.max(...g1.grads.map((g) => maxAbsDiff(g, new Float32Array(g.length))))).toBeGreaterThan(1e-3); // not zeros
      g1.grads.forEach((g, i) => expect(maxRelDiff(g, g2.grads[i])).toBeLessThan(1e-5));
      expect((await generate(bf16, [3, 9, 27], { maxNewTokens: 6 })).ids).toEqual((await generate(f32, [3, 9, 27], { maxNewTokens: 6 })).ids);
      const w1 = await modelToHost(f32);
      const w2 = await modelToHost(bf16);
      for (const [name, t] of w1) expect(maxAbsDiff(w2.get(name)!.data, t.data)).toBe(0);
    } finally {
      disposeModel(f32);
      disposeModel(bf16);
    }
  });

  it('hold the embedding and lm_head of QLoRA too, and in blocks of rows, with the float32 losses, gradients and generation', async () => {
    const dir = path.join(FIXTURES, 'tiny-qwen2');
    const f32 = loadModel(dir, { weights: 'device', bf16: false });
    const q32 = loadModel(dir, { weights: 'device', quant: 'nf4', bf16: false });
    const q16 = loadModel(dir, { weights: 'device', quant: 'nf4', bf16: true });
    const split = loadModel(dir, { weights: 'device', bf16: true, maxBindingBytes: 1024 }); // 8 rows of 32 float32 per block
    try {
      expect(linearStorage(q16).quant).toBe('nf4');
      expect(q16.embed).toMatchObject({ bf16: true });
      const ids = [[1, 50, 7, 93, 12, 95]];
      const a = forwardLogits(q32, ids);
      const b = forwardLogits(q16, ids);
      expect(maxRelDiff(await a.data(), await b.data())).toBeLessThan(2e-6);
      tf.dispose([a, b]);
      expect((split.embed as RowBlocks).blocks.map((blk) => blk.shape)).toEqual(Array(12).fill([8, 16]));
      const g1 = await lossAndGrads(f32);
      const g2 = await lossAndGrads(split);
      expect(Math.abs(g1.loss - g2.loss)).toBeLessThan(1e-5);
      g1.grads.forEach((g, i) => expect(maxRelDiff(g, g2.grads[i])).toBeLessThan(1e-5));
      expect((await generate(split, [3, 9, 27], { maxNewTokens: 6 })).ids).toEqual((await generate(f32, [3, 9, 27], { maxNewTokens: 6 })).ids);
      const w1 = await modelToHost(f32);
      const w2 = await modelToHost(split);
      expect(maxAbsDiff(w2.get('model.embed_tokens.weight')!.data, w1.get('model.embed_tokens.weight')!.data)).toBe(0);
      expect(() => forwardLogits(split, [[96]])).toThrow('token id 96 is not a row of the [96, 32] embedding');
    } finally {
      [f32, q32, q16, split].forEach(disposeModel);
    }
  });

  it('are not used for a checkpoint whose values are not all bf16 (they would round)', () => {
    const model = loadModel(path.join(FIXTURES, 'tiny-llama'), { weights: 'device', bf16: true }); // float32 values
    try {
      expect(linearStorage(model).bytesPerParam).toBe(4);
      expect((model.embed as RowBlocks).bf16).toBeUndefined();
    } finally {
      disposeModel(model);
    }
  });

  it(`are the default on webgpu only (RETORT_WEBGPU_BF16=0 turns them off) [${backend}]`, () => {
    const dir = path.join(FIXTURES, 'tiny-qwen2');
    const plain = loadModel(dir, { weights: 'device' });
    process.env.RETORT_WEBGPU_BF16 = '0';
    const off = loadModel(dir, { weights: 'device' });
    delete process.env.RETORT_WEBGPU_BF16;
    try {
      expect(activeBackend()!.name).toBe(backend);
      expect(linearStorage(plain).bytesPerParam).toBe(backend === 'webgpu' ? 2 : 4);
      expect(linearStorage(off).bytesPerParam).toBe(4);
    } finally {
      disposeModel(plain);
      disposeModel(off);
    }
  });
});

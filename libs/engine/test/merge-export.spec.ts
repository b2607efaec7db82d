import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { forwardLogits, initBackend, loadAdapter, loadModel, mergeAdapter, openCheckpoint, readModelConfig, saveMergedModel, writeMergedCheckpoint } from '../src';
import { maxAbsDiff, tmpDir } from './helpers';

const dir = path.join(__dirname, 'fixtures', 'tiny-llama');
const golden = JSON.parse(fs.readFileSync(path.join(dir, 'golden.json'), 'utf8')) as { ids: number[][]; loraLogits: number[] };

/** Every tensor of two checkpoint directories, as arrays. */
function tensorsOf(d: string): Map<string, number[]> {
  const r = openCheckpoint(d);
  try {
    return new Map(r.names().map((n) => [n, Array.from(r.read(n).data)]));
  } finally {
    r.close();
  }
}

describe('merged export streamed from the base checkpoint', () => {
  beforeAll(async () => {
    await initBackend('wasm', () => undefined);
  });

  it('writes what mergeAdapter and saveMergedModel write, bit for bit, and the PyTorch reference logits', async () => {
    const lora = loadAdapter(path.join(dir, 'adapter'), { config: readModelConfig(dir) });
    const streamed = tmpDir();
    const res = await writeMergedCheckpoint(dir, lora, streamed, { dtype: 'F32' });
    expect(res).toMatchObject({ files: ['model.safetensors'], merged: 8 });
    expect(fs.existsSync(path.join(streamed, 'config.json'))).toBe(true);
    expect(fs.existsSync(path.join(streamed, 'tokenizer.json'))).toBe(fs.existsSync(path.join(dir, 'tokenizer.json')));
    const model = loadModel(dir);
    const inMemory = tmpDir();
    await saveMergedModel(await mergeAdapter(model, loadAdapter(path.join(dir, 'adapter'), model)), inMemory, dir, { dtype: 'F32' });
    const [a, b] = [tensorsOf(streamed), tensorsOf(inMemory)];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, values] of a) expect(values).toEqual(b.get(name));
    expect(a.get('model.layers.0.self_attn.q_proj.weight')).not.toEqual(tensorsOf(dir).get('model.layers.0.self_attn.q_proj.weight'));
    const logits = forwardLogits(loadModel(streamed), golden.ids);
    expect(maxAbsDiff(await logits.data(), golden.loraLogits)).toBeLessThan(1e-4);
    logits.dispose();
  });

  it('shards the export and, with quant nf4, merges into the NF4-rounded base as mergeAdapter on an NF4 model does', async () => {
    const lora = loadAdapter(path.join(dir, 'adapter'), { config: readModelConfig(dir) });
    const sharded = tmpDir();
    const res = await writeMergedCheckpoint(dir, lora, sharded, { dtype: 'F32', quant: 'nf4', maxShardBytes: 20_000 });
    expect(res.files.filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(1);
    expect(res.files).toContain('model.safetensors.index.json');
    const nf4 = loadModel(dir, { quant: 'nf4' });
    const inMemory = tmpDir();
    await saveMergedModel(await mergeAdapter(nf4, loadAdapter(path.join(dir, 'adapter'), nf4)), inMemory, dir, { dtype: 'F32' });
    const [a, b] = [tensorsOf(sharded), tensorsOf(inMemory)];
    for (const [name, values] of a) expect(values).toEqual(b.get(name));
  });

  it('refuses an adapter for modules the base does not hold, and a non-finite merge, writing nothing', async () => {
    const lora = loadAdapter(path.join(dir, 'adapter'), { config: readModelConfig(dir) });
    const [first] = lora.modules.values();
    const bogus = { ...lora, modules: new Map([['model.layers.9.self_attn.q_proj', first]]) };
    const out = tmpDir();
    await expect(writeMergedCheckpoint(dir, bogus, out)).rejects.toThrow(/tiny-llama: the adapter targets model.layers.9.self_attn.q_proj, which this checkpoint does not hold/);
    first.bt.assign(tf.fill(first.bt.shape, Infinity) as tf.Tensor2D);
    await expect(writeMergedCheckpoint(dir, lora, out)).rejects.toThrow(/merge: model\.layers\.\d+\.\S+ has non-finite values after merging the adapter/);
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.safetensors'))).toEqual([]);
  });
});

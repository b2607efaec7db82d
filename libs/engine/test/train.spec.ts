import * as fs from 'node:fs';
import * as path from 'node:path';
import { dirCheckpointStore, evaluate, Example, forwardLogits, learningRate, loadAdapter, saveAdapter, tokenizeRecord, train, trainConfig } from '../src';
import { describeBackends, trainingTimeout } from './backends';
import { firstLetterTask, tinyModel, tmpDir } from './helpers';

describe('schedule', () => {
  it('warms up linearly and decays to the floor', () => {
    const c = { lr: 1, warmupSteps: 4, totalSteps: 14, schedule: 'cosine' as const, minLrRatio: 0.1 };
    expect([0, 1, 2, 3].map((s) => learningRate(s, c))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(learningRate(4, c)).toBeCloseTo(1);
    expect(learningRate(9, c)).toBeCloseTo(0.55);
    expect(learningRate(14, c)).toBeCloseTo(0.1);
    expect(learningRate(9, { ...c, schedule: 'linear' })).toBeCloseTo(0.55);
    expect(learningRate(7, { ...c, schedule: 'linear' })).toBeCloseTo(1 - 0.9 * 0.3);
  });
});

describeBackends('LoRA training', (backend) => {
  it('resumes exactly: stopped at step 3 and resumed, step 6 matches an uninterrupted run', async () => {
    const { model, tok } = tinyModel('qwen2', {}, 1);
    const examples: Example[] = firstLetterTask(24, 5).flatMap((r) => tokenizeRecord(r, tok));
    const config = trainConfig({ steps: 6, batchSize: 4, gradAccum: 2, lr: 5e-3, warmupSteps: 2, weightDecay: 0.01, maxGradNorm: 0.5, seed: 3, lora: { r: 4, alpha: 8, dropout: 0.1, useRslora: true } });
    const padId = tok.padTokenId!;
    const full = await train({ model, train: examples, config, padId });

    const dir = tmpDir();
    const store = dirCheckpointStore(dir);
    const first = await train({ model, train: examples, config, padId, checkpointStore: store, shouldStop: () => true, onProgress: () => undefined });
    expect(first.stopped).toBe(true);
    expect(first.step).toBe(1);
    // stop at step 3: run again from the checkpoint twice more, stopping each time
    let ck = await store.latest();
    for (let k = 0; k < 2; k++) {
      const r = await train({ model, train: examples, config, padId, checkpointStore: store, resumeFrom: ck, shouldStop: () => true });
      ck = await store.latest();
      expect(r.step).toBe(k + 2);
    }
    expect(ck!.step).toBe(3);
    expect(ck!.dataPosition).toBe(6);
    expect(fs.existsSync(path.join(dir, 'checkpoint-3', 'adapter_model.safetensors'))).toBe(true);
    const resumed = await train({ model, train: examples, config, padId, checkpointStore: store, resumeFrom: ck });
    expect(resumed.step).toBe(6);
    expect(resumed.losses.length).toBe(3);
    expect(Math.abs(resumed.losses[2] - full.losses[5])).toBeLessThan(1e-6);
    expect(resumed.losses).toEqual(full.losses.slice(3).map((l) => expect.closeTo(l, 6)));
    // the adapters agree too
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    await saveAdapter(a, full.adapter);
    await saveAdapter(b, resumed.adapter);
    const logitsA = await forwardLogits(model, [[1, 2, 3]], { lora: loadAdapter(a, model) }).data();
    const logitsB = await forwardLogits(model, [[1, 2, 3]], { lora: loadAdapter(b, model) }).data();
    logitsA.forEach((v, i) => expect(Math.abs(v - logitsB[i])).toBeLessThan(1e-5));
  });

  it('learns: held-out answer accuracy rises from the base model to >= 0.9', async () => {
    const { model, tok } = tinyModel('llama', { hidden_size: 64, intermediate_size: 128 }, 2, 0.3);
    const trainSet = firstLetterTask(256, 11).flatMap((r) => tokenizeRecord(r, tok));
    const heldOut = firstLetterTask(64, 12).flatMap((r) => tokenizeRecord(r, tok));
    const padId = tok.padTokenId!;
    const before = await evaluate(model, undefined, heldOut, padId, 32);
    const config = trainConfig({ steps: 70, batchSize: 16, lr: 1e-2, warmupSteps: 5, seed: 1, lora: { r: 8, alpha: 16 } });
    const result = await train({ model, train: trainSet, eval: heldOut, config, padId });
    const after = await evaluate(model, result.adapter, heldOut, padId, 32);
    // Assistant tokens are the letter and <|im_end|>: the base model gets neither.
    expect(before.tokenAccuracy).toBeLessThan(0.1);
    expect(after.tokenAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(after.loss).toBeLessThan(before.loss / 4);
    expect(result.eval!.tokenAccuracy).toBeCloseTo(after.tokenAccuracy, 5);
  }, trainingTimeout(backend));
});

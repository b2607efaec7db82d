import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { batchLoss, collate, createLora, Example, initModel, loadModel, loraVariables, Rng, train, trainConfig } from '../src';
import { describeBackends, trainingTimeout } from './backends';

const FIXTURES = path.join(__dirname, 'fixtures');

function examples(count: number, length: number, vocab: number, seed: number): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    ids: Array.from({ length: length - (i % 3) }, () => rng.int(vocab)),
    weights: Array.from({ length: length - (i % 3) }, (_, t) => (t % 4 === 0 ? 0 : 1)),
  }));
}

describeBackends('gradient checkpointing', (backend) => {
  // llama with GQA, biases and an untied head; qwen2 with q/k/v biases and a tied head. LoRA on every
  // projection with dropout (the recomputed layer must draw the same masks) and non-zero B.
  it.each(['tiny-llama', 'tiny-qwen2'])('gives the loss and LoRA gradients of the ordinary backward pass (%s)', async (name) => {
    const model = loadModel(path.join(FIXTURES, name));
    const lora = createLora(model, { r: 4, alpha: 8, dropout: 0.2 }, 3);
    const rng = new Rng(4);
    for (const m of lora.modules.values()) m.bt.assign(tf.tensor2d(Array.from({ length: m.bt.size }, () => rng.normal() * 0.1), m.bt.shape));
    const batch = collate(examples(3, 11, model.config.vocabSize, 5), 0);
    const params = loraVariables(lora);
    const plain = tf.variableGrads(() => batchLoss(model, lora, batch, 20, { dropoutSeed: 7, checkpoint: false }), params);
    const ckpt = tf.variableGrads(() => batchLoss(model, lora, batch, 20, { dropoutSeed: 7, checkpoint: true }), params);
    expect(Math.abs((await ckpt.value.data())[0] - (await plain.value.data())[0])).toBeLessThan(1e-6);
    let worst = 0;
    let largest = 0;
    for (const [key, g] of Object.entries(plain.grads)) {
      const a = await g.data();
      const b = await ckpt.grads[key].data();
      a.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - b[i]));
        largest = Math.max(largest, Math.abs(v));
      });
    }
    expect(largest).toBeGreaterThan(1e-3); // the comparison is not between zeros
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([plain.value, ckpt.value, ...Object.values(plain.grads), ...Object.values(ckpt.grads)]);
  });

  it('holds far less memory on a deeper model, and trains to the same losses', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-ckpt-'));
    try {
      initModel({ family: 'llama', config: { hidden_size: 64, num_hidden_layers: 8, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, vocab_size: 320 }, out: dir, seed: 1 });
      const model = loadModel(dir);
      const data = examples(8, 64, 320, 2);
      const run = (gradientCheckpointing: boolean) => train({ model, train: data, padId: 0, profileMemory: true, config: trainConfig({ steps: 2, batchSize: 4, lr: 1e-2, warmupSteps: 0, gradientCheckpointing, lora: { r: 4 } }) });
      const before = tf.memory().numBytes;
      const plain = await run(false);
      const ckpt = await run(true);
      const [plainPeak, ckptPeak] = [plain.peakBytes! - before, ckpt.peakBytes! - before];
      console.log(`gradient checkpointing, 8 layers, [4, 64]: peak ${(plainPeak / 2 ** 20).toFixed(1)} MiB -> ${(ckptPeak / 2 ** 20).toFixed(1)} MiB`);
      expect(ckptPeak).toBeLessThan(0.5 * plainPeak);
      ckpt.losses.forEach((l, i) => expect(Math.abs(l - plain.losses[i])).toBeLessThan(1e-5));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, trainingTimeout(backend));
});

import * as path from 'node:path';
import * as fs from 'node:fs';
import { forwardLogits, lastLogits, loadModel } from '../src';
import { describeBackends } from './backends';
import { maxAbsDiff } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures');

// Golden logits from scripts/make_parity_fixtures.py, a PyTorch reference of HF semantics.
describeBackends('parity', () => {
  describe.each([
    ['tiny-llama', 'llama, sharded F32, GQA 4:2, q/k/v/o biases, untied head, rope_theta 5e5'],
    ['tiny-qwen2', 'qwen2, BF16, GQA 4:1, q/k/v biases, tied head, rope_theta 1e6'],
    ['tiny-llama-f16', 'llama, F16, MHA, tied head'],
    ['tiny-llama31', 'llama, BF16, rope_scaling llama3 (Llama 3.1) with every frequency band'],
  ])('parity with the PyTorch reference: %s (%s)', (name) => {
    const dir = path.join(FIXTURES, name);
    const golden = JSON.parse(fs.readFileSync(path.join(dir, 'golden.json'), 'utf8')) as { ids: number[][]; logits: number[] };

    it('all-position logits within 1e-4', async () => {
      const model = loadModel(dir);
      const logits = forwardLogits(model, golden.ids);
      expect(maxAbsDiff(await logits.data(), golden.logits)).toBeLessThan(1e-4);
      logits.dispose();
    });

    it('last-position logits within 1e-4, per sequence and batched', async () => {
      const model = loadModel(dir);
      const V = model.config.vocabSize;
      const T = golden.ids[0].length;
      const last = await lastLogits(model, golden.ids).data();
      for (const b of golden.ids.keys()) {
        const want = golden.logits.slice((b * T + T - 1) * V, (b * T + T) * V);
        expect(maxAbsDiff(last.slice(b * V, (b + 1) * V), want)).toBeLessThan(1e-4);
        const single = await lastLogits(model, [golden.ids[b]]).data();
        expect(maxAbsDiff(single, want)).toBeLessThan(1e-4);
      }
    });
  });
});

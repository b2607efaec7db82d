import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  createLora,
  forwardLogits,
  generate,
  loadAdapter,
  loadModel,
  mergeAdapter,
  readSafetensors,
  Rng,
  sampleToken,
  saveAdapter,
  saveMergedModel,
} from '../src';
import { describeBackends } from './backends';
import { maxAbsDiff, tinyModel, tmpDir } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures');

describeBackends('PEFT adapters and generation', () => {
  describe('PEFT adapters', () => {
    const dir = path.join(FIXTURES, 'tiny-llama');
    const golden = JSON.parse(fs.readFileSync(path.join(dir, 'golden.json'), 'utf8')) as { ids: number[][]; loraLogits: number[] };

    it('imports a PEFT adapter and matches the PyTorch reference with it (W + alpha/r B A)', async () => {
      const model = loadModel(dir);
      const lora = loadAdapter(path.join(dir, 'adapter'), model);
      expect(lora.scale).toBe(2);
      expect(lora.modules.size).toBe(8);
      expect(maxAbsDiff(await forwardLogits(model, golden.ids, { lora }).data(), golden.loraLogits)).toBeLessThan(1e-4);
    });

    it('merges into the base weights, exports HF layout, and round-trips the export', async () => {
      const model = loadModel(dir);
      const lora = loadAdapter(path.join(dir, 'adapter'), model);
      const merged = await mergeAdapter(model, lora);
      expect(maxAbsDiff(await forwardLogits(merged, golden.ids).data(), golden.loraLogits)).toBeLessThan(1e-4);
      const out = tmpDir();
      await saveMergedModel(merged, out, dir);
      expect(maxAbsDiff(await forwardLogits(loadModel(out), golden.ids).data(), golden.loraLogits)).toBeLessThan(1e-4);
      // re-export the adapter: PEFT keys and shapes
      const again = tmpDir();
      await saveAdapter(again, lora, 'tiny-llama');
      const cfg = JSON.parse(fs.readFileSync(path.join(again, 'adapter_config.json'), 'utf8'));
      expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, bias: 'none', use_rslora: false, base_model_name_or_path: 'tiny-llama' });
      const t = readSafetensors(fs.readFileSync(path.join(again, 'adapter_model.safetensors'))).tensors;
      expect(t.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.shape).toEqual([4, 32]);
      expect(t.get('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight')!.shape).toEqual([32, 4]);
      const orig = readSafetensors(fs.readFileSync(path.join(dir, 'adapter', 'adapter_model.safetensors'))).tensors;
      for (const [k, v] of orig) expect(maxAbsDiff(t.get(k)!.data, v.data)).toBe(0);
    });

    it('refuses non-finite merges and unsupported adapter configs', async () => {
      const { model } = tinyModel();
      const lora = createLora(model, { r: 2, targetModules: ['q_proj'] });
      lora.modules.values().next().value!.bt.assign(tf.fill([2, 32], Infinity) as tf.Tensor2D);
      await expect(mergeAdapter(model, lora)).rejects.toThrow(/merge: model.layers.0.self_attn.q_proj has non-finite values/);
      const bad = tmpDir();
      fs.cpSync(path.join(dir, 'adapter'), bad, { recursive: true });
      const cfg = JSON.parse(fs.readFileSync(path.join(bad, 'adapter_config.json'), 'utf8'));
      fs.writeFileSync(path.join(bad, 'adapter_config.json'), JSON.stringify({ ...cfg, use_dora: true }));
      expect(() => loadAdapter(bad, loadModel(dir))).toThrow(/use_dora is not supported/);
      fs.writeFileSync(path.join(bad, 'adapter_config.json'), JSON.stringify({ ...cfg, r: 8 }));
      expect(() => loadAdapter(bad, loadModel(dir))).toThrow(/lora_A has shape \[4,32\], expected \[8, 32\]/);
    });
  });

  describe('generation', () => {
    it('the KV cache yields the same greedy tokens and logprobs as recomputing', async () => {
      for (const name of ['tiny-llama', 'tiny-qwen2']) {
        const model = loadModel(path.join(FIXTURES, name));
        const prompt = [5, 17, 3, 42];
        const cached = await generate(model, prompt, { maxNewTokens: 12, topLogprobs: 3 });
        const plain = await generate(model, prompt, { maxNewTokens: 12, topLogprobs: 3, useCache: false });
        expect(cached.ids).toEqual(plain.ids);
        expect(cached.finishReason).toBe('length');
        cached.tokens.forEach((t, i) => {
          expect(Math.abs(t.logprob - plain.tokens[i].logprob)).toBeLessThan(1e-4);
          expect(t.top![0].id).toBe(t.id); // greedy picks the top token
          expect(t.top!.length).toBe(3);
        });
      }
    });

    it('samples with temperature, top-k and top-p, reproducibly per seed', async () => {
      const logits = Float32Array.from([0, 1, 2, 3, 10]);
      const rng = new Rng(1);
      expect(sampleToken(logits, {}, rng)).toBe(4);
      const counts = new Array(5).fill(0);
      for (let i = 0; i < 2000; i++) counts[sampleToken(logits, { temperature: 5, topK: 2 }, rng)]++;
      expect(counts[0] + counts[1] + counts[2]).toBe(0);
      expect(counts[3]).toBeGreaterThan(300);
      for (let i = 0; i < 200; i++) expect(sampleToken(logits, { temperature: 1, topP: 0.5 }, rng)).toBe(4);
      const model = loadModel(path.join(FIXTURES, 'tiny-qwen2'));
      const a = await generate(model, [1, 2, 3], { maxNewTokens: 8, temperature: 1, seed: 7 });
      const b = await generate(model, [1, 2, 3], { maxNewTokens: 8, temperature: 1, seed: 7 });
      expect(a.ids).toEqual(b.ids);
    });

    it('stops at stop tokens and stop sequences', async () => {
      const { model, tok } = tinyModel();
      const prompt = tok.encode('hello');
      const free = await generate(model, prompt, { maxNewTokens: 6, decode: (ids) => tok.decode(ids) });
      const first = free.ids[2];
      const byId = await generate(model, prompt, { maxNewTokens: 6, stopTokenIds: [first] });
      expect(byId.finishReason).toBe('stop');
      expect(byId.ids).toEqual(free.ids.slice(0, free.ids.indexOf(first) + 1));
      const stopText = tok.decode([free.ids[3]]);
      const byText = await generate(model, prompt, { maxNewTokens: 6, stop: [stopText], decode: (ids) => tok.decode(ids) });
      expect(byText.finishReason).toBe('stop');
      expect(byText.text).toBe(free.text!.slice(0, free.text!.indexOf(stopText)));
    });
  });
});

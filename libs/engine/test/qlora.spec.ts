import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate, loadAdapter, loadModel, readSafetensors, runTraining, saveAdapter, tokenizeRecord, train, trainConfig } from '../src';
import { describeBackends, trainingTimeout } from './backends';
import { firstLetterTask, tinyModel, tmpDir } from './helpers';

describeBackends('QLoRA', (backend) => {
  it('reaches the held-out accuracy of LoRA within 0.05 on the tiny task', async () => {
    const { dir, tok } = tinyModel('llama', { hidden_size: 64, intermediate_size: 128 }, 2, 0.3);
    const trainSet = firstLetterTask(256, 11).flatMap((r) => tokenizeRecord(r, tok));
    const heldOut = firstLetterTask(64, 12).flatMap((r) => tokenizeRecord(r, tok));
    const padId = tok.padTokenId!;
    const acc: Record<string, number> = {};
    for (const quant of ['none', 'nf4'] as const) {
      const model = loadModel(dir, { quant });
      const config = trainConfig({ quant, steps: 70, batchSize: 16, lr: 1e-2, warmupSteps: 5, seed: 1, lora: { r: 8, alpha: 16 } });
      const result = await train({ model, train: trainSet, config, padId });
      acc[quant] = (await evaluate(model, result.adapter, heldOut, padId, 32)).tokenAccuracy;
    }
    // measured: LoRA 0.9375, QLoRA 1.0 (seeds 1-3: LoRA 0.94/0.91/0.98, QLoRA 1.00/1.00/0.91)
    expect(acc.none).toBeGreaterThanOrEqual(0.9);
    expect(acc.nf4).toBeGreaterThanOrEqual(acc.none - 0.05);
  }, trainingTimeout(backend));

  it('refuses a config whose quant does not match the model', async () => {
    const { model, tok } = tinyModel();
    const ex = firstLetterTask(4, 1).flatMap((r) => tokenizeRecord(r, tok));
    await expect(train({ model, train: ex, config: trainConfig({ quant: 'nf4', steps: 1 }), padId: 0 })).rejects.toThrow(/config.quant is "nf4" but the model's linear weights are float32/);
  });

  it('saves an ordinary PEFT adapter for the original checkpoint, usable on the float base', async () => {
    const { dir } = tinyModel('qwen2', {}, 3);
    const data = path.join(tmpDir(), 'd.jsonl');
    fs.writeFileSync(data, firstLetterTask(16, 2).map((r) => JSON.stringify(r)).join('\n'));
    const out = tmpDir();
    const res = await runTraining({ modelDir: dir, data, out, config: trainConfig({ quant: 'nf4', steps: 2, batchSize: 4, lr: 1e-2 }), profileMemory: true });
    expect(res.linearStorage).toMatchObject({ quant: 'nf4' });
    expect(res.linearStorage.bytesPerParam).toBeLessThanOrEqual(0.55);
    expect(res.peakBytes).toBeGreaterThan(0);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', base_model_name_or_path: path.resolve(dir), r: 8 });
    expect(JSON.stringify(cfg)).not.toMatch(/quant|nf4|bnb/i);
    const keys = [...readSafetensors(fs.readFileSync(path.join(out, 'adapter_model.safetensors'))).tensors.keys()];
    expect(keys).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    // the same adapter loads on the float32 base and on the NF4 base
    const onFloat = loadAdapter(out, loadModel(dir));
    const again = tmpDir();
    await saveAdapter(again, onFloat, path.resolve(dir));
    expect(fs.readFileSync(path.join(again, 'adapter_model.safetensors'))).toEqual(fs.readFileSync(path.join(out, 'adapter_model.safetensors')));
    expect(loadAdapter(out, loadModel(dir, { quant: 'nf4' })).modules.size).toBe(14);
  });
});

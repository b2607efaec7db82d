import * as path from 'node:path';
import { bindingRefusal, largestTensor, type ModelConfigLike } from '@retort/contracts';
import { activeBackend, loadModel } from '../src';
import { describeBackends } from './backends';

const QWEN2_05B: ModelConfigLike = { model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true };
const MiB = 2 ** 20;

describe('the largest tensor of a job (one webgpu storage binding)', () => {
  it('is the embedding for a 152k vocabulary, refused below its size with the reason and no batch advice', () => {
    const t = largestTensor({ config: QWEN2_05B, method: 'qlora', seq: 1, batch: 1, task: 'generate' });
    expect(t).toEqual({ what: 'embedding (tied lm_head)', shape: [151936, 896], bytes: 4 * 151936 * 896, kind: 'weight' });
    const why = bindingRefusal({ config: QWEN2_05B, method: 'qlora', seq: 1, batch: 1, task: 'generate' }, 128 * MiB);
    expect(why).toBe(
      "its largest tensor, the embedding (tied lm_head) [151936, 896] (519 MiB float32), is more than the webgpu adapter's maxStorageBufferBindingSize of 128 MiB (one tensor is one storage binding): " +
        'it cannot be loaded on this adapter: use an adapter with a larger limit, or another backend (RETORT_BACKEND=node-gpu or wasm)',
    );
    expect(bindingRefusal({ config: QWEN2_05B, method: 'qlora', seq: 1, batch: 1, task: 'generate' }, 2048 * MiB)).toBeUndefined();
  });

  it("is the training step's logits for a long batch, refused with smaller-batch advice", () => {
    const job = { config: QWEN2_05B, method: 'lora' as const, seq: 512, batch: 8 };
    expect(largestTensor(job)).toMatchObject({ what: 'logits', shape: [4096, 151936], kind: 'activation' });
    expect(bindingRefusal(job, 2048 * MiB)).toMatch(/the logits \[4096, 151936\] \(2\.3 GiB float32\).*try a smaller --batch-size or --max-seq-len$/);
    expect(bindingRefusal({ ...job, batch: 2 }, 2048 * MiB)).toBeUndefined();
  });
});

describeBackends('loading a model whose weights exceed one storage binding', (backend) => {
  (backend === 'webgpu' ? it : it.skip)('is refused before a weight is read, naming the tensor and the limit', () => {
    const limits = activeBackend()!.adapter!.limits;
    const real = limits.maxStorageBufferBindingSize;
    const dir = path.join(__dirname, 'fixtures', 'tiny-llama');
    try {
      limits.maxStorageBufferBindingSize = 8 * 1024; // forced: the fixture's largest weight is its embedding, 96 x 32 floats (12 KiB)
      expect(() => loadModel(dir)).toThrow(`${dir}: its largest tensor, the embedding [96, 32] (12.0 KiB float32), is more than the webgpu adapter's maxStorageBufferBindingSize of 8.0 KiB`);
      limits.maxStorageBufferBindingSize = 12 * 1024;
      expect(loadModel(dir).config.vocabSize).toBe(96);
    } finally {
      limits.maxStorageBufferBindingSize = real;
    }
  });
});

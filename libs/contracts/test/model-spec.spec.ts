import {
  attentionBiases,
  BNB_NF4_BYTES_PER_PARAM,
  expandAllLinear,
  expectedWeights,
  familyOfConfig,
  moduleName,
  nf4WeightBytes,
  parameterCounts,
  PROJECTIONS,
  projectionShape,
  readModelDims,
  targetProjections,
} from '../src';
import type { ModelDims } from '../src';

const read = (raw: Record<string, unknown>) => (key: string, fallback?: number) => (raw[key] ?? fallback) as number;
const dimsOf = (raw: Record<string, unknown>) => readModelDims(raw, String(raw.model_type), 'config.json', read(raw));

// DeepSeek-R1-Distill-Qwen-1.5B: 12 query heads share 2 key/value heads of 128.
const qwen15b = { model_type: 'qwen2', hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, vocab_size: 151936 };

describe('model spec', () => {
  it('reads the shape of a qwen2 config with grouped-query attention', () => {
    const d = dimsOf(qwen15b);
    expect(d).toEqual({ vocabSize: 151936, hiddenSize: 1536, intermediateSize: 8960, numLayers: 28, numHeads: 12, numKvHeads: 2, headDim: 128, tieWordEmbeddings: false, qkvBias: true, oBias: false });
    expect(Object.fromEntries(PROJECTIONS.map((p) => [p, projectionShape(d, p)]))).toEqual({
      q_proj: [1536, 1536],
      k_proj: [1536, 256],
      v_proj: [1536, 256],
      o_proj: [1536, 1536],
      gate_proj: [1536, 8960],
      up_proj: [1536, 8960],
      down_proj: [8960, 1536],
    });
    expect(() => dimsOf({ ...qwen15b, num_key_value_heads: 5 })).toThrow('config.json: num_attention_heads 12 is not a multiple of num_key_value_heads 5');
  });

  it('gives each family its biases', () => {
    expect(attentionBiases('qwen2', false)).toEqual({ qkvBias: true, oBias: false });
    expect(attentionBiases('llama', false)).toEqual({ qkvBias: false, oBias: false });
    expect(attentionBiases('llama', true)).toEqual({ qkvBias: true, oBias: true });
    expect(familyOfConfig({ architectures: ['Qwen2ForCausalLM'] })).toBe('qwen2');
    expect(familyOfConfig({ model_type: 'mistral', architectures: ['MistralForCausalLM'] })).toBeUndefined();
  });

  it('lists the checkpoint tensors with HF [out, in] shapes, biases and an untied lm_head', () => {
    const w = expectedWeights(dimsOf({ ...qwen15b, num_hidden_layers: 1 }));
    expect(moduleName(0, 'down_proj')).toBe('model.layers.0.mlp.down_proj');
    expect(w.get('model.layers.0.mlp.down_proj.weight')).toEqual([1536, 8960]);
    expect(w.get('model.layers.0.self_attn.k_proj.weight')).toEqual([256, 1536]);
    expect(w.get('model.layers.0.self_attn.k_proj.bias')).toEqual([256]);
    expect(w.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(w.get('lm_head.weight')).toEqual([151936, 1536]);
    expect(w.size).toBe(1 + 2 + 7 + 3 + 1 + 1);
  });

  it('counts parameters by hand on a tiny tied qwen2', () => {
    const d: ModelDims = { vocabSize: 10, hiddenSize: 4, intermediateSize: 8, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 2, tieWordEmbeddings: true, qkvBias: true, oBias: false };
    // q 4x4, k 4x2, v 4x2, o 4x4, gate/up/down 4x8: 144; q/k/v biases 4+2+2; norms 3x4; embedding 10x4
    expect(parameterCounts(d)).toEqual({ linear: 144, base: 144 + 8 + 12 + 40 });
  });

  it('expands all-linear and refuses names that are not projections', () => {
    expect(targetProjections(['all-linear'])).toEqual([...PROJECTIONS]);
    expect(targetProjections(['v_proj', 'q_proj'])).toEqual(['q_proj', 'v_proj']);
    expect(expandAllLinear(['v_proj', 'q_proj'])).toEqual(['v_proj', 'q_proj']);
    expect(expandAllLinear(['q_proj', 'all-linear'])).toEqual([...PROJECTIONS]);
    expect(() => targetProjections(['qkv_proj'])).toThrow(/"qkv_proj" is not a linear projection/);
  });

  it('counts NF4 bytes with double quantization', () => {
    // [256, 1536]: 49152 code words, 6144 blocks -> 1536 absmax words, 24 nested floats, 1 offset
    expect(nf4WeightBytes(256 * 1536)).toBe(4 * (49152 + 1536 + 24 + 1));
    // 100 values: 13 code words, 2 blocks -> 1 absmax word, 1 nested float, 1 offset
    expect(nf4WeightBytes(100)).toBe(4 * 16);
    expect(BNB_NF4_BYTES_PER_PARAM).toBe(0.515869140625);
  });
});

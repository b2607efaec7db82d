/**
 * The architectures behind the DeepSeek-R1 distill sizes (config.json fields of the Hugging Face
 * repositories deepseek-ai/DeepSeek-R1-Distill-*): 1.5B and 7B are Qwen2.5-Math, 14B and 32B
 * Qwen2.5, 8B Llama-3.1-8B and 70B Llama-3.3-70B-Instruct. Parameter counts they imply (planner
 * test): 1.777B, 7.616B, 8.030B, 14.770B, 32.764B, 70.554B.
 */
import { FAMILY_TRAITS } from './families';
import type { ModelConfigLike } from './types';

export const NAMED_SIZES = ['1.5b', '7b', '8b', '14b', '32b', '70b'] as const;
export type NamedSize = (typeof NAMED_SIZES)[number];

// All of them are published in bfloat16.
const qwen2 = { model_type: 'qwen2', architectures: [FAMILY_TRAITS.qwen2.architecture], tie_word_embeddings: false, torch_dtype: 'bfloat16' };
const llama = { model_type: 'llama', architectures: [FAMILY_TRAITS.llama.architecture], tie_word_embeddings: false, attention_bias: false, torch_dtype: 'bfloat16' };

export const DISTILL_CONFIGS: Record<NamedSize, ModelConfigLike & { name: string }> = {
  '1.5b': { ...qwen2, name: 'DeepSeek-R1-Distill-Qwen-1.5B', hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, vocab_size: 151936 },
  '7b': { ...qwen2, name: 'DeepSeek-R1-Distill-Qwen-7B', hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4, vocab_size: 152064 },
  '8b': { ...llama, name: 'DeepSeek-R1-Distill-Llama-8B', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256 },
  '14b': { ...qwen2, name: 'DeepSeek-R1-Distill-Qwen-14B', hidden_size: 5120, intermediate_size: 13824, num_hidden_layers: 48, num_attention_heads: 40, num_key_value_heads: 8, vocab_size: 152064 },
  '32b': { ...qwen2, name: 'DeepSeek-R1-Distill-Qwen-32B', hidden_size: 5120, intermediate_size: 27648, num_hidden_layers: 64, num_attention_heads: 40, num_key_value_heads: 8, vocab_size: 152064 },
  '70b': { ...llama, name: 'DeepSeek-R1-Distill-Llama-70B', hidden_size: 8192, intermediate_size: 28672, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8, vocab_size: 128256 },
};

export function isNamedSize(s: string): s is NamedSize {
  return (NAMED_SIZES as readonly string[]).includes(s.toLowerCase());
}

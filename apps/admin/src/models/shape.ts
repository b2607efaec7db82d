import { kvHeads } from '@retort/contracts';

/** "2 layers · hidden 32 · 2 heads (1 kv) · vocab 512" from a Hugging Face config.json. */
export function modelShape(config: Record<string, any> | null | undefined): string {
  if (!config) return '';
  const parts: string[] = [];
  if (config.num_hidden_layers) parts.push(`${config.num_hidden_layers} layer${config.num_hidden_layers === 1 ? '' : 's'}`);
  if (config.hidden_size) parts.push(`hidden ${config.hidden_size}`);
  if (config.num_attention_heads) {
    const kv = kvHeads(config);
    parts.push(`${config.num_attention_heads} heads${kv !== config.num_attention_heads ? ` (${kv} kv)` : ''}`);
  }
  if (config.vocab_size) parts.push(`vocab ${config.vocab_size.toLocaleString()}`);
  return parts.join(' · ');
}

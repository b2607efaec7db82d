/** `retort model init`: a complete HF-layout directory with random weights and a byte-level tokenizer. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectedWeights, FAMILY_TRAITS } from '@retort/contracts';
import type { Family } from '@retort/contracts';
import { byteLevelTokenizer } from '@retort/tokenizer';
import { configJson, parseConfig } from './config';
import { writeCheckpoint } from './checkpoint';
import { SafeDtype, tensorCount } from './safetensors';
import { Rng } from './rng';
import { TensorToWrite } from './safetensors-file';

export interface InitOptions {
  family: Family;
  /** config.json-style fields (hidden_size, num_hidden_layers, ...); the rest gets defaults. */
  config: Record<string, unknown>;
  out: string;
  seed?: number;
  /** Standard deviation of the random weights (HF initializer_range). */
  std?: number;
  /** Stored dtype (default F32, or the given config's torch_dtype). */
  dtype?: SafeDtype;
  /** Largest shard (default 5 GB, as transformers). */
  maxShardBytes?: number;
  /** `zeros`: every weight 0 and norms 1 (a checkpoint of any size that is written sparse, for tests). */
  weights?: 'random' | 'zeros';
}

const INIT_CHUNK = 1 << 20;

/**
 * The config.json `initModel` writes for `family` and the given fields (defaults for the rest),
 * validated; also what a reference run elsewhere builds the same model from.
 */
export function initConfig(opts: Pick<InitOptions, 'family' | 'config' | 'std'>): Record<string, unknown> {
  const special = byteLevelTokenizer().special;
  const given = opts.config;
  const hidden = (given.hidden_size as number) ?? 64;
  const heads = (given.num_attention_heads as number) ?? 4;
  const raw: Record<string, unknown> = {
    ...configJson({
      family: opts.family,
      vocabSize: (given.vocab_size as number) ?? 512,
      hiddenSize: hidden,
      intermediateSize: (given.intermediate_size as number) ?? Math.ceil((hidden * 8) / 3 / 8) * 8,
      numLayers: (given.num_hidden_layers as number) ?? 2,
      numHeads: heads,
      numKvHeads: (given.num_key_value_heads as number) ?? heads,
      headDim: (given.head_dim as number) ?? hidden / heads,
      rmsNormEps: (given.rms_norm_eps as number) ?? 1e-6,
      ropeTheta: (given.rope_theta as number) ?? FAMILY_TRAITS[opts.family].fresh.ropeTheta,
      maxPositionEmbeddings: (given.max_position_embeddings as number) ?? 2048,
      tieWordEmbeddings: (given.tie_word_embeddings as boolean) ?? FAMILY_TRAITS[opts.family].fresh.tieWordEmbeddings,
      bosTokenId: special['<|endoftext|>'],
      eosTokenId: special['<|im_end|>'],
    }),
    initializer_range: opts.std ?? (given.initializer_range as number | undefined) ?? 0.02,
  };
  // Everything given wins (so unsupported fields are reported by parseConfig), except the family.
  for (const [k, v] of Object.entries(given)) if (k !== 'model_type' && k !== 'architectures') raw[k] = v;
  const config = parseConfig(raw, 'model init config');
  if (config.vocabSize < 256 + Object.keys(special).length) {
    throw new Error(`model init config: vocab_size ${config.vocabSize} is too small for the byte-level tokenizer (needs >= ${256 + Object.keys(special).length})`);
  }
  return raw;
}

/** Writes config.json, model.safetensors, tokenizer.json, tokenizer_config.json and generation_config.json. */
export function initModel(opts: InitOptions): { config: Record<string, unknown>; files: string[] } {
  const tok = byteLevelTokenizer();
  const special = tok.special;
  const raw = initConfig(opts);
  const config = parseConfig(raw, 'model init config');
  const rng = new Rng(opts.seed ?? 0);
  const std = raw.initializer_range as number;
  // Values are drawn as the writer asks for them, tensor after tensor in this order, one chunk at a
  // time, so a model of any size is made without holding its weights.
  const tensors: TensorToWrite[] = [...expectedWeights(config)].map(([name, shape]) => ({
    name,
    shape,
    data: function* () {
      const count = tensorCount(shape);
      for (let at = 0; at < count; at += INIT_CHUNK) {
        const data = new Float32Array(Math.min(INIT_CHUNK, count - at));
        if (name.endsWith('norm.weight')) data.fill(1);
        else if (!name.endsWith('.bias') && opts.weights !== 'zeros') for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
        yield data;
      }
    },
  }));
  const written = writeCheckpoint(opts.out, raw, tensors, { dtype: opts.dtype, maxShardBytes: opts.maxShardBytes });
  const write = (f: string, v: unknown) => fs.writeFileSync(path.join(opts.out, f), JSON.stringify(v, null, 2) + '\n');
  write('tokenizer.json', tok.tokenizerJson);
  write('tokenizer_config.json', tok.tokenizerConfig);
  write('generation_config.json', { bos_token_id: raw.bos_token_id, eos_token_id: raw.eos_token_id, pad_token_id: special['<|endoftext|>'] });
  return { config: raw, files: ['config.json', ...written.files, 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'] };
}

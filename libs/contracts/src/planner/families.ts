/** The decoder families the engine runs, and what tells them apart. Adding a family starts here. */

export const FAMILIES = ['llama', 'qwen2'] as const;
export type Family = (typeof FAMILIES)[number];

export interface FamilyTraits {
  /** The `architectures` entry of its config.json. */
  architecture: string;
  /** q/k/v projections carry biases: always, or only when config.json sets `attention_bias`. */
  qkvBias: 'always' | 'attention_bias';
  /** o_proj carries a bias: never, or only when config.json sets `attention_bias`. */
  oBias: 'never' | 'attention_bias';
  /** config.json fields of the family that the engine cannot run when they are `true`. */
  unsupportedFlags: readonly string[];
  /** What `retort model init` gives a fresh model of the family where its config leaves a field out. */
  fresh: { ropeTheta: number; tieWordEmbeddings: boolean; configFields: Record<string, unknown> };
}

export const FAMILY_TRAITS: Record<Family, FamilyTraits> = {
  llama: {
    architecture: 'LlamaForCausalLM',
    qkvBias: 'attention_bias',
    oBias: 'attention_bias',
    unsupportedFlags: [],
    fresh: { ropeTheta: 1e4, tieWordEmbeddings: false, configFields: { attention_bias: false, mlp_bias: false } },
  },
  qwen2: {
    architecture: 'Qwen2ForCausalLM',
    qkvBias: 'always',
    oBias: 'never',
    unsupportedFlags: ['use_sliding_window'],
    fresh: { ropeTheta: 1e6, tieWordEmbeddings: true, configFields: { use_sliding_window: false } },
  },
};

export const ARCHITECTURES: readonly string[] = FAMILIES.map((f) => FAMILY_TRAITS[f].architecture);

export function isFamily(v: unknown): v is Family {
  return (FAMILIES as readonly unknown[]).includes(v);
}

export function familyOfArchitecture(architecture: unknown): Family | undefined {
  return FAMILIES.find((f) => FAMILY_TRAITS[f].architecture === architecture);
}

/** The family a config.json names, by `model_type` or else its first architecture (either spelling in either field). */
export function familyOfConfig(config: { model_type?: unknown; architectures?: unknown }): Family | undefined {
  const byName = (v: unknown) => (isFamily(v) ? v : familyOfArchitecture(v));
  return byName(config.model_type) ?? byName(Array.isArray(config.architectures) ? config.architectures[0] : undefined);
}

/** Traits of a family; an unknown `model_type` is read as llama, the plainest of them. */
export function familyTraits(family: string): FamilyTraits {
  return isFamily(family) ? FAMILY_TRAITS[family] : FAMILY_TRAITS.llama;
}

/** Which attention projections carry biases, given the family and config.json's `attention_bias`. */
export function attentionBiases(family: string, attentionBias: boolean): { qkvBias: boolean; oBias: boolean } {
  const t = familyTraits(family);
  return { qkvBias: t.qkvBias === 'always' || attentionBias, oBias: t.oBias === 'attention_bias' && attentionBias };
}

import { z } from 'zod';
import { ALL_LINEAR, type ModelConfigLike, type PlanBackend, type PlanInput } from './planner';

/**
 * Training hyperparameters, with the one set of defaults every way in uses: the api, the console,
 * `retort train`, `retort run train|distill` and `retort schedule add`. The engine's TrainConfig is
 * mapped from it in one place (the engine's `trainConfigOf`), the planner's input in another
 * (`trainingPlanInput` below).
 */
export const HyperparametersSchema = z
  .object({
    method: z.enum(['lora', 'qlora']).default('lora'),
    rank: z.number().int().min(1).max(256).default(8),
    alpha: z.number().positive().default(16),
    dropout: z.number().min(0).max(0.9).default(0),
    targetModules: z.union([z.literal(ALL_LINEAR), z.array(z.string()).min(1)]).default(ALL_LINEAR),
    rslora: z.boolean().default(false),
    steps: z.number().int().min(1).max(1_000_000).default(100),
    batchSize: z.number().int().min(1).max(1024).default(8),
    gradAccum: z.number().int().min(1).max(1024).default(1),
    lr: z.number().positive().max(1).default(2e-4),
    warmupSteps: z.number().int().min(0).default(10),
    schedule: z.enum(['cosine', 'linear', 'constant']).default('cosine'),
    /** The floor of the decay after warmup, as a fraction of lr. */
    minLrRatio: z.number().min(0).max(1).default(0.1),
    weightDecay: z.number().min(0).default(0),
    maxGradNorm: z.number().min(0).default(1),
    maxSeqLen: z.number().int().min(8).max(131072).default(1024),
    trainOnInputs: z.boolean().default(false),
    /**
     * Which assistant turns of chat records train: auto (every turn the chat template keeps as the
     * model wrote it, and always the last: all of them with Llama 3 or ChatML, the last only with
     * Qwen3 or DeepSeek-R1, which drop earlier turns' reasoning), all (a rewritten turn trains in a
     * sequence of its own), or last.
     */
    assistantTurns: z.enum(['auto', 'all', 'last']).default('auto'),
    seed: z.number().int().default(0),
    evalEvery: z.number().int().min(0).default(0),
    saveEvery: z.number().int().min(0).default(50),
    evalFraction: z.number().min(0).max(0.5).default(0),
    /** Recompute each layer in the backward pass: activations stop growing with depth (~1.4x time). */
    gradientCheckpointing: z.boolean().default(false),
    /** Token-level KD where the data carries teacher top-k logprobs that match the student's tokenizer: weight of the distillation term. */
    kdAlpha: z.number().min(0).max(1).default(0.5),
    /** Temperature of the token-level KD term. */
    kdTemperature: z.number().positive().max(100).default(1),
  })
  .strict();
export type Hyperparameters = z.infer<typeof HyperparametersSchema>;

export const HYPERPARAMETER_DEFAULTS: Hyperparameters = HyperparametersSchema.parse({});

/** The memory planner's input for one optimizer step of a training run with these hyperparameters. */
export function trainingPlanInput(config: ModelConfigLike, hp: Hyperparameters, backend?: PlanBackend, opts: { kd?: boolean; seq?: number; batch?: number; weightsOnHost?: boolean } = {}): PlanInput {
  return {
    config,
    method: hp.method,
    seq: opts.seq ?? hp.maxSeqLen,
    batch: opts.batch ?? hp.batchSize,
    rank: hp.rank,
    ...(hp.targetModules === ALL_LINEAR ? {} : { targets: hp.targetModules }),
    ...(backend ? { backend } : {}),
    checkpoint: hp.gradientCheckpointing,
    kd: opts.kd ?? false,
    ...(opts.weightsOnHost ? { weightsOnHost: true } : {}),
  };
}

import { Command } from 'commander';
import type { CreatePipelineRunDto } from '@retort/contracts';

/**
 * The teacher-generation and evaluation flags of a distillation, shared by `retort run distill` and
 * `retort schedule add` so that a schedule can run exactly what a one-off distillation runs.
 * Without --max-tokens the api chooses the teacher's budget from its context (teacherMaxTokensDefault);
 * the hyperparameters are in hyperparameter-options.ts.
 */
export function addPipelineOptions(cmd: Command): Command {
  return cmd
    .option('--samples <n>', 'teacher samples per prompt', '1')
    .option('--temperature <x>', 'teacher temperature', '0')
    .option('--max-tokens <n>', "teacher answer budget (default: 1024, or half the teacher's context when that is shorter)")
    .option('--logprobs <k>', "keep the teacher's top-k logprobs (k <= 20) for token-level KD, used when its tokenizer is the student's")
    .option('--eval-max-tokens <n>', 'answer budget when evaluating', '64');
}

/** The generate and evaluate parts of a pipeline request from those flags. */
export function pipelineStepOptions(o: Record<string, unknown>): Pick<CreatePipelineRunDto, 'generate' | 'evaluate'> {
  return {
    generate: { samples: int(o.samples, 'samples'), temperature: num(o.temperature, 'temperature'), ...(o.maxTokens !== undefined ? { maxTokens: int(o.maxTokens, 'max-tokens') } : {}), ...(o.logprobs !== undefined ? { logprobs: int(o.logprobs, 'logprobs') } : {}) },
    evaluate: { maxTokens: int(o.evalMaxTokens, 'eval-max-tokens') },
  };
}

export function int(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`--${flag}: expected an integer, got "${v}"`);
  return n;
}

export function num(v: unknown, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${flag}: expected a number, got "${v}"`);
  return n;
}

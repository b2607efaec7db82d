/**
 * Helpers shared by make.ts (the demo models) and trial.ts (a distillation trial): a model layout,
 * LoRA training on chat records, greedy generation and task scoring, all on the engine.
 */
import * as fs from 'node:fs';
import { scoreSupportAnswer } from '@retort/datasets';
import {
  disposeLora,
  disposeModel,
  generate,
  initModel,
  loadAdapter,
  loadModel,
  runTraining,
  trainConfig,
  type LoraAdapter,
  type Model,
  type TrainConfig,
  type TrainRecord,
} from '@retort/engine';
import { ChatTokenizer } from '@retort/tokenizer';

export interface SupportRecord {
  id: string;
  messages?: { role: string; content: string }[];
  prompt?: string;
  intent: string;
  reference: string;
}

export function readRecords(file: string): SupportRecord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SupportRecord);
}

/** The user turn of a record (chat or prompt-only). */
export function userText(r: SupportRecord): string {
  if (r.prompt !== undefined) return r.prompt;
  const u = r.messages!.find((m) => m.role === 'user');
  return u!.content;
}

export const log = (msg: string) => process.stderr.write(`[demo-models ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Chat records `{messages: [user, assistant]}` for training. */
export function chatRecords(pairs: { user: string; answer: string }[]): TrainRecord[] {
  return pairs.map((p) => ({
    messages: [
      { role: 'user', content: p.user },
      { role: 'assistant', content: p.answer },
    ],
  }));
}

/** A random base in HF layout with the byte-level tokenizer of `initModel`. */
export function makeBase(out: string, family: 'llama' | 'qwen2', config: Record<string, unknown>, seed: number): void {
  fs.mkdirSync(out, { recursive: true });
  initModel({ family, config, out, seed });
}

export interface TrainSettings {
  steps: number;
  batchSize: number;
  lr: number;
  rank: number;
  alpha: number;
  maxSeqLen: number;
  warmupSteps?: number;
  seed: number;
  targets?: string[];
}

export function toTrainConfig(s: TrainSettings): TrainConfig {
  return trainConfig({
    steps: s.steps,
    batchSize: s.batchSize,
    lr: s.lr,
    warmupSteps: s.warmupSteps ?? Math.min(20, Math.ceil(s.steps / 10)),
    maxSeqLen: s.maxSeqLen,
    seed: s.seed,
    schedule: 'cosine',
    minLrRatio: 0.1,
    lora: { r: s.rank, alpha: s.alpha, dropout: 0, targetModules: s.targets ?? ['all-linear'] },
  });
}

/** LoRA on `modelDir` with `records`; the PEFT adapter is written to `out`. Returns seconds taken and the final loss. */
export async function trainLora(modelDir: string, records: TrainRecord[], out: string, s: TrainSettings): Promise<{ seconds: number; loss?: number }> {
  const started = Date.now();
  const every = Math.max(1, Math.round(s.steps / 10));
  let lossAvg = 0;
  let n = 0;
  const res = await runTraining({
    modelDir,
    data: records,
    out,
    config: toTrainConfig(s),
    checkpointStore: { save: async () => undefined, latest: async () => undefined },
    onProgress: (p) => {
      lossAvg += p.loss;
      n++;
      if (p.step % every === 0 || p.step === p.totalSteps) {
        log(`  step ${p.step}/${p.totalSteps} loss ${(lossAvg / n).toFixed(4)} lr ${p.lr.toExponential(2)} ${Math.round(p.tokensPerSec)} tok/s ${(p.elapsedMs / 1000).toFixed(0)} s`);
        lossAvg = 0;
        n = 0;
      }
    },
  });
  return { seconds: (Date.now() - started) / 1000, loss: res.finalLoss };
}

export interface Scores {
  n: number;
  intent: number;
  exact: number;
  slots: number;
  seconds: number;
}

/** Greedy answers with the chat template, stopping at the end-of-turn token, as the product's evaluation does. */
export async function answer(model: Model, tok: ChatTokenizer, users: string[], opts: { maxTokens: number; lora?: LoraAdapter; temperature?: number; seed?: number }): Promise<string[]> {
  const eos = [tok.eosTokenId, ...[model.config.eosTokenId ?? []].flat()].filter((x): x is number => x !== undefined);
  const out: string[] = [];
  for (const [i, u] of users.entries()) {
    const text = tok.applyChatTemplate([{ role: 'user', content: u }], { addGenerationPrompt: true });
    out.push(
      (
        await generate(model, tok.encode(text), {
        maxNewTokens: opts.maxTokens,
        stopTokenIds: eos,
        lora: opts.lora,
        temperature: opts.temperature ?? 0,
        seed: (opts.seed ?? 0) + i,
        decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }),
        })
      ).text ?? '',
    );
  }
  return out;
}

export function score(answers: string[], refs: string[]): Omit<Scores, 'seconds'> {
  let intent = 0;
  let exact = 0;
  let sc = 0;
  let st = 0;
  answers.forEach((a, i) => {
    const s = scoreSupportAnswer(a, refs[i]);
    intent += s.intent ? 1 : 0;
    exact += s.exact ? 1 : 0;
    sc += s.slotsCorrect;
    st += s.slotsTotal;
  });
  const n = answers.length;
  return { n, intent: intent / n, exact: exact / n, slots: st ? sc / st : 0 };
}

/** Scores a model directory (optionally with an adapter) on records with references. */
export async function evaluateDir(modelDir: string, records: SupportRecord[], opts: { maxTokens: number; adapterDir?: string }): Promise<Scores & { samples: string[] }> {
  const started = Date.now();
  const model = loadModel(modelDir);
  const tok = ChatTokenizer.fromDir(modelDir);
  const lora = opts.adapterDir ? loadAdapter(opts.adapterDir, model) : undefined;
  const answers = await answer(model, tok, records.map(userText), { maxTokens: opts.maxTokens, lora });
  if (lora) disposeLora(lora);
  disposeModel(model);
  return { ...score(answers, records.map((r) => r.reference)), seconds: (Date.now() - started) / 1000, samples: answers.slice(0, 5) };
}

export const fmt = (s: Scores) => `intent ${s.intent.toFixed(3)} exact ${s.exact.toFixed(3)} slots ${s.slots.toFixed(3)} (n=${s.n}, ${s.seconds.toFixed(0)} s)`;

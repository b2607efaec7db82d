/**
 * Makes the two small models of Retort's demo (`retort up --demo`), in Hugging Face layout:
 *
 * - demo-student: a random qwen2 base with the byte-level tokenizer of `retort model init`. It
 *   answers nothing useful (task score ~0) until a LoRA adapter is trained on it.
 * - demo-teacher: a random qwen2 base of the same shape (another seed), LoRA-trained on
 *   datasets/demo-support/train.jsonl with a high rank on all linear projections, and merged, so
 *   that it is a plain checkpoint that answers the task well.
 *
 *   node -r @swc-node/register scripts/demo-models/make.ts --out datasets/demo-models [--seed N]
 *        [--teacher-steps N] [--eval-limit N] [--keep-work]
 *
 * Deterministic given the seed (and the backend: the numbers in datasets/demo-models/README.md are
 * from wasm). The teacher's scores on eval.jsonl (greedy, chat template, as the product evaluates)
 * go to <out>/manifest.json with every setting used.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@retort/engine';
import { chatRecords, evaluateDir, fmt, log, makeBase, mergeToDir, readRecords, trainLora, userText, type TrainSettings } from './lib';

/** The architecture of both models: ~0.8M parameters, 1.6 MB in F16. */
export const DEMO_CONFIG = {
  hidden_size: 128,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  intermediate_size: 384,
  vocab_size: 264, // 256 bytes + 3 ChatML specials, rounded up to a multiple of 8
  max_position_embeddings: 512,
};

/**
 * Gain of the final RMSNorm. The head is the (frozen, tied) embedding matrix with weights of std
 * 0.02, so with a unit gain a logit is at most sqrt(128) * 0.02 * sqrt(128) = 2.6 and LoRA cannot
 * make any token likely (the loss stalls near 3.5 nats). A gain of 5 lifts that ceiling to 13.
 */
export const NORM_GAIN = 5;

export const TEACHER_TRAIN: Omit<TrainSettings, 'seed'> = {
  steps: 500,
  batchSize: 16,
  lr: 4e-3,
  rank: 64,
  alpha: 64,
  maxSeqLen: 192,
  warmupSteps: 20,
};

const EVAL_MAX_TOKENS = 80;

function parseArgs(argv: string[]): { out: string; seed: number; teacherSteps: number; evalLimit?: number; keepWork: boolean } {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = get('--out');
  if (!out) throw new Error('usage: make.ts --out DIR [--seed N] [--teacher-steps N] [--eval-limit N] [--keep-work]');
  const int = (name: string, dflt?: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer (got ${v})`);
    return Number(v);
  };
  return { out, seed: int('--seed', 1)!, teacherSteps: int('--teacher-steps', TEACHER_TRAIN.steps)!, evalLimit: int('--eval-limit'), keepWork: argv.includes('--keep-work') };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = await initBackend();
  const root = path.resolve(__dirname, '../..');
  const data = path.join(root, 'datasets/demo-support');
  const out = path.resolve(args.out);
  const studentDir = path.join(out, 'demo-student');
  const teacherDir = path.join(out, 'demo-teacher');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-demo-models-'));
  const started = Date.now();
  try {
    for (const d of [studentDir, teacherDir]) fs.rmSync(d, { recursive: true, force: true });

    log(`demo-student: random qwen2 base, seed ${args.seed}`);
    makeBase(studentDir, 'qwen2', DEMO_CONFIG, args.seed, { normGain: NORM_GAIN, dtype: 'F16' });

    const teacherBase = path.join(work, 'teacher-base');
    const teacherSeed = args.seed + 1000;
    log(`demo-teacher: random qwen2 base, seed ${teacherSeed}, LoRA on train.jsonl`);
    makeBase(teacherBase, 'qwen2', DEMO_CONFIG, teacherSeed, { normGain: NORM_GAIN });
    const train = readRecords(path.join(data, 'train.jsonl'));
    const settings: TrainSettings = { ...TEACHER_TRAIN, steps: args.teacherSteps, seed: args.seed };
    const t = await trainLora(teacherBase, chatRecords(train.map((r) => ({ user: userText(r), answer: r.reference }))), path.join(work, 'teacher-adapter'), settings);
    log(`teacher LoRA: ${settings.steps} steps in ${t.seconds.toFixed(0)} s, final loss ${t.loss?.toFixed(4)}`);
    await mergeToDir(teacherBase, path.join(work, 'teacher-adapter'), teacherDir, 'F16');

    let evalRecs = readRecords(path.join(data, 'eval.jsonl'));
    if (args.evalLimit) evalRecs = evalRecs.slice(0, args.evalLimit);
    const teacher = await evaluateDir(teacherDir, evalRecs, { maxTokens: EVAL_MAX_TOKENS });
    log(`demo-teacher on eval.jsonl: ${fmt(teacher)}`);
    const student = await evaluateDir(studentDir, evalRecs, { maxTokens: EVAL_MAX_TOKENS });
    log(`demo-student on eval.jsonl: ${fmt(student)}`);

    const strip = ({ seconds: _s, samples: _x, ...rest }: typeof teacher) => rest;
    const manifest = {
      command: `node -r @swc-node/register scripts/demo-models/make.ts --out ${path.relative(root, out) || '.'} --seed ${args.seed}` + (args.teacherSteps !== TEACHER_TRAIN.steps ? ` --teacher-steps ${args.teacherSteps}` : '') + (args.evalLimit ? ` --eval-limit ${args.evalLimit}` : ''),
      backend: backend.name,
      seed: args.seed,
      architecture: { family: 'qwen2', ...DEMO_CONFIG, tie_word_embeddings: true, final_norm_gain: NORM_GAIN, initializer_range: 0.02, dtype: 'F16' },
      student: { seed: args.seed },
      teacher: { baseSeed: teacherSeed, data: 'datasets/demo-support/train.jsonl', lora: { ...settings, targetModules: 'all-linear', schedule: 'cosine', minLrRatio: 0.1 }, finalLoss: t.loss },
      evaluation: { data: 'datasets/demo-support/eval.jsonl', n: evalRecs.length, decoding: 'greedy, chat template, stop at <|im_end|>', maxTokens: EVAL_MAX_TOKENS, teacher: strip(teacher), student: strip(student) },
    };
    fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${studentDir}, ${teacherDir}`);
  } finally {
    if (args.keepWork) log(`work files kept in ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}

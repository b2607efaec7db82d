/**
 * Makes the two small models of Retort's demo (`retort up --demo`), in Hugging Face layout, with the
 * byte-level ChatML tokenizer of `retort model init`:
 *
 * Both are small qwen2 models pretrained, every weight, by scripts/demo-models/pretrain.py, in two
 * stages: a shared foundation on copy drills (corpus.ts), then each on its own corpus:
 * - demo-teacher: fresh support requests answered in the task's structured format: it answers the
 *   demo task well;
 * - demo-student: the same requests answered in prose ("This is a lost parcel request (order
 *   350747)."): it reads order numbers, places and dates but does not know the structured format,
 *   so its task score is ~0 until a LoRA adapter teaches it.
 * Neither corpus holds a request of the committed demo files (train, eval, prompts).
 *
 *   node -r @swc-node/register scripts/demo-models/make.ts --out datasets/demo-models [--seed N]
 *        [--foundation-steps N] [--teacher-steps N] [--student-steps N] [--eval-limit N] [--keep-work]
 *
 * Needs Debian's python3-torch (RETORT_TORCH_PYTHON names another python). Deterministic given the
 * seed on one machine. The scores on eval.jsonl (greedy, chat template, as the product evaluates)
 * go to <out>/manifest.json with every setting used.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, readSafetensors, writeCheckpoint } from '@retort/engine';
import { copyDrills, echoPair, freshRequests, proseAnswer, writeCorpus, type Pair } from './corpus';
import { evaluateDir, fmt, log, makeBase, readRecords } from './lib';

/**
 * The architecture of both models: ~0.8M parameters, 1.8 MB in F16. rope_theta 10000, not Qwen2's
 * 1e6: with 32-dimensional heads, 1e6 leaves too few fast-turning rotary dimensions to tell the
 * previous position from the ones before it, which copying needs.
 */
export const DEMO_CONFIG = {
  hidden_size: 128,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  intermediate_size: 384,
  vocab_size: 264, // 256 bytes + 3 ChatML specials, rounded up to a multiple of 8
  max_position_embeddings: 512,
  rope_theta: 10000,
};

/**
 * Two stages, all weights trained (pretrain.py). lr 1e-3: at 3e-3 the copy drills' loss stayed at
 * the random-character level (2.5 nats) for 1000 steps; at 1e-3 it fell to 0.33 by step 1000.
 */
export const PRETRAIN = {
  /** Stage 1, shared: copy drills only, at a constant learning rate. */
  foundation: { steps: 1000, batch: 32, lr: 1e-3, warmup: 50, schedule: 'constant', drills: 40000 },
  /** Stage 2, from the foundation: requests answered (teacher: structured, student: prose), echoes and drills. */
  task: { teacherSteps: 2500, studentSteps: 1500, batch: 16, lr: 1e-3, warmup: 50, schedule: 'cosine', requests: 20000, echoes: 10000, drills: 10000 },
  maxLen: 192,
};

const EVAL_MAX_TOKENS = 80;

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = get('--out');
  if (!out) throw new Error('usage: make.ts --out DIR [--seed N] [--foundation-steps N] [--teacher-steps N] [--student-steps N] [--eval-limit N] [--keep-work]');
  const int = (name: string, dflt?: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer (got ${v})`);
    return Number(v);
  };
  return {
    out,
    seed: int('--seed', 1)!,
    foundationSteps: int('--foundation-steps', PRETRAIN.foundation.steps)!,
    teacherSteps: int('--teacher-steps', PRETRAIN.task.teacherSteps)!,
    studentSteps: int('--student-steps', PRETRAIN.task.studentSteps)!,
    evalLimit: int('--eval-limit'),
    keepWork: argv.includes('--keep-work'),
  };
}

/** Runs pretrain.py on one thread (two run side by side; on this 2-core machine one thread each beats two for one). */
function pretrain(args: string[], logName: string): Promise<{ seconds: number; heldOutLoss: number }> {
  const py = process.env.RETORT_TORCH_PYTHON ?? '/usr/bin/python3';
  const child = spawn(py, [path.join(__dirname, 'pretrain.py'), ...args, '--threads', '1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? 'SkylakeX', OMP_NUM_THREADS: '1' },
  });
  let last = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      if (line.startsWith('[pretrain]')) log(`${logName}: ${line.slice(11)}`);
      else last = line;
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(last)) : reject(new Error(`pretrain.py for ${logName} exited with ${code}`))));
  });
}

/** The pretrained F32 weights written into a model directory as F16, beside its config and tokenizer. */
function install(layoutDir: string, weights: string, out: string): void {
  fs.rmSync(out, { recursive: true, force: true });
  fs.cpSync(layoutDir, out, { recursive: true });
  const raw = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  delete raw.torch_dtype;
  writeCheckpoint(out, raw, readSafetensors(fs.readFileSync(weights), weights).tensors, { dtype: 'F16' });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = await initBackend();
  const root = path.resolve(__dirname, '../..');
  const out = path.resolve(args.out);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-demo-models-'));
  const started = Date.now();
  try {
    // config.json and the tokenizer files (the random weights are replaced below).
    const layout = path.join(work, 'layout');
    makeBase(layout, 'qwen2', DEMO_CONFIG, args.seed);
    const corpus = (name: string, pairs: Pair[]) => {
      const c = writeCorpus(path.join(work, `${name}.jsonl`), layout, pairs, PRETRAIN.maxLen);
      log(`corpus ${name}: ${c.examples} examples, ${c.tokens} tokens`);
      return { ...c, file: path.join(work, `${name}.jsonl`) };
    };
    const run = (stage: { batch: number; lr: number; warmup: number; schedule: string }, steps: number, corpusFile: string, out: string, seed: number, name: string, init?: string) =>
      pretrain(['--config', path.join(layout, 'config.json'), '--corpus', corpusFile, '--out', out, '--steps', String(steps), '--batch', String(stage.batch), '--lr', String(stage.lr), '--warmup', String(stage.warmup), '--schedule', stage.schedule, '--seed', String(seed), ...(init ? ['--init', init] : [])], name);

    const f = PRETRAIN.foundation;
    const drills = corpus('foundation', copyDrills(f.drills, args.seed));
    const foundation = path.join(work, 'foundation.safetensors');
    const foundationRun = await run(f, args.foundationSteps, drills.file, foundation, args.seed, 'foundation');

    const t = PRETRAIN.task;
    const requests = freshRequests(t.requests, 4242 + args.seed);
    const shared = [...freshRequests(t.echoes, 777 + args.seed).map((r) => echoPair(r.user)), ...copyDrills(t.drills, 11 + args.seed)];
    const corpora = {
      teacher: corpus('teacher', [...requests.map((r) => ({ user: r.user, answer: r.reference })), ...shared]),
      student: corpus('student', [...requests.map((r) => ({ user: r.user, answer: proseAnswer(r.reference) })), ...shared]),
    };
    const [teacherRun, studentRun] = await Promise.all(
      (['teacher', 'student'] as const).map((who, i) => run(t, who === 'teacher' ? args.teacherSteps : args.studentSteps, corpora[who].file, path.join(work, `${who}.safetensors`), args.seed * 2 + i, `demo-${who}`, foundation)),
    );
    const teacherDir = path.join(out, 'demo-teacher');
    const studentDir = path.join(out, 'demo-student');
    install(layout, path.join(work, 'teacher.safetensors'), teacherDir);
    install(layout, path.join(work, 'student.safetensors'), studentDir);

    let evalRecs = readRecords(path.join(root, 'datasets/demo-support/eval.jsonl'));
    if (args.evalLimit) evalRecs = evalRecs.slice(0, args.evalLimit);
    const teacher = await evaluateDir(teacherDir, evalRecs, { maxTokens: EVAL_MAX_TOKENS });
    log(`demo-teacher on eval.jsonl: ${fmt(teacher)}`);
    const student = await evaluateDir(studentDir, evalRecs, { maxTokens: EVAL_MAX_TOKENS });
    log(`demo-student on eval.jsonl: ${fmt(student)}`);

    const strip = ({ seconds: _s, ...rest }: typeof teacher) => rest;
    const flags = [
      `--seed ${args.seed}`,
      args.foundationSteps !== PRETRAIN.foundation.steps && `--foundation-steps ${args.foundationSteps}`,
      args.teacherSteps !== PRETRAIN.task.teacherSteps && `--teacher-steps ${args.teacherSteps}`,
      args.studentSteps !== PRETRAIN.task.studentSteps && `--student-steps ${args.studentSteps}`,
      args.evalLimit && `--eval-limit ${args.evalLimit}`,
    ].filter(Boolean);
    const manifest = {
      command: `node -r @swc-node/register scripts/demo-models/make.ts --out ${path.relative(root, out) || '.'} ${flags.join(' ')}`,
      backend: backend.name,
      seed: args.seed,
      architecture: { family: 'qwen2', ...DEMO_CONFIG, tie_word_embeddings: true, initializer_range: 0.02, dtype: 'F16' },
      pretraining: {
        optimizer: 'AdamW (betas 0.9/0.98, weight decay 0.01 on matrices), linear warmup then cosine to 10%, clip 1.0, float32, PyTorch eager, one thread per run',
        maxLen: PRETRAIN.maxLen,
        foundation: { ...f, steps: args.foundationSteps, tokens: drills.tokens, seconds: foundationRun.seconds, heldOutLoss: foundationRun.heldOutLoss },
        task: { ...t, teacherSteps: args.teacherSteps, studentSteps: args.studentSteps },
      },
      teacher: { answers: 'structured (the task format)', tokens: corpora.teacher.tokens, seconds: teacherRun.seconds, heldOutLoss: teacherRun.heldOutLoss },
      student: { answers: 'prose', tokens: corpora.student.tokens, seconds: studentRun.seconds, heldOutLoss: studentRun.heldOutLoss },
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

/**
 * A distillation trial on the demo models, without the stack: what `retort run distill --dataset
 * demo-support --teacher demo-teacher --student demo-student` does, in one process.
 *
 * 1. demo-teacher answers datasets/demo-support/prompts.jsonl (chat template, `--temperature`, `--samples`);
 * 2. a LoRA adapter is trained on demo-student with those answers (sequence-level KD);
 * 3. demo-student is scored on eval.jsonl before and after (greedy), as the product's evaluation does.
 *
 *   node -r @swc-node/register scripts/demo-models/trial.ts --models datasets/demo-models
 *        [--steps 300 --batch 8 --lr 3e-3 --rank 16 --alpha 32 --max-seq-len 192 --seed 1]
 *        [--temperature 0 --samples 1 --gen-max-tokens 64 --eval-max-tokens 64 --prompts N --eval-limit N]
 *        [--json FILE]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { disposeModel, initBackend, loadModel } from '@retort/engine';
import { ChatTokenizer } from '@retort/tokenizer';
import { answer, chatRecords, evaluateDir, fmt, log, readRecords, score, trainLora, userText } from './lib';

function parse(argv: string[]) {
  const get = (name: string, dflt?: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const num = (name: string, dflt?: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`${name} must be a number (got ${v})`);
    return n;
  };
  const models = get('--models');
  if (!models) throw new Error('usage: trial.ts --models DIR [options]');
  return {
    models: path.resolve(models),
    steps: num('--steps', 300)!,
    batch: num('--batch', 8)!,
    lr: num('--lr', 3e-3)!,
    rank: num('--rank', 16)!,
    alpha: num('--alpha', 32)!,
    maxSeqLen: num('--max-seq-len', 192)!,
    seed: num('--seed', 1)!,
    temperature: num('--temperature', 0)!,
    samples: num('--samples', 1)!,
    genMaxTokens: num('--gen-max-tokens', 64)!,
    evalMaxTokens: num('--eval-max-tokens', 64)!,
    prompts: num('--prompts'),
    evalLimit: num('--eval-limit'),
    json: get('--json'),
  };
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  await initBackend();
  const data = path.resolve(__dirname, '../../datasets/demo-support');
  const teacherDir = path.join(a.models, 'demo-teacher');
  const studentDir = path.join(a.models, 'demo-student');
  let prompts = readRecords(path.join(data, 'prompts.jsonl'));
  if (a.prompts) prompts = prompts.slice(0, a.prompts);
  let evalRecs = readRecords(path.join(data, 'eval.jsonl'));
  if (a.evalLimit) evalRecs = evalRecs.slice(0, a.evalLimit);

  // 1. The teacher's answers.
  let t0 = Date.now();
  const teacher = loadModel(teacherDir);
  const tok = ChatTokenizer.fromDir(teacherDir);
  const pairs: { user: string; answer: string }[] = [];
  const genAnswers: string[] = [];
  for (let s = 0; s < a.samples; s++) {
    const users = prompts.map(userText);
    const answers = await answer(teacher, tok, users, { maxTokens: a.genMaxTokens, temperature: a.temperature, seed: a.seed * 100003 + s * 7919 });
    answers.forEach((ans, i) => pairs.push({ user: users[i], answer: ans }));
    genAnswers.push(...answers);
  }
  disposeModel(teacher);
  const genSeconds = (Date.now() - t0) / 1000;
  const teacherOnPrompts = score(genAnswers, Array.from({ length: a.samples }, () => prompts.map((p) => p.reference)).flat());
  log(`teacher answered ${pairs.length} prompts in ${genSeconds.toFixed(0)} s; their scores against the references: intent ${teacherOnPrompts.intent.toFixed(3)} exact ${teacherOnPrompts.exact.toFixed(3)} slots ${teacherOnPrompts.slots.toFixed(3)}`);

  // 2. LoRA on the student.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-demo-trial-'));
  try {
    const adapterDir = path.join(work, 'adapter');
    const train = await trainLora(studentDir, chatRecords(pairs.filter((p) => p.answer.trim())), adapterDir, {
      steps: a.steps,
      batchSize: a.batch,
      lr: a.lr,
      rank: a.rank,
      alpha: a.alpha,
      maxSeqLen: a.maxSeqLen,
      seed: a.seed,
    });
    log(`student LoRA: ${a.steps} steps in ${train.seconds.toFixed(0)} s, final loss ${train.loss?.toFixed(4)}`);

    // 3. Before and after.
    t0 = Date.now();
    const before = await evaluateDir(studentDir, evalRecs, { maxTokens: a.evalMaxTokens });
    log(`student before: ${fmt(before)}`);
    const after = await evaluateDir(studentDir, evalRecs, { maxTokens: a.evalMaxTokens, adapterDir });
    log(`student after:  ${fmt(after)}`);
    log(`samples after: ${JSON.stringify(after.samples)}`);
    const result = {
      settings: a,
      generation: { answers: pairs.length, seconds: genSeconds, scoresAgainstReferences: teacherOnPrompts },
      training: { seconds: train.seconds, finalLoss: train.loss },
      evaluation: { n: evalRecs.length, before, after },
    };
    if (a.json) fs.writeFileSync(a.json, JSON.stringify(result, null, 2) + '\n');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});

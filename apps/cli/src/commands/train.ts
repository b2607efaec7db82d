import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { ALL_LINEAR, expandAllLinear } from '@retort/contracts';
import { formatBytes, initBackend, planMemory, readModelConfig, runTraining, trainConfig, WASM_MAX_BYTES } from '@retort/engine';

const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got "${v}"`);
  return n;
};

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a LoRA adapter locally (no stack needed)')
    .requiredOption('--model <dir>', 'base model directory (HF layout)')
    .requiredOption('--data <file>', 'JSONL: {"messages": [...]}, {"prompt", "completion"} or {"text"}')
    .requiredOption('--out <dir>', 'adapter output directory (checkpoints in <out>/checkpoints)')
    .option('--eval-data <file>', 'held-out JSONL')
    .option('--eval-fraction <f>', 'hold out this fraction of --data for eval', num, 0)
    .option('--steps <n>', 'optimizer steps', num, 100)
    .option('--batch-size <n>', 'sequences per micro-batch', num, 8)
    .option('--grad-accum <n>', 'micro-batches per step', num, 1)
    .option('--lr <lr>', 'peak learning rate', num, 2e-4)
    .option('--warmup-steps <n>', 'linear warmup steps', num, 10)
    .addOption(new Option('--schedule <s>', 'decay after warmup').choices(['cosine', 'linear', 'constant']).default('cosine'))
    .option('--min-lr-ratio <f>', 'floor of the decay, as a fraction of --lr', num, 0.1)
    .option('--weight-decay <f>', 'AdamW decoupled weight decay', num, 0)
    .option('--max-grad-norm <f>', 'global-norm clipping (0: off)', num, 1)
    .option('--max-seq-len <n>', 'truncate longer sequences', num, 1024)
    .option('--lora-r <n>', 'LoRA rank', num, 8)
    .option('--lora-alpha <n>', 'LoRA alpha', num, 16)
    .option('--lora-dropout <f>', 'LoRA dropout', num, 0)
    .option('--target-modules <list>', `comma-separated projections or ${ALL_LINEAR}`, ALL_LINEAR)
    .option('--rslora', 'scale by alpha/sqrt(r)', false)
    .option('--train-on-inputs', 'also train on prompt tokens', false)
    .option('--seed <n>', 'random seed', num, 0)
    .option('--eval-every <n>', 'evaluate every N steps (0: at the end)', num, 0)
    .option('--save-every <n>', 'checkpoint every N steps (0: at the end)', num, 0)
    .option('--resume', 'continue from the latest checkpoint in <out>/checkpoints', false)
    .option('--gradient-checkpointing', 'recompute each layer in the backward pass: far less memory, ~1.4x the time', false)
    .option('--qlora', 'QLoRA: hold the frozen base in NF4 with double quantization (the adapter is an ordinary PEFT adapter)', false)
    .option('--profile-memory', 'measure the peak device memory of the first step and print it beside the planner estimate', false)
    .action(async (o: Record<string, any>, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals().json);
      const targets = String(o.targetModules).split(',').map((s) => s.trim()).filter(Boolean);
      const config = trainConfig({
        quant: o.qlora ? 'nf4' : 'none',
        steps: o.steps,
        batchSize: o.batchSize,
        gradAccum: o.gradAccum,
        lr: o.lr,
        warmupSteps: o.warmupSteps,
        schedule: o.schedule,
        minLrRatio: o.minLrRatio,
        weightDecay: o.weightDecay,
        maxGradNorm: o.maxGradNorm,
        maxSeqLen: o.maxSeqLen,
        trainOnInputs: o.trainOnInputs,
        seed: o.seed,
        evalEvery: o.evalEvery,
        saveEvery: o.saveEvery,
        gradientCheckpointing: o.gradientCheckpointing,
        lora: { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targetModules: expandAllLinear(targets), useRslora: o.rslora },
      });
      const backend = await initBackend();
      if (backend.name === 'wasm') {
        // Refused before anything is loaded: the whole step must fit the 4 GiB wasm can address.
        const plan = planMemory({ config: readModelConfig(o.model).raw as never, method: o.qlora ? 'qlora' : 'lora', seq: o.maxSeqLen, batch: o.batchSize, rank: o.loraR, targets: config.lora.targetModules, backend: 'wasm', checkpoint: config.gradientCheckpointing });
        if (plan.bytes.total > WASM_MAX_BYTES) {
          throw new Error(
            `this run needs about ${formatBytes(plan.bytes.total)} (weights ${formatBytes(plan.bytes.weights)}, activations ${formatBytes(plan.bytes.activations)}; ${o.qlora ? 'qlora' : 'lora'}, seq ${o.maxSeqLen}, batch ${o.batchSize}), more than the ${formatBytes(WASM_MAX_BYTES)} the wasm backend can address: ` +
              `try ${o.qlora ? '' : '--qlora, '}${config.gradientCheckpointing ? '' : '--gradient-checkpointing, '}a smaller --max-seq-len or --batch-size, or a GPU backend (RETORT_BACKEND)`,
          );
        }
      }
      const bar = json
        ? undefined
        : new SingleBar({
            format: 'step {value}/{total} [{bar}] loss {loss} | {tps} tok/s | ETA {etaHuman}{evalText}',
            hideCursor: true,
            etaBuffer: 20,
          });
      let stopping = false;
      const onSignal = () => {
        stopping = true;
      };
      process.once('SIGINT', onSignal);
      let started = false;
      const result = await runTraining({
        modelDir: o.model,
        data: o.data,
        evalData: o.evalData,
        evalFraction: o.evalFraction,
        out: o.out,
        config,
        resume: o.resume,
        profileMemory: o.profileMemory,
        shouldStop: () => stopping,
        onProgress: (p) => {
          if (!bar) return;
          const payload = {
            loss: p.loss.toFixed(4),
            tps: p.tokensPerSec.toFixed(0),
            etaHuman: duration(p.etaMs),
            evalText: p.eval ? ` | eval loss ${p.eval.loss.toFixed(4)} ppl ${p.eval.perplexity.toFixed(2)} acc ${p.eval.tokenAccuracy.toFixed(3)}` : '',
          };
          if (!started) {
            bar.start(p.totalSteps, p.step, payload);
            started = true;
          } else bar.update(p.step, payload);
        },
      });
      bar?.stop();
      process.removeListener('SIGINT', onSignal);
      let memory: { plannedBytes: number; measuredPeakBytes: number } | undefined;
      if (result.peakBytes !== undefined) {
        // Planned for the shape of the profiled step (batches are padded to their longest sequence).
        const [batch, seq] = result.profiledShape ?? [o.batchSize, o.maxSeqLen];
        const plan = planMemory({ config: readModelConfig(o.model).raw as never, method: o.qlora ? 'qlora' : 'lora', seq, batch, rank: o.loraR, targets: config.lora.targetModules, backend: backend.name, checkpoint: config.gradientCheckpointing });
        memory = { plannedBytes: plan.bytes.total, measuredPeakBytes: result.peakBytes };
      }
      if (json) process.stdout.write(JSON.stringify({ ...result, memory }) + '\n');
      else if (result.stopped) process.stdout.write(`stopped at step ${result.step}; resume with --resume\n`);
      else {
        const ev = result.eval ? `, eval loss ${result.eval.loss.toFixed(4)}, perplexity ${result.eval.perplexity.toFixed(2)}, token accuracy ${result.eval.tokenAccuracy.toFixed(3)}` : '';
        process.stdout.write(`trained ${result.step} steps on ${result.trainExamples} examples${ev}; adapter in ${result.adapterDir}\n`);
        const ls = result.linearStorage;
        if (ls.quant === 'nf4') process.stdout.write(`base held in NF4: ${formatBytes(ls.bytes)} for ${ls.params.toLocaleString('en')} projection weights (${ls.bytesPerParam.toFixed(4)} bytes/param)\n`);
        if (memory) process.stdout.write(`memory of step 1: measured peak ${formatBytes(memory.measuredPeakBytes)}, planner estimate ${formatBytes(memory.plannedBytes)}\n`);
      }
    });
}

import * as os from 'node:os';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { bindingRefusal, trainingPlanInput, type ModelConfigLike } from '@retort/contracts';
import { formatBytes, initBackend, planMemory, readModelConfig, runTraining, trainConfigOf, WASM_MAX_BYTES } from '@retort/engine';
import { addHyperparameterOptions, parseHyperparameterOptions } from '../hyperparameter-options';

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function registerTrainCommand(program: Command): void {
  const command = program
    .command('train')
    .description('train a LoRA adapter locally (no stack needed)')
    .requiredOption('--model <dir>', 'base model directory (HF layout)')
    .requiredOption('--data <file>', 'JSONL: {"messages": [...]}, {"prompt", "completion"} or {"text"}')
    .requiredOption('--out <dir>', 'adapter output directory (checkpoints in <out>/checkpoints)')
    .option('--eval-data <file>', 'held-out JSONL')
    .option('--resume', 'continue from the latest checkpoint in <out>/checkpoints', false)
    .option('--profile-memory', 'measure the peak device memory of the first step and print it beside the planner estimate', false);
  addHyperparameterOptions(command).action(async (o: Record<string, any>, cmd: Command) => {
    const json = Boolean(cmd.optsWithGlobals().json);
    const hp = parseHyperparameterOptions(o);
    const config = trainConfigOf(hp);
    const modelConfig = readModelConfig(o.model).raw as ModelConfigLike;
    const backend = await initBackend();
    if (backend.adapter) {
      // Refused before anything is loaded: on webgpu each tensor of the step is one storage binding.
      const why = bindingRefusal(trainingPlanInput(modelConfig, hp, 'webgpu'), backend.adapter.limits.maxStorageBufferBindingSize);
      if (why) throw new Error(`this run cannot train on webgpu (${backend.adapter.description}): ${why}`);
    }
    if (backend.name === 'wasm') {
      // Refused before anything is loaded: what the step holds in the heap must fit the 4 GiB wasm can
      // address (with the native addon the frozen weights are beside it, in host memory), and all of it this machine.
      const onHost = backend.weightsOnHost === true;
      const plan = planMemory(trainingPlanInput(modelConfig, hp, 'wasm', { weightsOnHost: onHost }));
      const where = onHost ? ` (${formatBytes(plan.bytes.frozenMatrices)} of frozen weights in host memory, ${formatBytes(plan.bytes.device)} in the wasm heap)` : '';
      const tryThis = `try ${hp.method === 'qlora' ? '' : '--qlora, '}${config.gradientCheckpointing ? '' : '--gradient-checkpointing, '}a smaller --max-seq-len or --batch-size, or a GPU backend (RETORT_BACKEND)`;
      const needs = `this run needs about ${formatBytes(plan.bytes.total)}${where} (weights ${formatBytes(plan.bytes.weights)}, activations ${formatBytes(plan.bytes.activations)}; ${hp.method}, seq ${hp.maxSeqLen}, batch ${hp.batchSize})`;
      if (plan.bytes.device > WASM_MAX_BYTES) throw new Error(`${needs}, more than the ${formatBytes(WASM_MAX_BYTES)} the wasm backend can address: ${tryThis}`);
      if (plan.bytes.total > os.totalmem()) throw new Error(`${needs}, more than this machine's ${formatBytes(os.totalmem())} of memory: ${tryThis}`);
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
      evalFraction: hp.evalFraction,
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
      const [batch, seq] = result.profiledShape ?? [hp.batchSize, hp.maxSeqLen];
      const plan = planMemory(trainingPlanInput(modelConfig, hp, backend.name, { batch, seq }));
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

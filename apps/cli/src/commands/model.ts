import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { ALL_LINEAR, FAMILIES, isFamily } from '@retort/contracts';
import { ApiClient } from '../client';
import { print, table } from '../output';
import { formatBytes, initBackend, initModel, safeDtypeOf, lastLogits, loadAdapter, loadModel, MemoryPlan, planMemory, readModelConfig, writeMergedCheckpoint } from '@retort/engine';

function parseIntList(s: string): number[] {
  const ids = s.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  if (!ids.length || ids.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`--tokens: expected comma-separated token ids, got "${s}"`);
  return ids;
}

export function registerModelCommand(program: Command): void {
  const model = program.command('model').description('base models: register, list, create, inspect');

  model
    .command('register <name>')
    .description('register a base model directory (Hugging Face layout, on a path the workers can read) with the api')
    .requiredOption('--path <dir>', 'the model directory')
    .action(async (name: string, o: { path: string }, cmd: Command) => {
      const dir = path.resolve(o.path);
      const { data } = await ApiClient.fromEnv().request<{ id: string; name: string; family: string; path: string }>('POST', '/api/v1/models', { json: { name, path: dir } });
      print(Boolean(cmd.optsWithGlobals().json), data, () => `model ${data.name} (${data.family}) registered from ${data.path}`);
    });

  model
    .command('ls')
    .description('registered base models')
    .action(async (_o: unknown, cmd: Command) => {
      const { data } = await ApiClient.fromEnv().request<{ name: string; family: string; path: string }[]>('GET', '/api/v1/models?range=[0,999]');
      print(Boolean(cmd.optsWithGlobals().json), data, () => table(['name', 'family', 'path'], data.map((m) => [m.name, m.family, m.path])));
    });

  model
    .command('init')
    .description('write a random model in Hugging Face layout (weights, byte-level BPE tokenizer, chat template)')
    .requiredOption('--family <family>', FAMILIES.join(' | '))
    .requiredOption('--config <file>', 'JSON with config.json fields (hidden_size, num_hidden_layers, ...)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'random seed', '0')
    .addOption(new Option('--dtype <dtype>', "stored dtype (default: the config's torch_dtype, else float32)").choices(['float32', 'bfloat16', 'float16']))
    .option('--max-shard-size <bytes>', 'largest safetensors shard, in bytes (default 5e9, as transformers)')
    .action((opts: { family: string; config: string; out: string; seed: string; dtype?: string; maxShardSize?: string }, cmd: Command) => {
      if (!isFamily(opts.family)) throw new Error(`--family: "${opts.family}" is not ${FAMILIES.join(' or ')}`);
      let config: Record<string, unknown>;
      try {
        config = JSON.parse(fs.readFileSync(opts.config, 'utf8'));
      } catch (err) {
        throw new Error(`${opts.config}: ${(err as Error).message}`);
      }
      const maxShardBytes = opts.maxShardSize === undefined ? undefined : Number(opts.maxShardSize);
      if (maxShardBytes !== undefined && !(maxShardBytes > 0)) throw new Error(`--max-shard-size: "${opts.maxShardSize}" is not a positive number of bytes`);
      const dtype = safeDtypeOf(opts.dtype);
      const res = initModel({ family: opts.family, config, out: opts.out, seed: Number(opts.seed), dtype, maxShardBytes });
      if (cmd.optsWithGlobals().json) process.stdout.write(JSON.stringify({ out: opts.out, ...res }) + '\n');
      else process.stdout.write(`wrote ${opts.family} model to ${opts.out}: ${res.files.join(', ')}\n`);
    });

  model
    .command('merge')
    .description('fold a PEFT LoRA adapter into its base and write the merged model in HF layout, one tensor at a time')
    .requiredOption('--model <dir>', 'base model directory (HF layout)')
    .requiredOption('--adapter <dir>', 'PEFT LoRA adapter directory')
    .requiredOption('--out <dir>', 'output directory')
    .addOption(new Option('--quant <q>', 'nf4: merge into the NF4-rounded base a QLoRA adapter was trained against').choices(['none', 'nf4']).default('none'))
    .addOption(new Option('--dtype <dtype>', "stored dtype (default: the base config's torch_dtype, else float32)").choices(['float32', 'bfloat16', 'float16']))
    .option('--max-shard-size <bytes>', 'largest safetensors shard, in bytes (default 5e9, as transformers)')
    .action(async (opts: { model: string; adapter: string; out: string; quant: 'none' | 'nf4'; dtype?: string; maxShardSize?: string }, cmd: Command) => {
      const maxShardBytes = opts.maxShardSize === undefined ? undefined : Number(opts.maxShardSize);
      if (maxShardBytes !== undefined && !(maxShardBytes > 0)) throw new Error(`--max-shard-size: "${opts.maxShardSize}" is not a positive number of bytes`);
      await initBackend();
      const adapter = loadAdapter(opts.adapter, { config: readModelConfig(opts.model) });
      const res = await writeMergedCheckpoint(opts.model, adapter, opts.out, { quant: opts.quant, dtype: safeDtypeOf(opts.dtype), maxShardBytes });
      if (cmd.optsWithGlobals().json) process.stdout.write(JSON.stringify({ out: opts.out, ...res }) + '\n');
      else process.stdout.write(`merged ${res.merged} modules into ${opts.out}: ${res.files.join(', ')}\n`);
    });

  model
    .command('logits')
    .description("print the last position's logits as a JSON array")
    .requiredOption('--model <dir>', 'model directory (HF layout)')
    .option('--adapter <dir>', 'PEFT LoRA adapter directory')
    .addOption(new Option('--quant <q>', 'hold the frozen linear weights as NF4 (QLoRA base)').choices(['none', 'nf4']).default('none'))
    .requiredOption('--tokens <ids>', 'comma-separated token ids, e.g. 1,2,3')
    .action(async (opts: { model: string; adapter?: string; tokens: string; quant: 'none' | 'nf4' }) => {
      const ids = parseIntList(opts.tokens);
      await initBackend();
      const m = loadModel(opts.model, { quant: opts.quant });
      const bad = ids.find((i) => i >= m.config.vocabSize);
      if (bad !== undefined) throw new Error(`--tokens: id ${bad} is outside the vocabulary (${m.config.vocabSize})`);
      const lora = opts.adapter ? loadAdapter(opts.adapter, m) : undefined;
      const logits = Array.from(await lastLogits(m, [ids], { lora }).data());
      process.stdout.write(JSON.stringify(logits) + '\n');
    });

  model
    .command('plan')
    .description('estimate the memory of a LoRA/QLoRA job before it runs (bytes for weights, LoRA, optimizer, activations, KV cache)')
    .option('--config <file>', 'config.json of the model')
    .option('--size <size>', 'a DeepSeek-R1 distill size: 1.5b, 7b, 8b, 14b, 32b, 70b')
    .addOption(new Option('--method <m>', 'lora (float32 base) or qlora (NF4 base)').choices(['lora', 'qlora']).makeOptionMandatory())
    .requiredOption('--seq <n>', 'tokens per sequence', positiveInt('--seq'))
    .requiredOption('--batch <n>', 'sequences per micro-batch', positiveInt('--batch'))
    .option('--rank <r>', 'LoRA rank', positiveInt('--rank'), 8)
    .option('--target-modules <list>', `comma-separated projections or ${ALL_LINEAR}`, ALL_LINEAR)
    .addOption(new Option('--backend <b>', 'the tfjs backend of the worker').choices(['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']).default('node-gpu'))
    .addOption(new Option('--task <t>', 'one training step, or generation with a KV cache').choices(['train', 'generate']).default('train'))
    .option('--gradient-checkpointing', 'training that recomputes each layer in the backward pass', false)
    .option('--kd', "training with token-level KD (the teacher's top-k logprobs at every target)", false)
    .option('--weights-on-host', 'the frozen projections, embedding and lm_head held in host memory (wasm with the native addon: outside its 4 GiB heap)', false)
    .action((o: Record<string, any>, cmd: Command) => {
      if (!o.config === !o.size) throw new Error('give one of --config FILE or --size (1.5b, 7b, 8b, 14b, 32b, 70b)');
      let config: Record<string, unknown> | undefined;
      if (o.config) {
        try {
          config = JSON.parse(fs.readFileSync(o.config, 'utf8'));
        } catch (err) {
          throw new Error(`${o.config}: ${(err as Error).message}`);
        }
      }
      const plan = planMemory({
        config: config as never,
        size: o.size,
        method: o.method,
        seq: o.seq,
        batch: o.batch,
        rank: o.rank,
        targets: String(o.targetModules).split(',').map((s: string) => s.trim()).filter(Boolean),
        backend: o.backend,
        task: o.task,
        checkpoint: o.gradientCheckpointing,
        kd: o.kd,
        weightsOnHost: o.weightsOnHost,
      });
      if (cmd.optsWithGlobals().json) process.stdout.write(JSON.stringify(plan) + '\n');
      else process.stdout.write(planText(plan));
    });
}

function positiveInt(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
}

function planText(p: MemoryPlan): string {
  const m = p.model;
  const lines = [
    `${m.name ?? 'model'}: ${m.family}, ${(p.params.base / 1e9).toFixed(2)}B parameters (${m.layers} layers, hidden ${m.hidden}, ${m.heads}/${m.kvHeads} heads, vocab ${m.vocab})`,
    `${p.input.task} with ${p.input.method}, batch ${p.input.batch} x seq ${p.input.seq}, rank ${p.input.rank} (${p.params.lora.toLocaleString('en')} LoRA parameters), backend ${p.input.backend}`,
    '',
  ];
  const rows: [string, number][] = [
    ['weights', p.bytes.weights],
    ['LoRA', p.bytes.lora],
    ['optimizer (AdamW)', p.bytes.optimizer],
    ['gradients', p.bytes.gradients],
    ['activations', p.bytes.activations],
    ['KV cache', p.bytes.kvCache],
    ['overhead', p.bytes.overhead],
    ['total', p.bytes.total],
  ];
  if (p.input.weightsOnHost) rows.push(['in host memory', p.bytes.frozenMatrices], ['on the device', p.bytes.device]);
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(18)} ${formatBytes(v).padStart(10)}`);
  lines.push('', `  PyTorch reference (estimate, not this engine): ${formatBytes(p.pytorchReference.total)}`, '');
  for (const n of p.notes) lines.push(`- ${n}`);
  return lines.join('\n') + '\n';
}

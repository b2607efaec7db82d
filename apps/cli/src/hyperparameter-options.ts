import { Command, Option } from 'commander';
import { ALL_LINEAR, HYPERPARAMETER_DEFAULTS, HyperparametersSchema, type Hyperparameters } from '@retort/contracts';
import { int, num } from './pipeline-options';

type Key = keyof Hyperparameters;
type Kind = 'int' | 'number' | 'flag' | 'choice' | 'list';

interface Flag {
  key: Key;
  /** The option as commander spells it, e.g. `--batch-size <n>`. */
  flag: string;
  kind: Kind;
  description: string;
  /** Older spellings, still accepted (hidden from the help). */
  aliases?: string[];
}

/** Every hyperparameter as a command-line flag; values and defaults come from HyperparametersSchema. */
const FLAGS: Flag[] = [
  { key: 'method', flag: '--qlora', kind: 'flag', description: 'QLoRA: hold the frozen base in NF4 with double quantization (the adapter is an ordinary PEFT adapter)' },
  { key: 'rank', flag: '--rank <n>', kind: 'int', description: 'LoRA rank', aliases: ['--lora-r <n>'] },
  { key: 'alpha', flag: '--alpha <x>', kind: 'number', description: 'LoRA alpha', aliases: ['--lora-alpha <x>'] },
  { key: 'dropout', flag: '--dropout <f>', kind: 'number', description: 'LoRA dropout', aliases: ['--lora-dropout <f>'] },
  { key: 'targetModules', flag: '--target-modules <list>', kind: 'list', description: 'comma-separated projections or all-linear' },
  { key: 'rslora', flag: '--rslora', kind: 'flag', description: 'scale by alpha/sqrt(r)' },
  { key: 'steps', flag: '--steps <n>', kind: 'int', description: 'optimizer steps' },
  { key: 'batchSize', flag: '--batch-size <n>', kind: 'int', description: 'sequences per micro-batch' },
  { key: 'gradAccum', flag: '--grad-accum <n>', kind: 'int', description: 'micro-batches per step' },
  { key: 'lr', flag: '--lr <x>', kind: 'number', description: 'peak learning rate' },
  { key: 'warmupSteps', flag: '--warmup-steps <n>', kind: 'int', description: 'linear warmup steps' },
  { key: 'schedule', flag: '--schedule <s>', kind: 'choice', description: 'decay after warmup' },
  { key: 'minLrRatio', flag: '--min-lr-ratio <f>', kind: 'number', description: 'floor of the decay, as a fraction of --lr' },
  { key: 'weightDecay', flag: '--weight-decay <f>', kind: 'number', description: 'AdamW decoupled weight decay' },
  { key: 'maxGradNorm', flag: '--max-grad-norm <f>', kind: 'number', description: 'global-norm clipping (0: off)' },
  { key: 'maxSeqLen', flag: '--max-seq-len <n>', kind: 'int', description: 'truncate longer sequences (tokens)' },
  { key: 'trainOnInputs', flag: '--train-on-inputs', kind: 'flag', description: 'also train on prompt tokens' },
  { key: 'assistantTurns', flag: '--assistant-turns <which>', kind: 'choice', description: 'assistant turns of chat records to train: auto (those the chat template keeps as written, and the last), all, or last' },
  { key: 'seed', flag: '--seed <n>', kind: 'int', description: 'random seed' },
  { key: 'evalEvery', flag: '--eval-every <n>', kind: 'int', description: 'evaluate every N steps (0: at the end)' },
  { key: 'saveEvery', flag: '--save-every <n>', kind: 'int', description: 'checkpoint every N steps (0: at the end)' },
  { key: 'evalFraction', flag: '--eval-fraction <f>', kind: 'number', description: 'hold out this fraction of the data for eval' },
  { key: 'gradientCheckpointing', flag: '--gradient-checkpointing', kind: 'flag', description: 'recompute each layer in the backward pass: far less memory, ~1.4x the time' },
  { key: 'kdAlpha', flag: '--kd-alpha <x>', kind: 'number', description: 'weight of the token-level KD term' },
  { key: 'kdTemperature', flag: '--kd-temperature <x>', kind: 'number', description: 'temperature of the token-level KD term' },
];

const attribute = (flag: string) => new Option(flag).attributeName();

function describe(f: Flag): string {
  const d = HYPERPARAMETER_DEFAULTS[f.key];
  if (f.kind === 'flag') return f.description;
  return `${f.description} (default: ${Array.isArray(d) ? d.join(',') : String(d)})`;
}

/** Adds the hyperparameter flags (all, or those named) to a command, without commander defaults. */
export function addHyperparameterOptions(cmd: Command, keys: Key[] = FLAGS.map((f) => f.key)): Command {
  for (const f of FLAGS.filter((x) => keys.includes(x.key))) {
    const option = new Option(f.flag, describe(f));
    if (f.kind === 'choice') option.choices((HyperparametersSchema.shape[f.key] as unknown as { unwrap(): { options: string[] } }).unwrap().options);
    cmd.addOption(option);
    for (const alias of f.aliases ?? []) cmd.addOption(new Option(alias).hideHelp());
  }
  return cmd;
}

function value(f: Flag, raw: unknown): unknown {
  const name = f.flag.split(' ')[0];
  switch (f.kind) {
    case 'flag':
      return f.key === 'method' ? 'qlora' : true;
    case 'int':
      return int(raw, name.slice(2));
    case 'number':
      return num(raw, name.slice(2));
    case 'list': {
      const names = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
      return names.includes(ALL_LINEAR) ? ALL_LINEAR : names;
    }
    case 'choice':
      return raw;
  }
}

/** The hyperparameters given on the command line (flags not given are left to the schema's defaults). */
export function hyperparametersFromOptions(o: Record<string, unknown>): Partial<Hyperparameters> {
  const out: Record<string, unknown> = {};
  for (const f of FLAGS) {
    const given = [f.flag, ...(f.aliases ?? [])].map(attribute).find((a) => o[a] !== undefined);
    if (given !== undefined) out[f.key] = value(f, o[given]);
  }
  return out as Partial<Hyperparameters>;
}

/** The full hyperparameters of the flags given, with the schema's defaults; errors name the flag. */
export function parseHyperparameterOptions(o: Record<string, unknown>): Hyperparameters {
  const parsed = HyperparametersSchema.safeParse(hyperparametersFromOptions(o));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const f = FLAGS.find((x) => x.key === issue.path[0]);
  throw new Error(`${f ? f.flag.split(' ')[0] : String(issue.path[0])}: ${issue.message}`);
}

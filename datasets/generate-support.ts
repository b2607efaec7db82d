/**
 * Writes the demo data set (the generator itself is demo-support.ts in @retort/datasets).
 *
 *   node -r @swc-node/register datasets/generate-support.ts --demo     rewrites datasets/demo-support/
 *   node -r @swc-node/register datasets/generate-support.ts --kind train|eval|prompts --count N --seed S --out FILE [--system]
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SUPPORT_DEMO_FILES, supportDemoFiles, writeSupportFile, type SupportKind } from '@retort/datasets';

export const DEMO_DIR = path.join(__dirname, 'demo-support');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string', default: '1' },
      kind: { type: 'string', default: 'train' },
      system: { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
    },
  });
  if (values.demo) {
    for (const { file, text } of supportDemoFiles()) await writeFile(path.join(DEMO_DIR, file), text);
    console.log(`wrote ${SUPPORT_DEMO_FILES.map((f) => f.file).join(', ')} to ${DEMO_DIR}`);
    return;
  }
  const kind = values.kind as SupportKind;
  const count = Number(values.count);
  const seed = Number(values.seed);
  if (!['train', 'eval', 'prompts'].includes(kind)) throw new Error('--kind must be train, eval or prompts');
  if (!values.out || !Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) throw new Error('usage: generate-support.ts --out FILE --count N [--seed S] [--kind train|eval|prompts] [--system] | --demo');
  await writeSupportFile(values.out, { kind, count, seed, system: values.system });
}

if (require.main === module) {
  main().catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}

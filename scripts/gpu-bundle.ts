/**
 * `npm run bundle:gpu -- --out DIR [--no-node]`: the GPU bench as one folder to carry to a GPU host
 * that has no Node and no network (README, "On a GPU host without Node"): bench.js (bench/run.ts in
 * one esbuild bundle), Dawn's addon and this machine's node binary (xz; node left out with
 * --no-node), the Vulkan loader, run.sh, and the PyTorch + PEFT reference with the shapes both read.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { initConfig } from '@retort/engine';
import { DEFAULT_TRAIN_STEPS } from '../bench/gpu';
import { GPU_SHAPES, shapeModelConfig, shapeTrainConfig } from '../bench/gpu-shapes';

const ROOT = path.join(__dirname, '..');
const DAWN = path.join(ROOT, 'node_modules/webgpu/dist/linux-x64/dawn.node');
// Debian's libvulkan1 and libglvnd0: the loader, and the dispatch library the NVIDIA ICD
// (libGLX_nvidia.so.0) links; a CUDA-only image may have neither.
const HOST_LIBS = ['libvulkan.so.1', 'libGLdispatch.so.0'].map((f) => path.join('/usr/lib/x86_64-linux-gnu', f));

function xz(from: string, to: string): void {
  fs.writeFileSync(to, execFileSync('xz', ['-9e', '-T1', '-c', from], { maxBuffer: 1 << 30 }));
}

function bundleBench(out: string): void {
  buildSync({
    entryPoints: [path.join(ROOT, 'bench/run.ts')],
    outfile: path.join(out, 'bench.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    external: [
      // Optional packages the webgpu bench never loads (and that are not installed here).
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-node-gpu',
      // Looked up at run time only: Dawn's addon comes from RETORT_DAWN_NODE (run.sh), and the
      // wasm backend's binaries are not carried.
      'webgpu/package.json',
      '@tensorflow/tfjs-backend-wasm/dist/*',
    ],
  });
}

/** The shapes the bench measures, as the reference needs them: config.json fields and training. */
function shapesJson(): unknown {
  return {
    trainSteps: DEFAULT_TRAIN_STEPS,
    shapes: GPU_SHAPES.map((shape) => {
      const t = shapeTrainConfig(shape, DEFAULT_TRAIN_STEPS + 1);
      return {
        key: shape.key,
        name: shape.name,
        family: shape.family,
        quant: shape.quant,
        batch: shape.batch,
        seq: shape.seq,
        gradientCheckpointing: shape.gradientCheckpointing,
        config: initConfig({ family: shape.family, config: shapeModelConfig(shape) }),
        train: { lr: t.lr, weightDecay: t.weightDecay, beta1: t.beta1, beta2: t.beta2, eps: t.eps, maxGradNorm: t.maxGradNorm, lora: t.lora },
      };
    }),
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  if (outAt < 0 || !args[outAt + 1]) throw new Error('usage: npm run bundle:gpu -- --out DIR [--no-node]');
  const out = path.resolve(args[outAt + 1]);
  const withNode = !args.includes('--no-node');
  fs.mkdirSync(out, { recursive: true });

  bundleBench(out);
  xz(DAWN, path.join(out, 'dawn.node.xz'));
  for (const lib of HOST_LIBS) {
    if (!fs.existsSync(lib)) throw new Error(`${lib} is missing: apt-get install libvulkan1 libglvnd0`);
    fs.copyFileSync(lib, path.join(out, path.basename(lib)));
  }
  fs.copyFileSync(path.join(ROOT, 'scripts/gpu-bundle-run.sh'), path.join(out, 'run.sh'));
  fs.chmodSync(path.join(out, 'run.sh'), 0o755);
  fs.copyFileSync(path.join(ROOT, 'scripts/bench_reference_peft.py'), path.join(out, 'reference_peft.py'));
  fs.writeFileSync(path.join(out, 'shapes.json'), JSON.stringify(shapesJson(), null, 2) + '\n');
  if (withNode) xz(process.execPath, path.join(out, 'node.xz'));
  else fs.rmSync(path.join(out, 'node.xz'), { force: true });

  let total = 0;
  for (const f of fs.readdirSync(out).sort()) {
    const bytes = fs.statSync(path.join(out, f)).size;
    total += bytes;
    console.log(`${(bytes / 2 ** 20).toFixed(1).padStart(6)} MiB  ${f}`);
  }
  console.log(`${(total / 2 ** 20).toFixed(1).padStart(6)} MiB  in ${out}${withNode ? '' : ' (no node.xz)'}`);
}

main();

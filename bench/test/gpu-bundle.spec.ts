/**
 * The GPU bench bundle (`npm run bundle:gpu`, scripts/gpu-bundle.ts): built without node into a
 * folder outside the repo, its run.sh runs bench.js from there, where no node_modules can be found,
 * on this machine's WebGPU adapter (lavapipe in CI); and run.sh's choice of Vulkan driver.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REQUIRED, webgpuMissing } from '../../libs/engine/test/backends';
import { GPU_SHAPES } from '../gpu-shapes';

const ROOT = path.join(__dirname, '../..');
const RUN_SH = path.join(ROOT, 'scripts/gpu-bundle-run.sh');

/** run.sh --dry-run's stderr (the environment it would set and the command), without this process's Vulkan variables. */
function dryRunStderr(args: string[], env: Record<string, string> = {}): string {
  const { VK_ICD_FILENAMES: _i, VK_DRIVER_FILES: _d, ...rest } = process.env;
  const res = spawnSync('bash', [RUN_SH, '--dry-run', ...args], { env: { ...rest, ...env }, encoding: 'utf8' });
  expect(res.status).toBe(0);
  return res.stderr;
}

describe('run.sh (dry run)', () => {
  let icd: string;
  beforeAll(() => {
    icd = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'retort-icd-')), 'nvidia_icd.json');
    fs.writeFileSync(icd, '{}');
  });
  afterAll(() => fs.rmSync(path.dirname(icd), { recursive: true, force: true }));

  it("points VK_DRIVER_FILES at the NVIDIA container's ICD when it exists and no driver is chosen", () => {
    expect(dryRunStderr([], { RETORT_NVIDIA_ICD: icd })).toContain(`VK_DRIVER_FILES=${icd} `);
  });

  it('leaves a chosen driver alone, and sets none where there is no NVIDIA ICD', () => {
    const chosen = dryRunStderr([], { RETORT_NVIDIA_ICD: icd, VK_ICD_FILENAMES: '/etc/vulkan/icd.d/other.json' });
    expect(chosen).toContain('VK_DRIVER_FILES= VK_ICD_FILENAMES=/etc/vulkan/icd.d/other.json ');
    expect(dryRunStderr([], { RETORT_NVIDIA_ICD: `${icd}.absent` })).toContain('VK_DRIVER_FILES= VK_ICD_FILENAMES= ');
  });

  it("puts the bundle's folder first on the library path and runs the gpu section, or the reference", () => {
    const gpu = dryRunStderr(['--json'], { LD_LIBRARY_PATH: '/opt/lib' });
    expect(gpu).toContain(`LD_LIBRARY_PATH=${path.dirname(RUN_SH)}:/opt/lib `);
    expect(gpu).toMatch(/^run\.sh: \S*node \S+\/bench\.js gpu --json$/m);
    expect(dryRunStderr(['peft', '--dtypes', 'bfloat16'], { PYTHON: '/opt/py/bin/python3' })).toContain(
      `/opt/py/bin/python3 ${path.dirname(RUN_SH)}/reference_peft.py --shapes ${path.dirname(RUN_SH)}/shapes.json --dtypes bfloat16`,
    );
  });
});

const missing = webgpuMissing();
if (missing && !REQUIRED) process.stderr.write(`[retort] gpu bundle test skipped: ${missing}\n`);

(missing && !REQUIRED ? describe.skip : describe)('the GPU bench bundle', () => {
  let dir: string;
  let built: string;
  beforeAll(() => {
    if (missing) throw new Error(`RETORT_REQUIRE_WEBGPU=1 but there is no WebGPU adapter: ${missing}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-gpu-bundle-'));
    built = execFileSync(process.execPath, ['-r', '@swc-node/register', 'scripts/gpu-bundle.ts', '--out', dir, '--no-node'], { cwd: ROOT, encoding: 'utf8' });
  }, 120_000);
  afterAll(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('holds bench.js, the compressed addon, the Vulkan loader, run.sh and the reference, well under the 64 MiB a carry may hold', () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['bench.js', 'dawn.node.xz', 'libGLdispatch.so.0', 'libvulkan.so.1', 'reference_peft.py', 'run.sh', 'shapes.json']);
    const total = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    expect(total).toBeLessThan(16 * 2 ** 20);
    expect(built).toMatch(/MiB {2}in /);
  });

  it("writes the bench's shapes for the PyTorch reference", () => {
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'shapes.json'), 'utf8'));
    expect(spec.shapes.map((s: { key: string }) => s.key)).toEqual(GPU_SHAPES.map((s) => s.key));
    const [bench] = spec.shapes;
    expect(bench).toMatchObject({ family: 'llama', batch: 8, seq: 256, gradientCheckpointing: false, config: { hidden_size: 256, vocab_size: 2048, model_type: 'llama' } });
    expect(bench.train.lora).toMatchObject({ r: 8, alpha: 16, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
  });

  it('runs the webgpu bench from a folder with no node_modules and names the adapter', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-gpu-cwd-'));
    try {
      const env = { ...process.env, BENCH_GPU_SIZES: 'bench', BENCH_GPU_BATCH: '1', BENCH_GPU_SEQ: '32', BENCH_TRAIN_STEPS: '1', BENCH_GEN_TOKENS: '4' };
      const res = spawnSync('bash', [path.join(dir, 'run.sh')], { cwd, env, encoding: 'utf8', timeout: 120_000 });
      expect(res.stderr).not.toMatch(/Cannot find module/);
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^gpu: webgpu, Dawn, adapter \S+ .+, maxStorageBufferBindingSize \d+/m);
      expect(res.stdout).toMatch(/bench config: LoRA r=8 all projections, batch 1 x seq 32\n\s+train \d+(\.\d+)? tok\/s/);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }, 120_000);
});

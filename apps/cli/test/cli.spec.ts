import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initModel } from '@retort/engine';
import { startTestStack, type TestStack } from '../../api/test/harness';
import { retort } from './run-retort';

describe('retort CLI', () => {
  it('lists the commands of the design', async () => {
    const { code, stdout } = await retort(['--help']);
    expect(code).toBe(0);
    for (const command of ['up', 'api', 'worker', 'serve', 'dataset', 'run', 'adapter', 'schedule', 'model', 'train', 'generate']) {
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it('stops on a bad configuration value, naming the variable', async () => {
    const { code, stderr } = await retort(['db', 'migrate'], { RETORT_PORT: 'abc', DATABASE_URL: 'mysql://x' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/RETORT_PORT: .*"abc"/);
    expect(stderr).toMatch(/DATABASE_URL: must be a URL with scheme postgres/);
  });

  it('merges a PEFT adapter into its base, one tensor at a time: the merged model gives the logits of base + adapter', async () => {
    const fixture = path.resolve(__dirname, '../../../libs/engine/test/fixtures/tiny-llama');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-merge-'));
    try {
      const merged = await retort(['--json', 'model', 'merge', '--model', fixture, '--adapter', path.join(fixture, 'adapter'), '--out', out, '--dtype', 'float32', '--max-shard-size', '40000']);
      expect(merged.code).toBe(0);
      const res = JSON.parse(merged.stdout);
      expect(res.merged).toBe(8);
      expect(res.files).toContain('model.safetensors.index.json');
      const logits = async (...args: string[]) => JSON.parse((await retort(['model', 'logits', '--tokens', '1,2,3', ...args])).stdout) as number[];
      const [withAdapter, ofMerged] = [await logits('--model', fixture, '--adapter', path.join(fixture, 'adapter')), await logits('--model', out)];
      expect(Math.max(...withAdapter.map((v, i) => Math.abs(v - ofMerged[i])))).toBeLessThan(1e-4);
      const refused = await retort(['model', 'merge', '--model', fixture, '--adapter', fixture, '--out', out]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/adapter_config\.json/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('plans the memory of a 7B QLoRA step, with gradient checkpointing far smaller', async () => {
    const plan = async (...extra: string[]) => JSON.parse((await retort(['--json', 'model', 'plan', '--size', '7b', '--method', 'qlora', '--seq', '2048', '--batch', '1', ...extra])).stdout);
    const [plain, ckpt] = [await plan(), await plan('--gradient-checkpointing')];
    expect(ckpt.input.checkpoint).toBe(true);
    expect(ckpt.bytes.weights).toBe(plain.bytes.weights);
    expect(ckpt.bytes.activations).toBeLessThan(plain.bytes.activations / 5);
    expect(ckpt.notes.join(' ')).toMatch(/gradient checkpointing: 28 layer inputs kept/);
  });

  it('plans a 7B QLoRA step on wasm with the frozen weights in host memory: the rest fits its 4 GiB heap', async () => {
    const args = ['model', 'plan', '--size', '7b', '--method', 'qlora', '--seq', '128', '--batch', '1', '--backend', 'wasm', '--gradient-checkpointing'];
    const [onHeap, onHost] = [JSON.parse((await retort(['--json', ...args])).stdout), JSON.parse((await retort(['--json', ...args, '--weights-on-host'])).stdout)];
    expect(onHeap.bytes.device).toBe(onHeap.bytes.total);
    expect(onHeap.bytes.device).toBeGreaterThan(4 * 2 ** 30);
    expect(onHost.input.weightsOnHost).toBe(true);
    expect(onHost.bytes.device).toBe(onHost.bytes.total - onHost.bytes.frozenMatrices);
    expect(onHost.bytes.device).toBeLessThan(4 * 2 ** 30);
    expect(onHost.bytes.frozenMatrices).toBeGreaterThan(7 * 2 ** 30);
    const text = (await retort([...args, '--weights-on-host'])).stdout;
    expect(text).toMatch(/in host memory +7\.\d GiB\n +on the device +1\.\d GiB/);
  });

  describe('against a running api', () => {
    let stack: TestStack;
    let dir: string;
    let env: Record<string, string>;
    beforeAll(async () => {
      stack = await startTestStack({ worker: true });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-cli-'));
      env = { RETORT_URL: stack.baseUrl, RETORT_TOKEN: stack.tokens.operator, RETORT_HOME: dir };
    });
    afterAll(async () => {
      await stack.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('pushes a file, lists, shows and exports it byte for byte', async () => {
      const file = path.join(dir, 'support.jsonl');
      fs.writeFileSync(file, JSON.stringify({ instruction: 'Where is parcel 7?', input: '', output: 'In Leeds.' }) + '\n');
      const pushed = await retort(['--json', 'dataset', 'push', file, '--name', 'support'], env);
      expect(pushed.code).toBe(0);
      const version = JSON.parse(pushed.stdout);
      expect(version).toMatchObject({ dataset: 'support', version: 1, status: 'ready', records: 1, format: 'alpaca', lineage: { filename: 'support.jsonl' } });

      const ls = await retort(['dataset', 'ls'], env);
      expect(ls.stdout).toMatch(/^support\s+v1\s+ready\s+1/m);

      const out = path.join(dir, 'out.jsonl');
      const exported = await retort(['dataset', 'export', 'support@1', '--out', out], env);
      expect(exported.code).toBe(0);
      expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual({ messages: [{ role: 'user', content: 'Where is parcel 7?' }, { role: 'assistant', content: 'In Leeds.' }] });
    });

    it('names the file, line and field of every bad line, and exits 1', async () => {
      const file = path.join(dir, 'bad.jsonl');
      fs.writeFileSync(file, [JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] }), '{"messages": [{"role": "bot", "content": "x"}]}'].join('\n'));
      const { code, stderr } = await retort(['dataset', 'push', file, '--name', 'support'], env);
      expect(code).toBe(1);
      expect(stderr).toContain(file);
      expect(stderr).toMatch(/line 2: messages\[0\]\.role: /);
    });
  
    it('trains an adapter on a worker with run train --watch, then shows it', async () => {
      const modelDir = path.join(dir, 'student');
      initModel({ family: 'llama', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2, intermediate_size: 64 }, out: modelDir, seed: 1 });
      const register = await fetch(`${stack.baseUrl}/api/v1/models`, { method: 'POST', headers: { Authorization: `Bearer ${stack.tokens.operator}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'student', path: modelDir }) });
      expect(register.status).toBe(201);
      const trained = await retort(['--json', 'run', 'train', '--model', 'student', '--dataset', 'support', '--adapter', 'support-lora', '--steps', '6', '--batch-size', '1', '--save-every', '3', '--gradient-checkpointing', '--watch'], env);
      expect(trained.code).toBe(0);
      const run = JSON.parse(trained.stdout);
      expect(run).toMatchObject({ kind: 'train', status: 'succeeded', progress: { step: 6, totalSteps: 6 }, config: { hyperparameters: { gradientCheckpointing: true } } });
      const status = await retort(['run', 'status', run.id], env);
      expect(status.stdout).toMatch(/succeeded\s+step 6\/6/);
      const bad = await retort(['run', 'train', '--model', 'nope', '--dataset', 'support', '--adapter', 'x'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/no base model "nope"/);
    });

    it('lists a finished run with its final loss', async () => {
      const ls = await retort(['run', 'ls'], env);
      expect(ls.code).toBe(0);
      expect(ls.stdout).toMatch(/\btrain\s+succeeded\s+6\s+\d+\.\d{4}\b/);
    });

    it('registers a model directory with model register and lists it', async () => {
      const modelDir = path.join(dir, 'student-2');
      initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 2 });
      const registered = await retort(['model', 'register', 'student-2', '--path', path.relative(process.cwd(), modelDir)], env);
      expect(registered.code).toBe(0);
      expect(registered.stdout).toContain(`model student-2 (qwen2) registered from ${modelDir}`);
      const ls = await retort(['--json', 'model', 'ls'], env);
      expect(JSON.parse(ls.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'student-2', family: 'qwen2', path: modelDir })]));
      const again = await retort(['model', 'register', 'student-2', '--path', modelDir], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already exists/);
    });
  });
});

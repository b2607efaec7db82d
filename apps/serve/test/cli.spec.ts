import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serveOptions } from '../../cli/src/commands/serve';
import { randomAdapterDir, tinyModelDir, tmpDir } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** `retort <args>` with just the serve command registered (as apps/cli/src/main.ts does with all of them). */
function retortServe(args: string[]) {
  const script = path.join(tmpDir('retort-serve-cli-'), 'retort.js');
  fs.writeFileSync(
    script,
    `process.env.SWC_NODE_PROJECT = ${JSON.stringify(path.join(ROOT, 'tsconfig.json'))};
require(${JSON.stringify(require.resolve('@swc-node/register'))});
const { Command } = require(${JSON.stringify(require.resolve('commander'))});
const { registerServeCommand } = require(${JSON.stringify(path.join(ROOT, 'apps/cli/src/commands/serve.ts'))});
const program = new Command('retort').option('--json');
registerServeCommand(program);
program.parseAsync(process.argv).catch((err) => { process.stderr.write('retort: ' + err.message + '\\n'); process.exit(1); });
`,
  );
  return spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RETORT_SERVE_PORT: '' } });
}

describe('retort serve (command line)', () => {
  it('reads NAME=DIR specs, --name, the port and the quantization', () => {
    const o = serveOptions({ model: ['/m/a'], name: 'alpha', adapter: ['x=/ad/x', 'y=/ad/y'], host: '0.0.0.0', port: 0, quant: 'none' });
    expect(o).toMatchObject({ models: [{ name: 'alpha', dir: '/m/a' }], adapters: [{ name: 'x', path: '/ad/x' }, { name: 'y', path: '/ad/y' }], host: '0.0.0.0', port: 0, quant: 'none' });
    expect(serveOptions({ model: ['a=/m/a', 'b=/m/b'], host: 'h', quant: 'nf4' }).models).toEqual([
      { name: 'a', dir: '/m/a' },
      { name: 'b', dir: '/m/b' },
    ]);
    expect(() => serveOptions({ model: ['/m/a'], adapter: ['/ad/x'], host: 'h', quant: 'none' })).toThrow(/--adapter: expected NAME=DIR/);
    expect(() => serveOptions({ model: ['/m/a'], host: 'h', quant: 'q8' })).toThrow(/--quant/);
    expect(() => serveOptions({ model: ['a=/m/a', 'b=/m/b'], name: 'n', host: 'h', quant: 'none' })).toThrow(/--name/);
  });

  it('starts, prints its URL, serves the model and its adapter, and stops on SIGTERM', async () => {
    const dir = tinyModelDir(5);
    const adapter = randomAdapterDir(dir, 2);
    const child = retortServe(['--json', 'serve', '--model', `tiny=${dir}`, '--adapter', `sharp=${adapter}`, '--port', '0']);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
      });
      const started = JSON.parse(line) as { url: string; base_url: string; models: string[] };
      expect(started.models).toEqual(['tiny', 'sharp']);
      expect(started.base_url).toBe(`${started.url}/v1`);
      const models = (await (await fetch(`${started.base_url}/models`)).json()) as { data: { id: string; parent: string | null }[] };
      expect(models.data.map((m) => [m.id, m.parent])).toEqual([
        ['tiny', null],
        ['sharp', 'tiny'],
      ]);
      const res = await fetch(`${started.base_url}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'sharp', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      });
      expect(res.status).toBe(200);
      expect(stderr).toMatch(/engine backend: /);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

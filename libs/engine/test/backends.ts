import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { BackendName, switchBackend } from '../src';

/** Set in CI (.ci/run), where Mesa's lavapipe is installed: no adapter is then a failure, not a skip. */
export const REQUIRED = process.env.RETORT_REQUIRE_WEBGPU === '1';

/**
 * Why the webgpu backend cannot run here, or undefined when Dawn has an adapter. Jest collects
 * tests synchronously and an adapter request is asynchronous, so a child process asks, once per
 * jest worker (the answer is kept in its environment).
 */
export function webgpuMissing(): string | undefined {
  if (process.env.RETORT_TEST_WEBGPU === undefined) {
    const probe = path.join(__dirname, 'webgpu-probe.ts');
    try {
      process.env.RETORT_TEST_WEBGPU = execFileSync(process.execPath, ['-r', '@swc-node/register', probe], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 }).trim().split('\n').pop()!;
    } catch (err) {
      process.env.RETORT_TEST_WEBGPU = JSON.stringify({ why: `the probe failed: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  const r = JSON.parse(process.env.RETORT_TEST_WEBGPU) as { why?: string };
  return r.why;
}

let told = false;

/**
 * Runs `body` (a suite of engine tests) once per backend with the same assertions: on wasm, and on
 * webgpu where Dawn finds an adapter (a software one, lavapipe, will do: the engine's numbers
 * must not depend on the device). Without one the webgpu copy is skipped with one line saying why.
 */
export function describeBackends(title: string, body: (backend: BackendName) => void): void {
  for (const backend of ['wasm', 'webgpu'] as const) {
    const missing = backend === 'webgpu' ? webgpuMissing() : undefined;
    if (missing && !REQUIRED) {
      if (!told) process.stderr.write(`[retort] webgpu engine tests skipped: ${missing}\n`);
      told = true;
      describe.skip(`${title} [${backend}]`, () => body(backend));
      continue;
    }
    describe(`${title} [${backend}]`, () => {
      beforeAll(async () => {
        if (missing) throw new Error(`RETORT_REQUIRE_WEBGPU=1 but there is no WebGPU adapter: ${missing}`);
        await switchBackend(backend);
      });
      body(backend);
    });
  }
}

/**
 * A jest timeout for the tests that train for tens of steps: on a software adapter (lavapipe in CI)
 * each kernel dispatch costs about 0.7 ms and a tiny model's training step is ~1200 of them, so
 * their webgpu copy runs 10-15x longer than on wasm. The shapes stay those of the wasm copy.
 */
export function trainingTimeout(backend: BackendName): number | undefined {
  return backend === 'webgpu' ? 600_000 : undefined;
}

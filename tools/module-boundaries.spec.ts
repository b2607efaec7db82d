import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

/** The Nx module-boundary rule really refuses the imports DESIGN.md §6 forbids. */
describe('module boundaries', () => {
  beforeAll(() => {
    // The rule reads Nx's cached project graph; computing it makes the test independent of order.
    execFileSync(process.execPath, [require.resolve('nx/bin/nx.js'), 'show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
  });

  // ESLint runs in a child process: its flat config is an ES module, which jest's VM can't import.
  async function boundaryErrors(file: string, code: string): Promise<string[]> {
    let out: string;
    try {
      out = execFileSync(process.execPath, [path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', path.join(root, file), '--format', 'json'], { cwd: root, input: code, encoding: 'utf8' });
    } catch (err) {
      out = (err as { stdout: string }).stdout; // exit code 1 when there are errors
    }
    const [result] = JSON.parse(out) as { messages: { ruleId: string; message: string }[] }[];
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it.each([
    ['apps/api/src/x.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const a = tf;\n", /not allowed to import "@tensorflow\/tfjs-core"/],
    ['apps/api/src/x.ts', "import * as e from '@retort/engine';\nexport const a = e;\n", /can not depend on libs tagged with "tfjs"/],
    ['apps/admin/src/x.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const a = tf;\n", /not allowed to import "@tensorflow\/tfjs-core"/],
    ['apps/admin/src/x.ts', "import { Module } from '@nestjs/common';\nexport const a = Module;\n", /not allowed to import "@nestjs\/common"/],
    ['libs/engine/src/x.ts', "import { Injectable } from '@nestjs/common';\nexport const a = Injectable;\n", /not allowed to import "@nestjs\/common"/],
  ])('%s: refuses %p', async (file, code, expected) => {
    expect(await boundaryErrors(file, code)).toEqual([expect.stringMatching(expected)]);
  });

  it('allows what the design allows', async () => {
    expect(await boundaryErrors('apps/api/src/x.ts', "import { ROLES } from '@retort/contracts';\nexport const a = ROLES;\n")).toEqual([]);
    expect(await boundaryErrors('apps/worker/src/x.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const a = tf;\n")).toEqual([]);
  });
});

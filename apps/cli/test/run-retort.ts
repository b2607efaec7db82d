import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const BIN = path.resolve(__dirname, '..', 'bin', 'retort.js');
const run = promisify(execFile);

/** The `retort` binary with these arguments and extra environment: its exit code and output. */
export async function retort(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

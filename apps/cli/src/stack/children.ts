import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'retort.js');

/** A child's output line with its name in front, once (a child that names itself keeps its own). */
export function prefixLine(name: string, line: string): string {
  return line.startsWith(`[${name}] `) ? line : `[${name}] ${line}`;
}

/**
 * Runs `retort <args>` as a child with its output prefixed by its name. Its output is a pipe, so
 * it is told whether to colour its log from this process's own terminal.
 */
export function spawnRetort(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const colors = env.RETORT_LOG_COLORS ?? (process.stdout.isTTY ? '1' : '0');
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, RETORT_LOG_COLORS: colors }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) stream.write(prefixLine(name, line) + '\n');
  };
  child.stdout!.on('data', prefix(process.stdout));
  child.stderr!.on('data', prefix(process.stderr));
  return child;
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 10000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

import { spawn } from 'node:child_process';
import { Supervisor } from '../src/stack/supervisor';

const node = (code: string) => () => spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('retort up supervision', () => {
  it('restarts a crashing child with a growing delay, and stop() ends it for good', async () => {
    const exits: [number | null, number][] = [];
    const sup = new Supervisor(node('process.exit(3)'), { initialDelayMs: 50, maxDelayMs: 200, healthyAfterMs: 60000, onExit: (code, _s, wait) => exits.push([code, wait]) });
    while (exits.length < 4) await sleep(20);
    await sup.stop();
    expect(exits.slice(0, 4)).toEqual([
      [3, 50],
      [3, 100],
      [3, 200],
      [3, 200],
    ]);
    const starts = sup.starts;
    await sleep(400);
    expect(sup.starts).toBe(starts);
  });

  it('starts the delay over after a child that ran long enough, and stops a running child', async () => {
    const waits: number[] = [];
    const sup = new Supervisor(node('setTimeout(() => process.exit(1), 150)'), { initialDelayMs: 30, maxDelayMs: 1000, healthyAfterMs: 100, onExit: (_c, _s, wait) => waits.push(wait) });
    while (waits.length < 3) await sleep(20);
    expect(waits.slice(0, 3)).toEqual([30, 30, 30]);
    const pid = sup.pid!;
    await sup.stop(2000);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { groupKernels, profileKernels } from '../src';
import { describeBackends } from './backends';

describe('groupKernels', () => {
  it('sums time and counts per kernel name, heaviest first, cut at top', () => {
    const g = groupKernels(
      [
        { name: 'Add', kernelTimeMs: 1 },
        { name: 'BatchMatMul', kernelTimeMs: 5 },
        { name: 'Add', kernelTimeMs: 2.5 },
        { name: 'Exp', kernelTimeMs: 0.5 },
        { name: 'BatchMatMul', kernelTimeMs: 4 },
      ],
      2,
    );
    expect(g.rows).toEqual([
      { name: 'BatchMatMul', totalMs: 9, count: 2 },
      { name: 'Add', totalMs: 3.5, count: 2 },
    ]);
    expect(g.kernelMs).toBe(13);
    expect(g.untimed).toBe(0);
  });

  it('counts kernels the backend could not time without adding their time', () => {
    const g = groupKernels(
      [
        { name: 'Mul', kernelTimeMs: { error: 'no timer' } },
        { name: 'Mul', kernelTimeMs: 2 },
        { name: 'Sum', kernelTimeMs: { error: 'no timer' } },
      ],
      15,
    );
    expect(g.rows).toEqual([
      { name: 'Mul', totalMs: 2, count: 2 },
      { name: 'Sum', totalMs: 0, count: 1 },
    ]);
    expect(g.kernelMs).toBe(2);
    expect(g.untimed).toBe(2);
  });
});

describeBackends('profileKernels', (backend) => {
  it('names every kernel the work ran, with its count and the peak bytes; on webgpu the shaders it dispatched', async () => {
    const a = tf.ones([64, 64]);
    const p = await profileKernels(async () => {
      const x = tf.matMul(a, a);
      const y = tf.add(x, a);
      const z = tf.add(tf.reshape(y, [4096]), tf.reshape(a, [4096])); // reshapes are kernels that dispatch nothing
      await z.data();
      tf.dispose([x, y, z]);
    });
    expect(p.dispatches).toBe(backend === 'webgpu' ? 3 : undefined);
    const counts = Object.fromEntries(p.rows.map((r) => [r.name, r.count]));
    expect(counts).toMatchObject({ BatchMatMul: 1, Add: 2, Reshape: 2 });
    expect(p.kernelCount).toBe(p.rows.reduce((n, r) => n + r.count, 0));
    expect(p.peakBytes).toBeGreaterThanOrEqual(3 * 64 * 64 * 4);
    expect(p.wallMs).toBeGreaterThan(0);
    a.dispose();
  });
});

import { initBackend } from '../src';

describe('backend selection', () => {
  it('rejects unknown and unloadable RETORT_BACKEND values, naming them', async () => {
    await expect(initBackend('tpu', () => undefined)).rejects.toThrow('RETORT_BACKEND=tpu is not one of node-gpu, webgpu, node, wasm, cpu');
    await expect(initBackend('node-gpu', () => undefined)).rejects.toThrow(/RETORT_BACKEND=node-gpu cannot be loaded/);
  });

  it('falls back to the best backend that loads and says which in one line', async () => {
    const lines: string[] = [];
    const info = await initBackend(undefined, (l) => lines.push(l));
    expect(['node-gpu', 'node', 'wasm']).toContain(info.name); // wasm where libtensorflow cannot be installed
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^\\[retort\\] engine backend: ${info.name} \\(.*tfjs 4\\.22`));
  });
});

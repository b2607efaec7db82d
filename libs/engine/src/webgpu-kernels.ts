/** The engine's WGSL kernels on the webgpu backend, through tfjs-webgpu's program interface: elementwise and row-wise runners, and the workgroup sum they share. */
import * as tf from '@tensorflow/tfjs-core';

const WORKGROUP: [number, number, number] = [64, 1, 1];

/**
 * Whether the fused kernels (AdamW, the gradient norm, RMSNorm, RoPE, SwiGLU, attention's softmax,
 * the cross-entropies) replace their tfjs ops: on webgpu, unless RETORT_WEBGPU_FUSED=0 (the tfjs ops
 * there, to compare).
 */
export function useFusedKernels(): boolean {
  return tf.getBackend() === 'webgpu' && process.env.RETORT_WEBGPU_FUSED !== '0';
}

interface WebGpuBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: { type: string; data: number[] }[]): tf.TensorInfo;
}

interface FlatDispatch {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

/** The program's float32 uniforms, declared by name (tfjs-webgpu appends them to its own). */
function uniformDeclaration(names: string[]): { uniforms?: string } {
  return names.length ? { uniforms: names.map((u) => `${u} : f32,`).join(' ') } : {};
}

/** Runs a program on the webgpu backend with float32 uniforms in the order of their names: a float32 tensor. */
function runProgram<T extends tf.Tensor>(program: object, inputs: tf.Tensor[], uniforms: Record<string, number>): T {
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const data = Object.values(uniforms).map((v) => ({ type: 'float32', data: [v] }));
  const out = backend.runWebGPUProgram(program, inputs, 'float32', data.length ? data : undefined);
  return tf.engine().makeTensorFromTensorInfo(out) as T;
}

/** A flat elementwise program over an output of `shape` (tfjs-webgpu's program interface), with float32 uniforms by name. */
function flatProgram(shaderKey: string, variableNames: string[], shape: number[], body: string, uniformNames: string[]) {
  const { webgpu_util } = require('@tensorflow/tfjs-backend-webgpu') as { webgpu_util: FlatDispatch };
  const dispatchLayout = webgpu_util.flatDispatchLayout(shape);
  return {
    shaderKey,
    variableNames,
    outputShape: shape,
    workgroupSize: WORKGROUP,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, shape, WORKGROUP),
    size: true,
    ...uniformDeclaration(uniformNames),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/**
 * Runs a flat elementwise WGSL body over a float32 output of `shape` on the webgpu backend: `index`
 * is the output's flat index, each input's raw buffer is named as in `variableNames`, and `uniforms` are float32
 * values the body reads as `uniforms.<name>` (uniforms, not constants in the source: one shader
 * serves every value).
 */
export function runFlatProgram<T extends tf.Tensor = tf.Tensor>(shaderKey: string, variableNames: string[], shape: number[], inputs: tf.Tensor[], body: string, uniforms: Record<string, number> = {}): T {
  return runProgram<T>(flatProgram(shaderKey, variableNames, shape, body, Object.keys(uniforms)), inputs, uniforms);
}

/**
 * Runs a WGSL program with one workgroup of `workgroupSize` threads per row of a float32 output
 * [rows, cols] (row-wise reductions: RMSNorm). `body` runs inside main with `row` (which may be past
 * the last row when the dispatch was padded: check `row < rows` before reading or writing),
 * `lid` (the thread within the workgroup) and `rows`; `shared` is WGSL declared at module scope
 * (var<workgroup> arrays). Every workgroupBarrier must stay in uniform control flow.
 */
export function runRowProgram<T extends tf.Tensor = tf.Tensor>(
  shaderKey: string,
  variableNames: string[],
  shape: [number, number],
  workgroupSize: number,
  inputs: tf.Tensor[],
  shared: string,
  body: string,
  uniforms: Record<string, number> = {},
): T {
  const { webgpu_util } = require('@tensorflow/tfjs-backend-webgpu') as { webgpu_util: FlatDispatch };
  const dispatchLayout = webgpu_util.flatDispatchLayout([shape[0]]);
  const program = {
    shaderKey: `${shaderKey}_${workgroupSize}`,
    variableNames,
    outputShape: shape,
    workgroupSize: [workgroupSize, 1, 1] as [number, number, number],
    dispatchLayout,
    // one workgroup per row
    dispatch: webgpu_util.computeDispatch(dispatchLayout, [shape[0]], [1, 1, 1]),
    ...uniformDeclaration(Object.keys(uniforms)),
    getUserCode: () => `
      ${shared}
      fn main(index : i32) {
        let row = index / ${workgroupSize};
        let lid = i32(localId.x);
        let rows = uniforms.outShape[0];
        ${body}
      }`,
  };
  return runProgram<T>(program, inputs, uniforms);
}

/** Threads per row for a row program over `cols` columns: 256 from 1,024 columns, 64 below. */
export function rowWorkgroupSize(cols: number): number {
  return cols >= 1024 ? 256 : 64;
}

/** WGSL at module scope for workgroupSums: one shared array of `size` floats per name. */
export function workgroupShared(names: string[], size: number): string {
  return names.map((n) => `var<workgroup> ${n}Shared : array<f32, ${size}>;`).join('\n      ');
}

/**
 * WGSL for a row program's body: combines `names` (private f32 values of each thread) over the
 * workgroup of `size` threads into `let <name><suffix>`, a tree in shared memory (workgroupShared),
 * with barriers in uniform control flow.
 */
function workgroupTree(names: string[], size: number, suffix: string, combine: (a: string, b: string) => string): string {
  return `
        ${names.map((n) => `${n}Shared[lid] = ${n};`).join('\n        ')}
        workgroupBarrier();
        for (var s = ${size / 2}; s > 0; s = s / 2) {
          if (lid < s) {
            ${names.map((n) => `${n}Shared[lid] = ${combine(`${n}Shared[lid]`, `${n}Shared[lid + s]`)};`).join('\n            ')}
          }
          workgroupBarrier();
        }
        ${names.map((n) => `let ${n}${suffix} = ${n}Shared[0];`).join('\n        ')}`;
}

/** The workgroup's sum of each of `names` as `<name>Sum` (see workgroupTree). */
export function workgroupSums(names: string[], size: number): string {
  return workgroupTree(names, size, 'Sum', (a, b) => `${a} + ${b}`);
}

/** The workgroup's maximum of each of `names` as `<name>Max` (see workgroupTree). */
export function workgroupMaxes(names: string[], size: number): string {
  return workgroupTree(names, size, 'Max', (a, b) => `max(${a}, ${b})`);
}

/**
 * WGSL for a row program's body: the log-sum-exp over columns c < `n` of `value('c')` (a WGSL f32
 * expression of the column) as `lse`, in every thread; the maximum is taken out first, so large
 * values do not overflow. Needs workgroupShared(['mx', 'se'], size).
 */
export function workgroupLogSumExp(value: (c: string) => string, n: string, size: number): string {
  return `
        var mx = -3.402823e38;
        for (var c = lid; c < ${n}; c = c + ${size}) {
          mx = max(mx, ${value('c')});
        }
        ${workgroupMaxes(['mx'], size)}
        var se = 0.0;
        for (var c = lid; c < ${n}; c = c + ${size}) {
          se = se + exp(${value('c')} - mxMax);
        }
        ${workgroupSums(['se'], size)}
        let lse = mxMax + log(seSum);`;
}

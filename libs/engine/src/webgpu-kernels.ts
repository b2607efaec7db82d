/** Elementwise WGSL kernels on the webgpu backend, through tfjs-webgpu's program interface (nf4-webgpu.ts, bf16-weights.ts). */
import * as tf from '@tensorflow/tfjs-core';

const WORKGROUP: [number, number, number] = [64, 1, 1];

interface WebGpuBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
}

interface FlatDispatch {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

/** A flat elementwise program over n outputs (tfjs-webgpu's program interface). */
function flatProgram(shaderKey: string, variableNames: string[], n: number, body: string) {
  const { webgpu_util } = require('@tensorflow/tfjs-backend-webgpu') as { webgpu_util: FlatDispatch };
  const dispatchLayout = webgpu_util.flatDispatchLayout([n]);
  return {
    shaderKey,
    variableNames,
    outputShape: [n],
    workgroupSize: WORKGROUP,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, [n], WORKGROUP),
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** Runs a flat elementwise WGSL body over n float32 outputs on the webgpu backend: `index` is the output's. */
export function runFlatProgram(shaderKey: string, variableNames: string[], n: number, inputs: tf.Tensor[], body: string): tf.Tensor1D {
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const out = backend.runWebGPUProgram(flatProgram(shaderKey, variableNames, n, body), inputs, 'float32');
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor1D;
}

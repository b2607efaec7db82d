/**
 * The MLP's SwiGLU, silu(gate) * up, as one WGSL kernel forward and two backward (the gradients of
 * gate and of up) on webgpu, where the tfjs ops dispatch about eleven and keep four [tokens,
 * intermediate] tensors for the backward pass instead of the two inputs: the largest activations of
 * a layer (intermediate is 18,944 at 7B).
 */
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from './ops';
import { runFlatProgram } from './webgpu-kernels';

export function swigluWebGpu(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  const f = customGrad((g: tf.Tensor, u: tf.Tensor, save: tf.GradSaveFunc) => {
    save([g, u]);
    return {
      value: runFlatProgram<tf.Tensor2D>('retort_swiglu', ['gate', 'up'], g.shape, [g, u], `
          let x = gate[index];
          let s = 1.0 / (1.0 + exp(-x));
          setOutputAtIndex(index, (x * s) * up[index]);`),
      gradFunc: (dy: tf.Tensor, [gs, us]: tf.Tensor[]) => [
        // d silu(x) / dx = s (1 + x (1 - s))
        runFlatProgram<tf.Tensor2D>('retort_swiglu_dgate', ['dy', 'gate', 'up'], gs.shape, [dy, gs, us], `
          let x = gate[index];
          let s = 1.0 / (1.0 + exp(-x));
          setOutputAtIndex(index, dy[index] * up[index] * (s * (1.0 + x * (1.0 - s))));`),
        runFlatProgram<tf.Tensor2D>('retort_swiglu_dup', ['dy', 'gate'], gs.shape, [dy, gs], `
          let x = gate[index];
          let s = 1.0 / (1.0 + exp(-x));
          setOutputAtIndex(index, dy[index] * (x * s));`),
      ],
    };
  });
  return f(gate, up) as tf.Tensor2D;
}

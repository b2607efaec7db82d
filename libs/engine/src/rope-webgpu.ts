/**
 * RoPE, x cos + rotate_half(x) sin, as one WGSL kernel forward and one backward on webgpu, where the
 * tfjs ops (a product with the rotate_half matrix, two multiplies, an add, and as many for the
 * gradient) dispatch eight for each of q and k per layer. rotate_half(x)_j is -x_{j+d/2} below d/2
 * and x_{j-d/2} from there, so its transpose sends dy sin back the other way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from './ops';
import { runFlatProgram } from './webgpu-kernels';

// x [B, T, n, d]; cos and sin [T, 1, d] (position t, feature j at t * d + j)
const INDICES = `
          let T = uniforms.outShape[1];
          let d = uniforms.outShape[3];
          let h = d / 2;
          let j = index % d;
          let c = ((index / (d * uniforms.outShape[2])) % T) * d;`;

/** x [B, T, n, d] rotated by the tables of its T positions. */
export function ropeWebGpu(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  const f = customGrad((xi: tf.Tensor) => ({
    value: runFlatProgram<tf.Tensor4D>('retort_rope', ['x', 'cosT', 'sinT'], xi.shape, [xi, cos, sin], `${INDICES}
          var rotated : f32;
          if (j < h) { rotated = -x[index + h]; } else { rotated = x[index - h]; }
          setOutputAtIndex(index, x[index] * cosT[c + j] + rotated * sinT[c + j]);`),
    gradFunc: (dy: tf.Tensor) =>
      runFlatProgram<tf.Tensor4D>('retort_rope_grad', ['dy', 'cosT', 'sinT'], dy.shape, [dy, cos, sin], `${INDICES}
          var back : f32;
          if (j < h) { back = dy[index + h] * sinT[c + j + h]; } else { back = -dy[index - h] * sinT[c + j - h]; }
          setOutputAtIndex(index, dy[index] * cosT[c + j] + back);`),
  }));
  return f(x) as tf.Tensor4D;
}

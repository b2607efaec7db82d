/**
 * HF RMSNorm, w * x * rsqrt(mean(x^2) + eps), differentiable in x (the norm weights are frozen in
 * LoRA). On webgpu it is one WGSL kernel forward and one backward, a workgroup per row reducing in
 * shared memory, where tfjs ops take six dispatches forward and about a dozen for the gradient
 * (a GPU pays per dispatch: three norms per layer). Elsewhere it is the tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from './ops';
import { rowWorkgroupSize, runRowProgram, useFusedKernels, workgroupShared, workgroupSums } from './webgpu-kernels';

/** The tfjs ops (every backend; the reference for the kernels). */
export function rmsNormOps(x: tf.Tensor2D, w: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w);
}

/** x [N, H] normalized per row and scaled by w [H]. */
export function rmsNorm(x: tf.Tensor2D, w: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (!useFusedKernels()) return rmsNormOps(x, w, eps);
  const f = customGrad((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi]);
    return {
      value: rmsNormKernel(xi as tf.Tensor2D, w, eps),
      gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => rmsNormGradKernel(xs as tf.Tensor2D, w, dy as tf.Tensor2D, eps),
    };
  });
  return f(x) as tf.Tensor2D;
}

function rmsNormKernel(x: tf.Tensor2D, w: tf.Tensor1D, eps: number): tf.Tensor2D {
  const [N, H] = x.shape; // H is read from the output shape in the shader: one shader serves every width
  const W = rowWorkgroupSize(H);
  return runRowProgram<tf.Tensor2D>('retort_rmsnorm', ['x', 'w'], [N, H], W, [x, w], workgroupShared(['sq'], W), `
        let H = uniforms.outShape[1];
        let n = select(0, H, row < rows);
        var sq = 0.0;
        for (var k = lid; k < n; k = k + ${W}) {
          let v = x[row * H + k];
          sq = sq + v * v;
        }
        ${workgroupSums(['sq'], W)}
        let r = 1.0 / sqrt(sqSum / f32(H) + uniforms.eps);
        for (var k = lid; k < n; k = k + ${W}) {
          setOutputAtIndex(row * H + k, (x[row * H + k] * r) * w[k]);
        }`, { eps });
}

/** dx_j = r w_j dy_j - x_j r^3 / H * sum_k dy_k w_k x_k, r = rsqrt(mean(x^2) + eps). */
function rmsNormGradKernel(x: tf.Tensor2D, w: tf.Tensor1D, dy: tf.Tensor2D, eps: number): tf.Tensor2D {
  const [N, H] = x.shape; // H is read from the output shape in the shader: one shader serves every width
  const W = rowWorkgroupSize(H);
  return runRowProgram<tf.Tensor2D>('retort_rmsnorm_grad', ['x', 'w', 'dy'], [N, H], W, [x, w, dy], workgroupShared(['sq', 'dot'], W), `
        let H = uniforms.outShape[1];
        let n = select(0, H, row < rows);
        var sq = 0.0;
        var dot = 0.0;
        for (var k = lid; k < n; k = k + ${W}) {
          let v = x[row * H + k];
          sq = sq + v * v;
          dot = dot + dy[row * H + k] * w[k] * v;
        }
        ${workgroupSums(['sq', 'dot'], W)}
        let r = 1.0 / sqrt(sqSum / f32(H) + uniforms.eps);
        let c = r * r * r * dotSum / f32(H);
        for (var k = lid; k < n; k = k + ${W}) {
          let i = row * H + k;
          setOutputAtIndex(i, r * w[k] * dy[i] - x[i] * c);
        }`, { eps });
}

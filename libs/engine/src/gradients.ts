/**
 * Gradients of the kernels on the engine's autodiff path. The CommonJS build of tfjs-core ships no
 * gradients (the union package @tensorflow/tfjs registers them from ES modules that Node cannot load
 * from tfjs-core's dist), so the few the engine needs are registered here, with tfjs's own formulas,
 * unless something already registered them. Attention, linear layers and the loss have hand-written
 * gradients (ops.ts); their parts (attention-parts.ts) are slices and concatenations.
 */
import * as tf from '@tensorflow/tfjs-core';

type Attrs = Record<string, unknown>;

/** Sums dy over the axes that broadcasting expanded, back to `shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length ? tf.sum(dy, axes) : dy, shape);
}

function binary(kernelName: string, da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor, db: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const d = dy as tf.Tensor;
      return { a: () => unbroadcast(da(d, a, b), a.shape, out), b: () => unbroadcast(db(d, a, b), b.shape, out) };
    },
  };
}

const CONFIGS: tf.GradConfig[] = [
  binary('Add', (dy) => dy, (dy) => dy),
  binary('Sub', (dy) => dy, (dy) => tf.neg(dy)),
  binary('Multiply', (dy, _a, b) => tf.mul(dy, tf.cast(b, 'float32')), (dy, a) => tf.mul(dy, tf.cast(a, 'float32'))),
  binary('RealDiv', (dy, _a, b) => tf.div(dy, tf.cast(b, 'float32')), (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b)))),
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.cast(dy as tf.Tensor, 'float32') }) },
  { kernelName: 'Cast', gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  { kernelName: 'Square', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(x, 2)) }) },
  {
    kernelName: 'Rsqrt',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.neg(tf.div(dy as tf.Tensor, tf.mul(tf.pow(x, 1.5), 2))) }),
  },
  {
    kernelName: 'Sigmoid',
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y))) }),
  },
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs: Attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  ...(['Sum', 'Mean'] as const).map(
    (kernelName): tf.GradConfig => ({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, [x], attrs: Attrs) => {
        const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
        const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
        const count = axes.reduce((n, a) => n * x.shape[a], 1);
        return {
          x: () => {
            const g = tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.ones(x.shape, 'float32'));
            return kernelName === 'Mean' ? tf.div(g, count) : g;
          },
        };
      },
    }),
  ),
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs: Attrs) => {
      const ta = attrs.transposeA as boolean;
      const tb = attrs.transposeB as boolean;
      const d = dy as tf.Tensor3D;
      const A = a as tf.Tensor3D;
      const B = b as tf.Tensor3D;
      if (!ta && !tb) return { a: () => tf.matMul(d, B, false, true), b: () => tf.matMul(A, d, true, false) };
      if (!ta && tb) return { a: () => tf.matMul(d, B, false, false), b: () => tf.matMul(d, A, true, false) };
      if (ta && !tb) return { a: () => tf.matMul(B, d, false, true), b: () => tf.matMul(A, d, false, false) };
      return { a: () => tf.matMul(B, d, true, true), b: () => tf.matMul(d, A, true, true) };
    },
  },
  // Attention in parts (attention-parts.ts): the parts are slices of q, k and v, their outputs concatenated.
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs: Attrs) => {
      const d = dy as tf.Tensor;
      const begin = attrs.begin as number[];
      return { x: () => tf.pad(d, begin.map((b, i) => [b, x.shape[i] - b - d.shape[i]] as [number, number])) };
    },
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs: Attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
      const parts = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[axis]), axis);
      return Object.fromEntries(parts.map((t, i) => [i, () => t]));
    },
  },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs: Attrs) => {
      const dim = attrs.dim as number;
      const prod = tf.mul(dy as tf.Tensor, y);
      return { logits: () => tf.sub(prod, tf.mul(tf.sum(prod, [dim], true), y)) };
    },
  },
];

let registered = false;

export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const c of CONFIGS) if (!tf.getGradient(c.kernelName)) tf.registerGradient(c);
}

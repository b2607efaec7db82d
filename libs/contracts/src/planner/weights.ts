/** The tensors of a checkpoint, by Hugging Face name and shape, and the parameter counts they make. */
import type { ModelDims } from './dims';
import { moduleName, projectionHasBias, projectionShape, PROJECTIONS } from './projections';

/** Every weight name and HF shape the config implies (lm_head only when untied). */
export function expectedWeights(c: ModelDims): Map<string, number[]> {
  const m = new Map<string, number[]>();
  m.set('model.embed_tokens.weight', [c.vocabSize, c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    m.set(`model.layers.${i}.input_layernorm.weight`, [c.hiddenSize]);
    m.set(`model.layers.${i}.post_attention_layernorm.weight`, [c.hiddenSize]);
    for (const p of PROJECTIONS) {
      const [inp, out] = projectionShape(c, p);
      m.set(`${moduleName(i, p)}.weight`, [out, inp]);
      if (projectionHasBias(c, p)) m.set(`${moduleName(i, p)}.bias`, [out]);
    }
  }
  m.set('model.norm.weight', [c.hiddenSize]);
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', [c.vocabSize, c.hiddenSize]);
  return m;
}

/** Parameters of the model (embedding and lm_head once each) and of its projection weights (what NF4 quantizes). */
export function parameterCounts(c: ModelDims): { base: number; linear: number } {
  let linear = 0;
  for (const p of PROJECTIONS) {
    const [inp, out] = projectionShape(c, p);
    linear += inp * out;
  }
  let base = 0;
  for (const shape of expectedWeights(c).values()) base += shape.reduce((a, b) => a * b, 1);
  return { base, linear: linear * c.numLayers };
}

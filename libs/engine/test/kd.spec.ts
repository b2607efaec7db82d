import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bytesToUnicode, ChatTokenizer } from '@retort/tokenizer';
import { batchLoss, collate, forwardLogits, initModel, loadModel, tokenizeRecord, train, trainConfig, type TeacherTokenLogprob } from '../src';
import { softCrossEntropy } from '../src/cross-entropy';
import { describeBackends, trainingTimeout } from './backends';
import { tinyModel } from './helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-kd-'));
  initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: dir, seed: 5 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What an OpenAI-compatible server reports for a token of this byte-level vocabulary. */
function served(tok: ChatTokenizer, id: number, logprob: number) {
  const table = bytesToUnicode();
  const bytes = [...tok.idToToken(id)!].map((ch) => table.indexOf(ch));
  return { token: Buffer.from(bytes).toString('utf8'), bytes, logprob };
}

describeBackends('token-level distillation', (backend) => {
  it('softCrossEntropy: value and gradient of T^2 * CE(teacher, student at T)', async () => {
    const z = tf.randomNormal([4, 6], 0, 2, 'float32', 1) as tf.Tensor2D;
    const p = tf.softmax(tf.randomNormal([4, 6], 0, 1, 'float32', 2)) as tf.Tensor2D;
    const w = tf.tensor1d([1, 0, 0.5, 2]);
    const T = 2;
    const plain = (x: tf.Tensor) => tf.mul(tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(p, tf.logSoftmax(tf.div(x, T))), -1)), w)), T * T) as tf.Scalar;
    // The whole distribution as the teacher's top-6 of 6.
    const teacher = { k: 6, ids: Int32Array.from({ length: 24 }, (_, i) => i % 6), probs: (await p.data()) as Float32Array };
    const mine = (x: tf.Tensor) => softCrossEntropy(x as tf.Tensor2D, teacher, w, T);
    expect(Math.abs((await mine(z).data())[0] - (await plain(z).data())[0])).toBeLessThan(1e-4);
    const [g1] = tf.grads(mine)([z]);
    const [g2] = tf.grads(plain)([z]);
    expect((await tf.max(tf.abs(tf.sub(g1, g2))).data())[0]).toBeLessThan(1e-5);
  });

  it("lines up a teacher's tokens with the student's targets when the tokenizers match, and falls back otherwise", () => {
    const tok = ChatTokenizer.fromDir(dir);
    const answer = 'pong 42, over';
    const answerIds = tok.encode(answer);
    const other = tok.encode('x')[0];
    // As a server reports them: bytes for most, vLLM's token_id:N for one.
    const eos = tok.eosTokenId!;
    // As a server reports them: bytes for most, vLLM's token_id:N for one, and the end-of-turn token last.
    const teacher: TeacherTokenLogprob[] = [...answerIds, eos].map((id, i) => ({
      ...(i === 1 || id === eos ? { token: `token_id:${id}`, logprob: -0.1 } : served(tok, id, -0.1)),
      top: [id === eos ? { token: `token_id:${id}`, logprob: -0.1 } : served(tok, id, -0.1), served(tok, other, -2.5)],
    }));
    const messages = [
      { role: 'user' as const, content: 'ping 42' },
      { role: 'assistant' as const, content: answer },
    ];
    const ex = tokenizeRecord({ messages, teacher }, tok)[0];
    expect(ex.kd).toBe('aligned');
    const rows = ex.teacher!.map((d, t) => (d ? t : -1)).filter((t) => t >= 0);
    expect(rows).toHaveLength(answerIds.length + 1); // the answer and the template's end-of-turn after it
    rows.forEach((t, i) => {
      const id = [...answerIds, eos][i];
      expect(ex.ids[t + 1]).toBe(id); // the target at t is the teacher's token i
      expect(ex.weights[t]).toBe(1);
      expect(ex.teacher![t]).toEqual({ ids: [id, other], logprobs: [-0.1, -2.5] });
    });
    expect(ex.ids).toEqual(tokenizeRecord({ messages }, tok)[0].ids);
    const batch = collate([ex, tokenizeRecord({ messages }, tok)[0]], 0);
    expect(batch.teacher!.rows).toHaveLength(answerIds.length + 1);

    // Teacher tokens that spell another answer (say, the record was edited in curation): sequence-level.
    expect(tokenizeRecord({ messages: [messages[0], { role: 'assistant', content: 'pong 43, over' }], teacher }, tok)[0].kd).toBe('mismatch');

    // A teacher with another vocabulary (whole words): sequence-level only.
    const words: TeacherTokenLogprob[] = answer.split(' ').map((w) => ({ token: w, logprob: -0.1, top: [{ token: w, logprob: -0.1 }, { token: 'zzqx', logprob: -3 }] }));
    const fallback = tokenizeRecord({ messages, teacher: words }, tok)[0];
    expect(fallback.kd).toBe('mismatch');
    expect(fallback.teacher).toBeUndefined();
  });

  it("learns the teacher's distribution, not just its sampled token", async () => {
    // Every answer is "a", and the teacher was 60/40 between "a" and "b" there.
    // Initialised wide enough that the frozen head can express a peaked distribution.
    const { dir: wide, tok } = tinyModel('qwen2', {}, 3, 0.3);
    const [a, b] = [tok.encode('a')[0], tok.encode('b')[0]];
    const messages = (i: number) => [{ role: 'user' as const, content: `q${i}` }, { role: 'assistant' as const, content: 'a' }];
    const teacher: TeacherTokenLogprob[] = [{ ...served(tok, a, Math.log(0.6)), top: [served(tok, a, Math.log(0.6)), served(tok, b, Math.log(0.4))] }];
    const probeIds = tokenizeRecord({ messages: messages(0) }, tok)[0].ids;
    const answerAt = probeIds.lastIndexOf(a) - 1; // the position that predicts the answer
    const probsAfter = async (alpha: number) => {
      const model = loadModel(wide);
      const data = Array.from({ length: 8 }, (_, i) => tokenizeRecord({ messages: messages(i), teacher }, tok)[0]);
      expect(data.every((e) => e.kd === 'aligned')).toBe(true);
      const res = await train({ model, train: data, padId: 0, config: trainConfig({ steps: 40, batchSize: 8, lr: 2e-2, warmupSteps: 0, kdAlpha: alpha, lora: { r: 4 } }) });
      const softmax = tf.tidy(() => tf.softmax(forwardLogits(model, [probeIds], { lora: res.adapter })));
      const probs = (await softmax.array()) as number[][];
      softmax.dispose();
      return { a: probs[answerAt][a], b: probs[answerAt][b] };
    };
    const [ce, kd] = [await probsAfter(0), await probsAfter(1)];
    expect(ce.a).toBeGreaterThan(0.9); // cross-entropy alone: all mass on "a"
    expect(ce.b).toBeLessThan(0.01);
    // Distillation keeps the teacher's second choice, in about its proportion (0.4 / 0.6; this tiny
    // model's frozen head cannot take all the mass off the other tokens).
    expect(kd.b).toBeGreaterThan(0.1);
    expect(kd.b / kd.a).toBeGreaterThan(0.4);
    expect(kd.b / kd.a).toBeLessThan(0.9);
  }, trainingTimeout(backend));

  it('batchLoss mixes CE and the teacher term at the teacher rows only', async () => {
    const model = loadModel(dir);
    const tok = ChatTokenizer.fromDir(dir);
    const answerIds = tok.encode('pong 7');
    const teacher: TeacherTokenLogprob[] = answerIds.map((id) => ({ ...served(tok, id, -0.3), top: [served(tok, id, -0.3), served(tok, 65, -1.2), served(tok, 66, -2)] }));
    const ex = tokenizeRecord({ messages: [{ role: 'user', content: 'ping 7' }, { role: 'assistant', content: 'pong 7' }], teacher }, tok)[0];
    const batch = collate([ex], 0);
    const norm = batch.tokens;
    const loss = async (alpha: number, temperature: number) => (await batchLoss(model, undefined, batch, norm, { kd: { alpha, temperature } }).data())[0];

    // The same on the host, from the logits.
    const logits = await forwardLogits(model, batch.ids).array();
    const logSoftmax = (row: number[], T: number) => {
      const s = row.map((x) => x / T);
      const m = Math.max(...s);
      const lse = m + Math.log(s.reduce((a, x) => a + Math.exp(x - m), 0));
      return s.map((x) => x - lse);
    };
    const expected = (alpha: number, T: number) => {
      let total = 0;
      batch.targets.forEach((target, row) => {
        const w = batch.weights[row];
        if (!w) return;
        const i = batch.teacher!.rows.indexOf(row);
        const ce = -logSoftmax(logits[row], 1)[target];
        if (i < 0) return void (total += w * ce);
        const { ids, logprobs } = batch.teacher!.dists[i];
        const e = logprobs.map((l) => Math.exp(l / T));
        const sum = e.reduce((a, b) => a + b, 0);
        const ls = logSoftmax(logits[row], T);
        const soft = -ids.reduce((acc, id, j) => acc + (e[j] / sum) * ls[id], 0);
        total += w * ((1 - alpha) * ce + alpha * T * T * soft);
      });
      return total / norm;
    };
    for (const [alpha, T] of [[0, 1], [0.5, 1], [1, 2]]) expect(Math.abs((await loss(alpha, T)) - expected(alpha, T))).toBeLessThan(1e-4);
    expect(Math.abs((await loss(1, 2)) - (await loss(0, 1)))).toBeGreaterThan(1e-3); // the teacher term is really there
  });
});

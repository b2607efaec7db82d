import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { f16ToF32, f32ToBf16, f32ToF16, parseConfig, readCheckpoint, readSafetensors, writeCheckpoint, writeSafetensors } from '../src';

const base = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 16,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
};

describe('safetensors', () => {
  const data = new Float32Array([0, 1, -2.5, 3.14159, 65504, 1e-3, -1e-7, 0.1]);

  it('round-trips F32 exactly, with metadata and sorted keys', () => {
    const buf = writeSafetensors({ b: { shape: [2, 4], data }, a: { shape: [1], data: new Float32Array([7]) } }, { format: 'pt' });
    const headerLen = Number(buf.readBigUInt64LE(0));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString());
    expect(Object.keys(header)).toEqual(['__metadata__', 'a', 'b']);
    expect(header.b).toEqual({ dtype: 'F32', shape: [2, 4], data_offsets: [4, 36] });
    const back = readSafetensors(buf);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(back.tensors.get('b')!.shape).toEqual([2, 4]);
    expect(Array.from(back.tensors.get('b')!.data)).toEqual(Array.from(data));
  });

  it('converts F16 and BF16 to float32', () => {
    for (const [dtype, tol] of [['F16', 1e-3], ['BF16', 8e-3]] as const) {
      const back = readSafetensors(writeSafetensors({ x: { shape: [8], data } }, undefined, dtype)).tensors.get('x')!.data;
      data.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * tol + 1e-7));
    }
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(1e6)).toBe(0x7c00);
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(-2)).toBe(0xc000);
  });

  it('rejects unsupported dtypes and bad offsets, naming the tensor', () => {
    const buf = writeSafetensors({ x: { shape: [2], data: new Float32Array([1, 2]) } });
    const json = buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString();
    const patched = Buffer.from(buf);
    patched.write(json.replace('"F32"', '"I64"'), 8);
    expect(() => readSafetensors(patched)).toThrow(/tensor x has dtype I64/);
    const short = Buffer.from(buf);
    short.write(json.replace('[0,8]', '[0,9]'), 8);
    expect(() => readSafetensors(short)).toThrow(/tensor x has data_offsets/);
  });
});

describe('config.json', () => {
  it('parses llama and qwen2 with defaults', () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({ family: 'llama', headDim: 4, numKvHeads: 1, ropeTheta: 10000, tieWordEmbeddings: false, qkvBias: false });
    const q = parseConfig({ ...base, architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', tie_word_embeddings: true, rope_theta: 1e6 });
    expect(q).toMatchObject({ family: 'qwen2', qkvBias: true, oBias: false, tieWordEmbeddings: true, ropeTheta: 1e6 });
  });

  it('names what is not supported', () => {
    expect(() => parseConfig({ ...base, model_type: 'mistral' }, 'x/config.json')).toThrow('x/config.json: model_type "mistral" is not supported');
    expect(() => parseConfig({ ...base, architectures: ['MistralForCausalLM'] })).toThrow(/architecture "MistralForCausalLM"/);
    expect(() => parseConfig({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(/rope_scaling: field "low_freq_factor" must be a number/);
    expect(parseConfig({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }).ropeScaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    expect(parseConfig({ ...base, rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toEqual({ type: 'linear', factor: 2 });
    expect(() => parseConfig({ ...base, rope_scaling: { type: 'yarn' } })).toThrow(/rope_scaling type "yarn"/);
    expect(() => parseConfig({ ...base, hidden_act: 'gelu' })).toThrow(/hidden_act "gelu"/);
    expect(() => parseConfig({ ...base, mlp_bias: true })).toThrow(/mlp_bias/);
    expect(() => parseConfig({ ...base, num_key_value_heads: 3 })).toThrow(/not a multiple/);
    expect(() => parseConfig({ ...base, hidden_size: undefined })).toThrow(/field "hidden_size" must be a number/);
  });

  it('writes and reads sharded checkpoints, and names missing shards', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-ck-'));
    const tensors = new Map([
      ['a', { shape: [4], data: new Float32Array([1, 2, 3, 4]) }],
      ['b', { shape: [4], data: new Float32Array([5, 6, 7, 8]) }],
    ]);
    writeCheckpoint(dir, base, tensors, { maxShardBytes: 16 });
    expect(fs.existsSync(path.join(dir, 'model-00002-of-00002.safetensors'))).toBe(true);
    const back = readCheckpoint(dir);
    expect(Array.from(back.tensors.get('b')!.data)).toEqual([5, 6, 7, 8]);
    fs.rmSync(path.join(dir, 'model-00002-of-00002.safetensors'));
    expect(() => readCheckpoint(dir)).toThrow(/shard model-00002-of-00002.safetensors not found/);
    fs.rmSync(dir, { recursive: true });
  });
});

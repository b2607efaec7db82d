/**
 * Checkpoints at the real students' sizes without their RAM: files above 2 GiB are made sparse (the
 * writer leaves all-zero chunks as holes), so CI reads and writes them without holding them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  configText,
  DISTILL_CONFIGS,
  f32ToBf16,
  initBackend,
  initModel,
  loadModel,
  openCheckpoint,
  readCheckpoint,
  readModelConfig,
  SafetensorsFileReader,
  tokenizerMaxId,
  writeCheckpoint,
  writeSafetensorsFile,
  type TensorToWrite,
} from '../src';
import { tmpDir } from './helpers';

const GiB = 1024 ** 3;
const BIG = 600_000_000; // float32 values: 2.4 GB, past both 2 GiB and the old one-buffer reads

function* zeroChunks(count: number, chunk = 1 << 24): Iterable<Float32Array> {
  const zeros = new Float32Array(chunk);
  for (let at = 0; at < count; at += chunk) yield at + chunk <= count ? zeros : zeros.subarray(0, count - at);
}

const diskBytes = (file: string) => fs.statSync(file).blocks * 512;

beforeAll(async () => {
  await initBackend('wasm', () => undefined);
});

describe('safetensors files above 2 GiB', () => {
  let dir: string;
  beforeEach(() => (dir = tmpDir('retort-scale-')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one streamed and sparse, and reads a tensor that lies past 2 GiB by positioned reads', () => {
    const file = path.join(dir, 'model.safetensors');
    const tail = new Float32Array([1.5, -2.25, 3, 0.09375]);
    const size = writeSafetensorsFile(file, [
      { name: 'pad', shape: [BIG / 1000, 1000], data: () => zeroChunks(BIG) },
      { name: 'tail', shape: [2, 2], data: tail },
    ]);
    expect(fs.statSync(file).size).toBe(size);
    expect(size).toBeGreaterThan(2 * GiB + 16);
    expect(diskBytes(file)).toBeLessThan(64 * 1024 * 1024);
    const reader = new SafetensorsFileReader(file);
    try {
      expect(reader.entries.get('tail')).toMatchObject({ dtype: 'F32', shape: [2, 2], begin: BIG * 4 });
      expect(Array.from(reader.read('tail').data)).toEqual(Array.from(tail));
      expect(reader.metadata).toEqual({});
    } finally {
      reader.close();
    }
  });

  it('reads a hand-made BF16 file (as Hugging Face publishes) with its tensor 2.2 GB in, converting per tensor', () => {
    const file = path.join(dir, 'model.safetensors');
    const values = [1, -0.5, 3.140625, 65280];
    const begin = 2.2e9;
    const header = Buffer.from(JSON.stringify({ __metadata__: { format: 'pt' }, 'model.x': { dtype: 'BF16', shape: [4], data_offsets: [begin, begin + 8] }, 'model.pad': { dtype: 'BF16', shape: [begin / 2], data_offsets: [0, begin] } }));
    const fd = fs.openSync(file, 'w');
    const lead = Buffer.alloc(8);
    lead.writeBigUInt64LE(BigInt(header.length));
    fs.writeSync(fd, lead, 0, 8, 0);
    fs.writeSync(fd, header, 0, header.length, 8);
    const x = Buffer.alloc(8);
    values.forEach((v, i) => x.writeUInt16LE(f32ToBf16(v), 2 * i));
    fs.writeSync(fd, x, 0, 8, 8 + header.length + begin);
    fs.closeSync(fd);
    const reader = new SafetensorsFileReader(file);
    try {
      expect(Array.from(reader.read('model.x').data)).toEqual(values);
      expect(reader.metadata).toEqual({ format: 'pt' });
    } finally {
      reader.close();
    }
    // a header that promises more bytes than the file has is refused, naming the tensor
    fs.truncateSync(file, 8 + header.length + begin + 4);
    expect(() => new SafetensorsFileReader(file)).toThrow(/tensor model\.x has data_offsets \[2200000000, 2200000008\] inconsistent with BF16\[4\]/);
  });

  it('shards a checkpoint like transformers: a tensor larger than the shard size gets a shard of its own, the index maps every tensor', () => {
    const config = { model_type: 'llama', hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 32, rope_theta: 10000, rms_norm_eps: 1e-5 };
    const small = (name: string, v: number): TensorToWrite => ({ name, shape: [4], data: new Float32Array([v, v + 1, v + 2, v + 3]) });
    const written = writeCheckpoint(dir, config, [small('a', 1), { name: 'big', shape: [BIG], data: () => zeroChunks(BIG) }, small('b', 5), small('c', 9)], { maxShardBytes: 1e9, dtype: 'BF16' });
    expect(written.files).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']);
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(index).toEqual({
      metadata: { total_size: 2 * (BIG + 12) },
      weight_map: { a: 'model-00001-of-00003.safetensors', b: 'model-00003-of-00003.safetensors', big: 'model-00002-of-00003.safetensors', c: 'model-00003-of-00003.safetensors' },
    });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    const reader = openCheckpoint(dir);
    try {
      expect(reader.names().sort()).toEqual(['a', 'b', 'big', 'c']);
      expect(reader.dtype('c')).toBe('BF16');
      expect(reader.shape('big')).toEqual([BIG]);
      expect(Array.from(reader.read('c').data)).toEqual([9, 10, 11, 12]);
    } finally {
      reader.close();
    }
    // written again in one file, the old shards and index go
    writeCheckpoint(dir, config, [small('a', 1)]);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(Array.from(readCheckpoint(dir).tensors.get('a')!.data)).toEqual([1, 2, 3, 4]);
  });
});

describe('config.json floats', () => {
  it('stay floats: known float fields, and every key that held a float literal in the file read', () => {
    const dir = tmpDir('retort-config-');
    const text = '{"model_type": "llama", "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 32, "my_scale": 2.0, "big": 1e3, "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}';
    fs.writeFileSync(path.join(dir, 'config.json'), text);
    const written = configText(readModelConfig(dir).raw);
    expect(written).toMatch(/"my_scale": 2\.0,/);
    expect(written).toMatch(/"big": 1000\.0,/);
    expect(written).toMatch(/"rope_theta": 500000\.0,/);
    expect(written).toMatch(/"factor": 8\.0,\n\s*"low_freq_factor": 1\.0,\n\s*"high_freq_factor": 4\.0,\n\s*"original_max_position_embeddings": 8192\n/);
    expect(written).toMatch(/"hidden_size": 8,/);
    expect(JSON.parse(written)).toEqual(JSON.parse(text));
    // a config made here (no file) still writes the known float fields as floats
    expect(configText({ rope_theta: 10000, rms_norm_eps: 1e-6, num_hidden_layers: 2 })).toBe('{\n  "rope_theta": 10000.0,\n  "rms_norm_eps": 0.000001,\n  "num_hidden_layers": 2\n}\n');
    fs.rmSync(dir, { recursive: true });
  });
});

describe('checks on load', () => {
  let dir: string;
  beforeEach(() => (dir = tmpDir('retort-load-')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a tokenizer whose ids do not fit vocab_size, naming the token, before the weights are read', () => {
    initModel({ family: 'qwen2', out: dir, config: { vocab_size: 300, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2 } });
    expect(() => loadModel(dir)).not.toThrow();
    const tokFile = path.join(dir, 'tokenizer.json');
    const tok = JSON.parse(fs.readFileSync(tokFile, 'utf8'));
    tok.added_tokens.push({ id: 151644, content: '<|im_start|>', special: true });
    fs.writeFileSync(tokFile, JSON.stringify(tok));
    expect(tokenizerMaxId(tok)).toEqual({ id: 151644, token: '<|im_start|>' });
    expect(() => loadModel(dir)).toThrow(`${tokFile}: token "<|im_start|>" has id 151644, but config.json's vocab_size is 300`);
  });

  it('names a tensor whose shape the config does not imply, from the header alone', () => {
    initModel({ family: 'llama', out: dir, config: { vocab_size: 300, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2 } });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, intermediate_size: 40 }));
    expect(() => loadModel(dir)).toThrow(/checkpoint: tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[\d+,16\], config.json implies \[40,16\]/);
  });

  it('refuses a float32 DeepSeek-R1-Distill-Qwen-1.5B-shaped model on the wasm heap with the numbers (a sparse 7 GB file, nothing read)', () => {
    const { name: _name, ...shape } = DISTILL_CONFIGS['1.5b'];
    initModel({ family: 'qwen2', out: dir, config: { ...shape, torch_dtype: 'bfloat16' }, weights: 'zeros' });
    const reader = new SafetensorsFileReader(path.join(dir, 'model.safetensors'));
    const params = [...reader.entries.values()].reduce((n, e) => n + e.count, 0);
    reader.close();
    expect(params).toBe(1_777_088_000); // as published
    const file = path.join(dir, 'model.safetensors');
    expect(fs.statSync(file).size).toBeGreaterThan(2 * params);
    expect(diskBytes(file)).toBeLessThan(64 * 1024 * 1024);
    // Held on the device (as without the native addon; with it they default to host memory).
    expect(() => loadModel(dir, { weights: 'device' })).toThrow(/its weights take \d+\.\d GiB as float32 on the device, more than the 4\.0 GiB the wasm backend can address; load it with --quant nf4/);
  });
});

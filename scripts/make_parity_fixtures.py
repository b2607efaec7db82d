#!/usr/bin/python3
"""Golden fixtures for the engine's parity tests (libs/engine/test/fixtures).

A from-scratch PyTorch reference of the Hugging Face Llama/Qwen2 forward pass (modeling_llama.py /
modeling_qwen2.py semantics: RMSNorm, rotate_half RoPE, repeat_kv GQA, SwiGLU, biases, tied or untied
lm_head) and of a PEFT LoRA adapter (W + alpha/r * B A). It writes random tiny checkpoints in HF layout
(hand-written safetensors: no safetensors package needed) and the logits they must produce.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_parity_fixtures.py
"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'libs', 'engine', 'test', 'fixtures')
DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16'}


def write_safetensors(path, tensors, dtype=torch.float32):
    header, blobs, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(dtype).contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.element_size() == 2 else t.numpy().tobytes()
        header[name] = {'dtype': DTYPES[dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def llama3_inv_freq(inv_freq, rs):
    """transformers' _compute_llama3_parameters (Llama 3.1 rope_scaling), written out here."""
    assert rs['rope_type'] == 'llama3'
    factor, low, high, old = rs['factor'], rs['low_freq_factor'], rs['high_freq_factor'], rs['original_max_position_embeddings']
    low_freq_wavelen, high_freq_wavelen = old / low, old / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(medium, smoothed, scaled)


def forward(cfg, w, ids, lora=None):
    """Logits [B, T, V] for ids [B, T]. lora: {module: (A [r,in], B [out,r], scale)}."""
    B, T = ids.shape
    H, KV, d = cfg['num_attention_heads'], cfg['num_key_value_heads'], cfg['head_dim']
    eps = cfg['rms_norm_eps']

    def lin(x, name):
        y = x @ w[name + '.weight'].T
        if name + '.bias' in w:
            y = y + w[name + '.bias']
        if lora and name in lora:
            a, b, s = lora[name]
            y = y + s * ((x @ a.T) @ b.T)
        return y

    inv_freq = 1.0 / (cfg['rope_theta'] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    if cfg.get('rope_scaling'):
        inv_freq = llama3_inv_freq(inv_freq, cfg['rope_scaling'])
    freqs = torch.arange(T).float()[:, None] @ inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((T, T), torch.finfo(torch.float32).min).triu(1)
    x = w['model.embed_tokens.weight'][ids]
    for i in range(cfg['num_hidden_layers']):
        p = f'model.layers.{i}'
        h = rms_norm(x, w[p + '.input_layernorm.weight'], eps)
        q = lin(h, p + '.self_attn.q_proj').view(B, T, H, d).transpose(1, 2)
        k = lin(h, p + '.self_attn.k_proj').view(B, T, KV, d).transpose(1, 2)
        v = lin(h, p + '.self_attn.v_proj').view(B, T, KV, d).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d) + mask, dim=-1, dtype=torch.float32)
        o = (att @ v).transpose(1, 2).reshape(B, T, H * d)
        x = x + lin(o, p + '.self_attn.o_proj')
        h = rms_norm(x, w[p + '.post_attention_layernorm.weight'], eps)
        g = lin(h, p + '.mlp.gate_proj')
        x = x + lin(torch.nn.functional.silu(g) * lin(h, p + '.mlp.up_proj'), p + '.mlp.down_proj')
    x = rms_norm(x, w['model.norm.weight'], eps)
    head = w['model.embed_tokens.weight'] if cfg['tie_word_embeddings'] else w['lm_head.weight']
    return x @ head.T


def random_weights(cfg, gen):
    V, D, I = cfg['vocab_size'], cfg['hidden_size'], cfg['intermediate_size']
    H, KV, d = cfg['num_attention_heads'], cfg['num_key_value_heads'], cfg['head_dim']
    qkv_bias = cfg['model_type'] == 'qwen2' or cfg.get('attention_bias', False)
    o_bias = cfg['model_type'] == 'llama' and cfg.get('attention_bias', False)
    r = lambda *s: torch.randn(*s, generator=gen) * 0.3
    w = {'model.embed_tokens.weight': torch.randn(V, D, generator=gen), 'model.norm.weight': 1 + r(D)}
    for i in range(cfg['num_hidden_layers']):
        p = f'model.layers.{i}'
        w[p + '.input_layernorm.weight'] = 1 + r(D)
        w[p + '.post_attention_layernorm.weight'] = 1 + r(D)
        shapes = {'self_attn.q_proj': (H * d, D), 'self_attn.k_proj': (KV * d, D), 'self_attn.v_proj': (KV * d, D),
                  'self_attn.o_proj': (D, H * d), 'mlp.gate_proj': (I, D), 'mlp.up_proj': (I, D), 'mlp.down_proj': (D, I)}
        for name, shape in shapes.items():
            w[f'{p}.{name}.weight'] = r(*shape)
            if (qkv_bias and name in ('self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj')) or (o_bias and name == 'self_attn.o_proj'):
                w[f'{p}.{name}.bias'] = r(shape[0])
    if not cfg['tie_word_embeddings']:
        w['lm_head.weight'] = r(V, D)
    return w


def make(name, cfg, dtype, shards, seed, lora=None):
    gen = torch.Generator().manual_seed(seed)
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    w = random_weights(cfg, gen)
    w = {k: v.to(dtype).to(torch.float32) for k, v in w.items()}  # what the loader will see
    with open(os.path.join(out, 'config.json'), 'w') as f:
        json.dump({**cfg, 'torch_dtype': {torch.float32: 'float32', torch.float16: 'float16', torch.bfloat16: 'bfloat16'}[dtype]}, f, indent=2)
    names = sorted(w)
    if shards == 1:
        write_safetensors(os.path.join(out, 'model.safetensors'), w, dtype)
    else:
        weight_map = {}
        for s in range(shards):
            part = names[s::shards]
            fname = f'model-{s + 1:05d}-of-{shards:05d}.safetensors'
            write_safetensors(os.path.join(out, fname), {k: w[k] for k in part}, dtype)
            weight_map.update({k: fname for k in part})
        with open(os.path.join(out, 'model.safetensors.index.json'), 'w') as f:
            json.dump({'metadata': {'total_size': 0}, 'weight_map': weight_map}, f, indent=2)
    ids = torch.randint(0, cfg['vocab_size'], (2, 9), generator=gen)
    golden = {'ids': ids.tolist(), 'logits': forward(cfg, w, ids).reshape(-1).tolist()}
    if lora:
        r, alpha, targets = lora
        adapter, modules = {}, {}
        for i in range(cfg['num_hidden_layers']):
            for t in targets:
                mod = f'model.layers.{i}.{"self_attn" if t.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else "mlp"}.{t}'
                out_f, in_f = w[mod + '.weight'].shape
                a, b = torch.randn(r, in_f, generator=gen) * 0.3, torch.randn(out_f, r, generator=gen) * 0.3
                adapter[f'base_model.model.{mod}.lora_A.weight'] = a
                adapter[f'base_model.model.{mod}.lora_B.weight'] = b
                modules[mod] = (a, b, alpha / r)
        adir = os.path.join(out, 'adapter')
        os.makedirs(adir, exist_ok=True)
        write_safetensors(os.path.join(adir, 'adapter_model.safetensors'), adapter)
        with open(os.path.join(adir, 'adapter_config.json'), 'w') as f:
            json.dump({'peft_type': 'LORA', 'task_type': 'CAUSAL_LM', 'r': r, 'lora_alpha': alpha, 'lora_dropout': 0.0,
                       'target_modules': targets, 'bias': 'none', 'use_rslora': False, 'base_model_name_or_path': name}, f, indent=2)
        golden['loraLogits'] = forward(cfg, w, ids, modules).reshape(-1).tolist()
    with open(os.path.join(out, 'golden.json'), 'w') as f:
        json.dump(golden, f)


def main():
    common = dict(vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, head_dim=8,
                  hidden_act='silu', max_position_embeddings=64, rope_scaling=None)
    make('tiny-llama', {**common, 'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'intermediate_size': 40,
                        'num_key_value_heads': 2, 'rms_norm_eps': 1e-5, 'rope_theta': 500000.0, 'attention_bias': True,
                        'mlp_bias': False, 'tie_word_embeddings': False}, torch.float32, 2, 1,
         lora=(4, 8, ['q_proj', 'v_proj', 'o_proj', 'down_proj']))
    make('tiny-qwen2', {**common, 'architectures': ['Qwen2ForCausalLM'], 'model_type': 'qwen2', 'intermediate_size': 48,
                        'num_key_value_heads': 1, 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'use_sliding_window': False,
                        'tie_word_embeddings': True}, torch.bfloat16, 1, 2)
    make('tiny-llama-f16', {**common, 'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'intermediate_size': 40,
                            'num_key_value_heads': 4, 'rms_norm_eps': 1e-6, 'rope_theta': 10000.0, 'tie_word_embeddings': True},
         torch.float16, 1, 3)
    # Llama 3.1: rope_scaling llama3 with a band of each kind among the 4 frequencies of head_dim 8
    # (wavelengths 6.3, 167, 4443, 118000 against 256/4 and 256/1).
    make('tiny-llama31', {**common, 'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'intermediate_size': 40,
                          'num_key_value_heads': 2, 'rms_norm_eps': 1e-5, 'rope_theta': 500000.0, 'tie_word_embeddings': False,
                          'rope_scaling': {'factor': 8.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0,
                                           'original_max_position_embeddings': 256, 'rope_type': 'llama3'}},
         torch.bfloat16, 1, 4)
    print('fixtures written to', os.path.abspath(OUT))


if __name__ == '__main__':
    main()

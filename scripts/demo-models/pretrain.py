#!/usr/bin/python3
"""Pretraining of the demo models (scripts/demo-models/make.ts runs it): every weight of a small
qwen2 trained from scratch (or from --init) on a tokenized corpus, as a base model is made before
anyone fine-tunes it. Retort itself trains adapters, not bases; this is the step that happens
elsewhere for real students (and Retort's logits equal PyTorch's, so the result loads unchanged).

The corpus is JSONL of {"ids": [...], "weights": [...]} (weights[t] = 1 where token t is a target),
written by make.ts with the engine's own tokenizer and chat template. The output is a safetensors
file (F32) with Hugging Face's qwen2 tensor names and tied embeddings.

  /usr/bin/python3 scripts/demo-models/pretrain.py --config config.json --corpus corpus.jsonl \
      --out model.safetensors [--init model.safetensors] [--steps N] [--batch N] [--lr X] [--seed N]

Needs Debian's python3-torch (apt-get install python3-torch). Prints one JSON line at the end.
"""
import argparse
import json
import math
import random
import struct
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--config', required=True)
p.add_argument('--corpus', required=True)
p.add_argument('--out', required=True)
p.add_argument('--init')
p.add_argument('--steps', type=int, default=2000)
p.add_argument('--batch', type=int, default=32)
p.add_argument('--lr', type=float, default=3e-3)
p.add_argument('--warmup', type=int, default=100)
p.add_argument('--schedule', choices=['cosine', 'constant'], default='cosine', help='after the warmup: cosine to 10%% of --lr, or constant')
p.add_argument('--seed', type=int, default=1)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--log-every', type=int, default=100)
p.add_argument('--save-every', type=int, default=0, help='also write --out every N steps')
args = p.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
random.seed(args.seed)
cfg = json.load(open(args.config))
D, L, H, KV, I, V = (cfg[k] for k in ('hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'vocab_size'))
HD = cfg.get('head_dim', D // H)
EPS = cfg.get('rms_norm_eps', 1e-6)
STD = cfg.get('initializer_range', 0.02)
assert cfg.get('tie_word_embeddings', False), 'the demo models tie their embeddings'


def tensor_names():
    names = {'model.embed_tokens.weight': (V, D), 'model.norm.weight': (D,)}
    for i in range(L):
        a, m = f'model.layers.{i}.self_attn', f'model.layers.{i}.mlp'
        names.update({
            f'{a}.q_proj.weight': (H * HD, D), f'{a}.q_proj.bias': (H * HD,),
            f'{a}.k_proj.weight': (KV * HD, D), f'{a}.k_proj.bias': (KV * HD,),
            f'{a}.v_proj.weight': (KV * HD, D), f'{a}.v_proj.bias': (KV * HD,),
            f'{a}.o_proj.weight': (D, H * HD),
            f'{m}.gate_proj.weight': (I, D), f'{m}.up_proj.weight': (I, D), f'{m}.down_proj.weight': (D, I),
            f'model.layers.{i}.input_layernorm.weight': (D,), f'model.layers.{i}.post_attention_layernorm.weight': (D,),
        })
    return names


def read_safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        dtype = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}[e['dtype']]
        a, b = e['data_offsets']
        out[name] = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=dtype).reshape(e['shape']).float()
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        b = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h)
        for b in blobs:
            f.write(b)


shapes = tensor_names()
if args.init:
    init = read_safetensors(args.init)
    W = {k: torch.nn.Parameter(init[k].clone()) for k in shapes}
else:
    W = {}
    for k, s in shapes.items():
        if k.endswith('norm.weight'):
            W[k] = torch.nn.Parameter(torch.ones(s))
        elif k.endswith('.bias'):
            W[k] = torch.nn.Parameter(torch.zeros(s))
        else:
            W[k] = torch.nn.Parameter(torch.randn(s) * STD)

inv = 1.0 / (cfg.get('rope_theta', 10000.0) ** (torch.arange(0, HD, 2).float() / HD))
ang = torch.arange(cfg.get('max_position_embeddings', 2048)).float()[:, None] * inv[None]
COS, SIN = torch.cat((ang, ang), -1).cos(), torch.cat((ang, ang), -1).sin()


def rms(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))


def rope(x, t):
    half = HD // 2
    rot = torch.cat((-x[..., half:], x[..., :half]), -1)
    return x * COS[:t] + rot * SIN[:t]


def forward(ids):
    b, t = ids.shape
    x = W['model.embed_tokens.weight'][ids]
    mask = torch.full((t, t), float('-inf')).triu(1)
    for i in range(L):
        a, m = f'model.layers.{i}.self_attn', f'model.layers.{i}.mlp'
        h = rms(x, W[f'model.layers.{i}.input_layernorm.weight'])
        q = F.linear(h, W[f'{a}.q_proj.weight'], W[f'{a}.q_proj.bias']).view(b, t, H, HD).transpose(1, 2)
        k = F.linear(h, W[f'{a}.k_proj.weight'], W[f'{a}.k_proj.bias']).view(b, t, KV, HD).transpose(1, 2)
        v = F.linear(h, W[f'{a}.v_proj.weight'], W[f'{a}.v_proj.bias']).view(b, t, KV, HD).transpose(1, 2)
        q, k = rope(q, t), rope(k, t)
        if KV != H:
            k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
        s = q @ k.transpose(2, 3) / math.sqrt(HD) + mask
        o = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, H * HD)
        x = x + F.linear(o, W[f'{a}.o_proj.weight'])
        h = rms(x, W[f'model.layers.{i}.post_attention_layernorm.weight'])
        x = x + F.linear(F.silu(F.linear(h, W[f'{m}.gate_proj.weight'])) * F.linear(h, W[f'{m}.up_proj.weight']), W[f'{m}.down_proj.weight'])
    return F.linear(rms(x, W['model.norm.weight']), W['model.embed_tokens.weight'])


examples = [json.loads(line) for line in open(args.corpus) if line.strip()]
random.shuffle(examples)
held = examples[:min(256, len(examples) // 10)]
train = examples[len(held):]


def batch_of(rows):
    t = max(len(r['ids']) for r in rows)
    ids = torch.zeros(len(rows), t, dtype=torch.long)
    tw = torch.zeros(len(rows), t)
    for j, r in enumerate(rows):
        ids[j, :len(r['ids'])] = torch.tensor(r['ids'])
        tw[j, :len(r['weights'])] = torch.tensor(r['weights'], dtype=torch.float)
    return ids, tw


def loss_of(ids, tw):
    logits = forward(ids)[:, :-1]
    w = tw[:, :-1]
    ce = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1), reduction='none')
    return (ce * w.reshape(-1)).sum() / w.sum()


def held_loss():
    with torch.no_grad():
        return sum(float(loss_of(*batch_of(held[i:i + 64]))) * len(held[i:i + 64]) for i in range(0, len(held), 64)) / len(held)


decay = [w for k, w in W.items() if w.dim() == 2]
other = [w for k, w in W.items() if w.dim() < 2]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': other, 'weight_decay': 0.0}], lr=args.lr, betas=(0.9, 0.98))


def lr_at(step):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    if args.schedule == 'constant':
        return args.lr
    frac = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


started = time.time()
order, cursor, run = list(range(len(train))), len(train), 0.0
for step in range(args.steps):
    if cursor + args.batch > len(order):
        random.shuffle(order)
        cursor = 0
    rows = [train[j] for j in order[cursor:cursor + args.batch]]
    cursor += args.batch
    for g in opt.param_groups:
        g['lr'] = lr_at(step)
    loss = loss_of(*batch_of(rows))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(W.values()), 1.0)
    opt.step()
    run += float(loss)
    if (step + 1) % args.log_every == 0 or step + 1 == args.steps:
        print(f'[pretrain] step {step + 1}/{args.steps} loss {run / ((step % args.log_every) + 1):.4f} held-out {held_loss():.4f} {time.time() - started:.0f} s', flush=True)
        run = 0.0
    if args.save_every and (step + 1) % args.save_every == 0:
        write_safetensors(args.out, W)

write_safetensors(args.out, W)
print(json.dumps({'steps': args.steps, 'seconds': round(time.time() - started, 1), 'heldOutLoss': held_loss(), 'examples': len(train)}))

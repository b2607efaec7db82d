#!/usr/bin/python3
"""PyTorch eager reference for `npm run bench -- engine` and `-- scale`: the same LoRA training step
(forward, backward, AdamW on A and B, frozen base) and the same KV-cache greedy generation, float32,
on the same shapes. Prints one JSON line: {"trainTokensPerSec", "genTokensPerSec", "detail"}.

Without --config: the engine bench's config (hidden 256, 4 layers, ...). With --config: a Hugging
Face config.json's fields as JSON (hidden_size, intermediate_size, num_hidden_layers,
num_attention_heads, num_key_value_heads, vocab_size, tie_word_embeddings, model_type: qwen2 adds
q/k/v biases). --checkpointing recomputes each layer in backward (torch.utils.checkpoint), as the
engine's gradient checkpointing does. --nf4 keeps each frozen projection as 4-bit codes with a
float32 absmax per block of 64 and dequantizes it at every use (what QLoRA does without a fused
kernel; the engine does the same on wasm). Weights are random (only the time matters).

Run with Debian's python3-torch (with libopenblas0-pthread): /usr/bin/python3 scripts/bench_reference_torch.py
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

p = argparse.ArgumentParser()
p.add_argument('--train-steps', type=int, default=4)
p.add_argument('--gen-tokens', type=int, default=64)
p.add_argument('--prompt', type=int, default=16)
p.add_argument('--config', help='config.json fields as JSON (default: the engine bench config)')
p.add_argument('--seq', type=int, default=256)
p.add_argument('--batch', type=int, default=8)
p.add_argument('--rank', type=int, default=8)
p.add_argument('--alpha', type=int, default=16)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--checkpointing', action='store_true')
p.add_argument('--nf4', action='store_true')
args = p.parse_args()

torch.set_num_threads(args.threads)  # the engine bench runs one (RETORT_BLAS_THREADS=1); scale all cores
cfg = json.loads(args.config) if args.config else {
    'hidden_size': 256, 'num_hidden_layers': 4, 'num_attention_heads': 8, 'num_key_value_heads': 8,
    'intermediate_size': 688, 'vocab_size': 2048, 'tie_word_embeddings': False, 'model_type': 'llama'}
D, L, H, I, V = (cfg[k] for k in ('hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'vocab_size'))
KV = cfg.get('num_key_value_heads', H)
d = D // H
BIAS = cfg.get('model_type') == 'qwen2'
T, B, R = args.seq, args.batch, args.rank
torch.manual_seed(0)

NF4 = torch.tensor([-1.0, -0.6961928, -0.5250731, -0.3949175, -0.2844414, -0.1847734, -0.0910500, 0.0,
                    0.0795803, 0.1609302, 0.2461123, 0.3379152, 0.4407098, 0.5626170, 0.7229568, 1.0])


class LoraLinear(torch.nn.Module):
    def __init__(self, inp, out, bias=False):
        super().__init__()
        w = torch.randn(out, inp) * 0.02
        if args.nf4:
            blocks = w.reshape(-1, 64)
            self.absmax = blocks.abs().amax(1)
            codes = torch.bucketize((blocks / self.absmax[:, None]).reshape(-1), (NF4[1:] + NF4[:-1]) / 2).to(torch.uint8)
            self.packed = codes[0::2] << 4 | codes[1::2]  # two codes per byte, as stored
            self.shape = (out, inp)
        else:
            self.weight = torch.nn.Parameter(w, requires_grad=False)
        self.bias = torch.nn.Parameter(torch.zeros(out), requires_grad=False) if bias else None
        self.lora_A = torch.nn.Parameter(torch.empty(R, inp).uniform_(-1 / math.sqrt(inp), 1 / math.sqrt(inp)))
        self.lora_B = torch.nn.Parameter(torch.zeros(out, R))
        self.scale = args.alpha / R

    def frozen(self):
        if not args.nf4:
            return self.weight
        codes = torch.stack((self.packed >> 4, self.packed & 15), 1).reshape(-1).long()
        return (NF4[codes].reshape(-1, 64) * self.absmax[:, None]).reshape(self.shape)

    def forward(self, x):
        return F.linear(x, self.frozen(), self.bias) + self.scale * F.linear(F.linear(x, self.lora_A), self.lora_B)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q = LoraLinear(D, H * d, BIAS)
        self.k, self.v = LoraLinear(D, KV * d, BIAS), LoraLinear(D, KV * d, BIAS)
        self.o = LoraLinear(H * d, D)
        self.gate, self.up, self.down = LoraLinear(D, I), LoraLinear(D, I), LoraLinear(I, D)
        self.n1 = torch.nn.Parameter(torch.ones(D), requires_grad=False)
        self.n2 = torch.nn.Parameter(torch.ones(D), requires_grad=False)

    def forward(self, x, cos, sin, cache=None, i=0):
        b, t, _ = x.shape
        h = rms(x, self.n1)
        q = self.q(h).view(b, t, H, d).transpose(1, 2)
        k = self.k(h).view(b, t, KV, d).transpose(1, 2)
        v = self.v(h).view(b, t, KV, d).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if cache is not None:
            if i in cache:
                k, v = torch.cat((cache[i][0], k), 2), torch.cat((cache[i][1], v), 2)
            cache[i] = (k, v)
        if KV != H:
            k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
        s = q @ k.transpose(2, 3) / math.sqrt(d)  # eager attention, as HF's "eager" implementation
        if t > 1:
            s = s + torch.full((t, t), float('-inf')).triu(1)
        o = torch.softmax(s, dim=-1) @ v
        x = x + self.o(o.transpose(1, 2).reshape(b, t, H * d))
        h = rms(x, self.n2)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


def rms(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


def rotate_half(x):
    return torch.cat((-x[..., d // 2:], x[..., :d // 2]), dim=-1)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Parameter(torch.randn(V, D) * 0.02, requires_grad=False)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(L))
        self.norm = torch.nn.Parameter(torch.ones(D), requires_grad=False)
        self.head = self.embed if cfg.get('tie_word_embeddings') else torch.nn.Parameter(torch.randn(V, D) * 0.02, requires_grad=False)
        inv = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
        emb = torch.arange(4096).float()[:, None] * inv[None]
        emb = torch.cat((emb, emb), -1)
        self.cos, self.sin = emb.cos(), emb.sin()

    def forward(self, ids, cache=None, pos=0):
        t = ids.shape[1]
        x = self.embed[ids]
        cos, sin = self.cos[pos:pos + t], self.sin[pos:pos + t]
        for i, l in enumerate(self.layers):
            if args.checkpointing and cache is None:
                x = checkpoint(l, x, cos, sin, use_reentrant=False)  # non-reentrant: the frozen embedding's output needs no grad
            else:
                x = l(x, cos, sin, cache, i)
        return F.linear(rms(x, self.norm), self.head)


model = Model()
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
ids = torch.randint(0, V, (B, T))


def step():
    logits = model(ids)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)


step()  # warm-up
times = []
for _ in range(args.train_steps):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
train_tps = B * T * len(times) / sum(times)

prompt = torch.randint(0, V, (1, args.prompt))


@torch.no_grad()
def gen(n):
    cache = {}
    logits = model(prompt, cache, 0)
    pos = args.prompt
    out = []
    for _ in range(n):
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        out.append(int(nxt))
        logits = model(nxt, cache, pos)
        pos += 1
    return out


gen_tps = None
if args.gen_tokens > 0:
    gen(4)
    t0 = time.perf_counter()
    gen(args.gen_tokens)
    gen_tps = args.gen_tokens / (time.perf_counter() - t0)
print(json.dumps({'trainTokensPerSec': train_tps, 'genTokensPerSec': gen_tps,
                  'detail': f'torch {torch.__version__}, {torch.get_num_threads()} threads; step ms ' + ', '.join(f'{t * 1000:.0f}' for t in times)}))

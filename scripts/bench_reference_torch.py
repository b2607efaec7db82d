#!/usr/bin/python3
"""PyTorch eager reference for `npm run bench` (bench/engine.ts): the same LoRA training step (forward,
backward, AdamW on A and B, frozen base) and the same KV-cache greedy generation, float32, on the same
fixed config. Prints one JSON line: {"trainTokensPerSec", "genTokensPerSec", "detail"}.

Run with Debian's python3-torch (with libopenblas0-pthread): /usr/bin/python3 scripts/bench_reference_torch.py
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)  # one core, as the engine bench (RETORT_BLAS_THREADS=1)

p = argparse.ArgumentParser()
p.add_argument('--train-steps', type=int, default=4)
p.add_argument('--gen-tokens', type=int, default=64)
p.add_argument('--prompt', type=int, default=16)
args = p.parse_args()

D, L, H, I, V, T, B, R = 256, 4, 8, 688, 2048, 256, 8, 8
d = D // H
torch.manual_seed(0)


class LoraLinear(torch.nn.Module):
    def __init__(self, inp, out, r=R, alpha=16):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(out, inp) * 0.02, requires_grad=False)
        self.lora_A = torch.nn.Parameter(torch.empty(r, inp).uniform_(-1 / math.sqrt(inp), 1 / math.sqrt(inp)))
        self.lora_B = torch.nn.Parameter(torch.zeros(out, r))
        self.scale = alpha / r

    def forward(self, x):
        return F.linear(x, self.weight) + self.scale * F.linear(F.linear(x, self.lora_A), self.lora_B)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (LoraLinear(D, D) for _ in range(4))
        self.gate, self.up, self.down = LoraLinear(D, I), LoraLinear(D, I), LoraLinear(I, D)
        self.n1 = torch.nn.Parameter(torch.ones(D), requires_grad=False)
        self.n2 = torch.nn.Parameter(torch.ones(D), requires_grad=False)


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
        self.head = torch.nn.Parameter(torch.randn(V, D) * 0.02, requires_grad=False)
        inv = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
        emb = torch.arange(4096).float()[:, None] * inv[None]
        emb = torch.cat((emb, emb), -1)
        self.cos, self.sin = emb.cos(), emb.sin()

    def forward(self, ids, cache=None, pos=0):
        b, t = ids.shape
        x = self.embed[ids]
        cos, sin = self.cos[pos:pos + t], self.sin[pos:pos + t]
        for i, l in enumerate(self.layers):
            h = rms(x, l.n1)
            q = l.q(h).view(b, t, H, d).transpose(1, 2)
            k = l.k(h).view(b, t, H, d).transpose(1, 2)
            v = l.v(h).view(b, t, H, d).transpose(1, 2)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            if cache is not None:
                if i in cache:
                    k, v = torch.cat((cache[i][0], k), 2), torch.cat((cache[i][1], v), 2)
                cache[i] = (k, v)
            s = q @ k.transpose(2, 3) / math.sqrt(d)  # eager attention, as HF's "eager" implementation
            if t > 1:
                s = s + torch.full((t, t), float('-inf')).triu(1)
            o = torch.softmax(s, dim=-1) @ v
            x = x + l.o(o.transpose(1, 2).reshape(b, t, D))
            h = rms(x, l.n2)
            x = x + l.down(F.silu(l.gate(h)) * l.up(h))
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


gen(4)
t0 = time.perf_counter()
gen(args.gen_tokens)
gen_tps = args.gen_tokens / (time.perf_counter() - t0)
print(json.dumps({'trainTokensPerSec': train_tps, 'genTokensPerSec': gen_tps,
                  'detail': f'torch {torch.__version__}, {torch.get_num_threads()} threads; step ms ' + ', '.join(f'{t * 1000:.0f}' for t in times)}))

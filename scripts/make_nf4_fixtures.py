#!/usr/bin/python3
"""Golden fixtures for the engine's NF4 (QLoRA) tests: libs/engine/test/fixtures/nf4/golden.json.

A from-scratch PyTorch reference of bitsandbytes' 4-bit quantization as QLoRA uses it
(`quantize_4bit(..., quant_type='nf4', compress_statistics=True)`), written after the pure-torch
("default" backend) kernels of bitsandbytes (`backends/default/ops.py`) and `functional.py`:

  - NF4: blocks of 64 consecutive elements of the weight in its PyTorch layout [out, in], absmax per
    block, scaled = clamp(x * (1 / absmax), -1, 1), code = argmin |scaled - NF4[j]| (the first index
    on ties), the 16 values of `get_4bit_type('nf4')`. A last partial block has its own absmax.
    Packing: two codes per byte, the first in the high nibble (`q[::2] << 4 | q[1::2]`).
  - Double quantization: offset = mean(absmax); absmax - offset quantized blockwise to 8 bits with
    blocks of 256 over bitsandbytes' dynamic map (`create_dynamic_map()`), same scaling and argmin.
  - Dequantization: absmax = dynamic[q] * absmax2[block] + offset; w = NF4[code] * absmax.

bitsandbytes itself is not installed here (no network), so this is a re-implementation; the
engine's TypeScript implementation is tested against its codes exactly and against its logits
(the tiny parity models with their linear weights replaced by the dequantized NF4 weights).
One deliberate detail: the offset (the mean of the absmax) is accumulated in float64 and rounded to
float32, so that the result does not depend on a summation order (bitsandbytes sums in float32).

Float arrays are stored exactly, as base64 of little-endian float32; codes as base64 bytes.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_nf4_fixtures.py
"""
import base64
import json
import os
import struct

import torch

from make_parity_fixtures import forward

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'libs', 'engine', 'test', 'fixtures')
OUT = os.path.join(FIXTURES, 'nf4')

NF4 = torch.tensor([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
    0.7229568362236023, 1.0], dtype=torch.float32)


def create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8, exact=True):
    """bitsandbytes functional.create_dynamic_map (the default 8-bit map of quantize_blockwise).

    bitsandbytes computes it with float32 torch.linspace, whose last bit depends on the build (the
    vectorized kernel and FMA contraction): this Debian torch differs from exact arithmetic by one ulp
    in 44 of the 256 values. With exact=True (the reference the engine follows) every value is
    computed in float64 and rounded once to float32; exact=False is bitsandbytes' float32 version.
    """
    data = []
    non_sign_bits = total_bits - 1
    additional_items = 2 ** (non_sign_bits - max_exponent_bits) - 1
    for i in range(max_exponent_bits):
        fraction_items = int(2 ** (i + non_sign_bits - max_exponent_bits) + 1 if signed
                             else 2 ** (i + non_sign_bits - max_exponent_bits + 1) + 1)
        dtype = torch.float64 if exact else torch.float32
        boundaries = torch.linspace(0.1, 1, fraction_items, dtype=dtype)
        if exact:
            boundaries = torch.tensor([0.1 + j * (0.9 / (fraction_items - 1)) for j in range(fraction_items)], dtype=dtype)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
        if signed:
            data += (-(10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
    assert additional_items == 0
    data.append(0)
    data.append(1.0)
    assert len(data) == 2 ** total_bits
    data.sort()
    return torch.tensor(data, dtype=torch.float32)


DYNAMIC = create_dynamic_map()


def blockwise(a, code, blocksize):
    """Codes (argmin over `code`) and absmax per block of a flat float32 tensor (last block may be partial)."""
    n = a.numel()
    nb = (n + blocksize - 1) // blocksize
    absmax = torch.zeros(nb, dtype=torch.float32)
    codes = torch.zeros(n, dtype=torch.int64)
    for b in range(nb):
        blk = a[b * blocksize:(b + 1) * blocksize]
        m = blk.abs().max()
        absmax[b] = m
        if m == 0:  # an all-zero block: every element is 0 (bitsandbytes divides by zero here)
            codes[b * blocksize:(b + 1) * blocksize] = int(torch.argmin(code.abs()))
            continue
        scaled = torch.clamp(blk * (1 / m), -1, 1)
        codes[b * blocksize:(b + 1) * blocksize] = torch.argmin(torch.abs(scaled[:, None] - code[None, :]), dim=-1)
    return codes, absmax


def quantize_nf4(w, blocksize=64, nested_blocksize=256):
    a = w.reshape(-1).to(torch.float32)
    codes, absmax = blockwise(a, NF4, blocksize)
    offset = absmax.double().mean().float()
    qabsmax, absmax2 = blockwise(absmax - offset, DYNAMIC, nested_blocksize)
    return {'codes': codes, 'absmax': absmax, 'offset': offset, 'qabsmax': qabsmax, 'absmax2': absmax2}


def dequantize_nf4(q, shape, blocksize=64, nested_blocksize=256):
    nb = q['qabsmax'].numel()
    absmax = DYNAMIC[q['qabsmax']] * q['absmax2'].repeat_interleave(nested_blocksize)[:nb] + q['offset']
    n = q['codes'].numel()
    return (NF4[q['codes']] * absmax.repeat_interleave(blocksize)[:n]).reshape(shape)


def pack_bnb(codes):
    """bitsandbytes' byte layout: two codes per byte, the first in the high nibble."""
    c = codes.tolist() + [7] * (codes.numel() % 2)  # bitsandbytes pads with 0.0, whose code is 7
    return [(c[i] << 4) | c[i + 1] for i in range(0, len(c), 2)]


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    hlen = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + hlen])
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        s, e = info['data_offsets']
        buf = bytearray(raw[8 + hlen + s:8 + hlen + e])
        dtype = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}[info['dtype']]
        out[name] = torch.frombuffer(buf, dtype=dtype).to(torch.float32).reshape(info['shape'])
    return out


def load_fixture(name):
    d = os.path.join(FIXTURES, name)
    cfg = json.load(open(os.path.join(d, 'config.json')))
    w = {}
    for f in sorted(os.listdir(d)):
        if f.endswith('.safetensors'):
            w.update(read_safetensors(os.path.join(d, f)))
    golden = json.load(open(os.path.join(d, 'golden.json')))
    return cfg, w, golden['ids']


def f32(t):
    """float32 values, exactly: base64 of little-endian float32."""
    return base64.b64encode(t.reshape(-1).to(torch.float32).numpy().astype('<f4').tobytes()).decode()


def u8(values):
    return base64.b64encode(bytes(values)).decode()


def case(name, x):
    q = quantize_nf4(x)
    return {
        'name': name,
        'shape': list(x.shape),
        'input': f32(x),
        'codes': u8(q['codes'].tolist()),
        'packed': u8(pack_bnb(q['codes'])),
        'absmax': f32(q['absmax']),
        'offset': float(q['offset']),
        'qabsmax': u8(q['qabsmax'].tolist()),
        'absmax2': f32(q['absmax2']),
        'dequant': f32(dequantize_nf4(q, x.shape)),
    }


def main():
    gen = torch.Generator().manual_seed(4)
    os.makedirs(OUT, exist_ok=True)
    # Exact NF4 values (times a block scale), midpoints between neighbours (ties go to the lower code),
    # zeros, a zero block, and a partial last block.
    special = []
    for j in range(16):
        special.append(float(NF4[j]) * 0.5)
    for j in range(15):
        special.append(float((NF4[j] + NF4[j + 1]) / 2) * 0.5)
    special += [0.5, -0.25, 0.0, 1e-8, -1e-8, 0.123456, -0.3]
    special += [0.0] * (64 - len(special))  # one full block
    special += [0.0] * 64  # an all-zero block
    special += [0.01 * (i - 18) for i in range(37)]  # a partial block of 37 (odd: padded when packed)
    cases = [
        case('normal 24x80 (30 blocks)', torch.randn(24, 80, generator=gen) * 0.05),
        case('normal 260x64 (260 blocks: two nested blocks, the second partial)', torch.randn(260, 64, generator=gen) * 0.02),
        case('special values', torch.tensor(special, dtype=torch.float32)),
    ]
    models = {}
    for name in ['tiny-llama', 'tiny-qwen2']:
        cfg, w, ids = load_fixture(name)
        deq = {}
        for k, v in w.items():
            if k.endswith('_proj.weight'):
                deq[k] = dequantize_nf4(quantize_nf4(v), v.shape)
            else:
                deq[k] = v
        logits = forward(cfg, deq, torch.tensor(ids))
        models[name] = {'ids': ids, 'logits': logits.reshape(-1).tolist()}
    with open(os.path.join(OUT, 'golden.json'), 'w') as f:
        json.dump({'nf4': f32(NF4), 'dynamicMap': f32(DYNAMIC), 'dynamicMapTorchF32': f32(create_dynamic_map(exact=False)), 'cases': cases, 'models': models}, f)
    print('NF4 fixtures written to', os.path.abspath(OUT))


if __name__ == '__main__':
    main()

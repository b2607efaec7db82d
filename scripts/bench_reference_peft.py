#!/usr/bin/env python3
"""PyTorch + transformers + PEFT reference for `npm run bench -- gpu` (bench/gpu.ts), on CUDA.

The same LoRA training at the same shapes: shapes.json, which `npm run bundle:gpu` writes from
bench/gpu-shapes.ts (each shape's config.json fields, batch x seq, checkpointing flag, LoRA and
AdamW settings). Random weights (Qwen2ForCausalLM / LlamaForCausalLM from the config), random
token ids, every position but the last a target, AdamW on the LoRA weights, gradient clipping as
the engine; one warm-up step, then the timed steps, each between torch.cuda.synchronize() calls.
Prints one JSON line per shape, with each dtype's tokens/s, step times, weight bytes and
torch.cuda.max_memory_allocated() over the training (weights included):
  float32   everything in float32 (torch's default matmul precision, no TF32 unless set)
  bfloat16  base weights in bfloat16, LoRA A and B kept float32 by PEFT, the step under
            torch.autocast(bfloat16): the usual bf16 LoRA recipe
QLoRA (NF4) shapes are skipped: the GPU host has no bitsandbytes.

  python3 reference_peft.py --shapes shapes.json [--dtypes float32,bfloat16] [--steps N]
Like the engine bench it reads BENCH_GPU_SIZES, BENCH_GPU_BATCH, BENCH_GPU_SEQ, BENCH_TRAIN_STEPS.
"""
import argparse
import gc
import json
import os
import sys
import time

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

FAMILIES = {'llama': (LlamaConfig, LlamaForCausalLM), 'qwen2': (Qwen2Config, Qwen2ForCausalLM)}
DTYPES = {'float32': torch.float32, 'bfloat16': torch.bfloat16}


def selected_shapes(spec):
    """BENCH_GPU_SIZES (default every shape), BENCH_GPU_BATCH and BENCH_GPU_SEQ, as bench/gpu-shapes.ts."""
    by_key = {s['key']: s for s in spec['shapes']}
    keys = [k.strip() for k in os.environ['BENCH_GPU_SIZES'].split(',')] if os.environ.get('BENCH_GPU_SIZES') else list(by_key)
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        sys.exit(f'BENCH_GPU_SIZES: {", ".join(unknown)} not one of {", ".join(by_key)}')
    batch, seq = os.environ.get('BENCH_GPU_BATCH'), os.environ.get('BENCH_GPU_SEQ')
    return [{**by_key[k], 'batch': int(batch) if batch else by_key[k]['batch'], 'seq': int(seq) if seq else by_key[k]['seq']} for k in keys]


def build(shape, dtype):
    config_cls, model_cls = FAMILIES[shape['family']]
    # The stored dtype of the engine's checkpoint does not matter here: the run's dtype is chosen below.
    fields = {k: v for k, v in shape['config'].items() if k not in ('torch_dtype', 'dtype')}
    config = config_cls.from_dict(fields)
    torch.manual_seed(0)
    with torch.device('cuda'):
        model = model_cls(config)
    model.to(dtype)
    if shape['gradientCheckpointing']:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={'use_reentrant': False})
    lora = shape['train']['lora']
    lora_config = LoraConfig(
        r=lora['r'],
        lora_alpha=lora['alpha'],
        lora_dropout=lora['dropout'],
        use_rslora=lora['useRslora'],
        target_modules=lora['targetModules'],
        bias='none',
        task_type='CAUSAL_LM',
    )
    model = get_peft_model(model, lora_config)
    model.train()
    return model


def timed_training(model, shape, dtype, steps):
    t = shape['train']
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=t['lr'], betas=(t['beta1'], t['beta2']), eps=t['eps'], weight_decay=t['weightDecay'])
    vocab = shape['config']['vocab_size']
    generator = torch.Generator(device='cuda').manual_seed(1)
    step_ms = []
    for _ in range(steps + 1):
        ids = torch.randint(vocab, (shape['batch'], shape['seq']), device='cuda', generator=generator)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast('cuda', dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, t['maxGradNorm'])
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        step_ms.append(round((time.perf_counter() - t0) * 1000, 1))
    return step_ms


def figures(shape, dtype, steps):
    model = None
    try:
        model = build(shape, dtype)
        torch.cuda.synchronize()
        weight_bytes = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        step_ms = timed_training(model, shape, dtype, steps)
        timed = step_ms[1:]
        return {
            'trainTokensPerSec': round(shape['batch'] * shape['seq'] * len(timed) * 1000 / sum(timed), 1) if timed else None,
            'stepMs': step_ms,
            'weightBytes': weight_bytes,
            'stepPeakBytes': torch.cuda.max_memory_allocated(),
            'attention': getattr(model.config, '_attn_implementation', None),
        }
    except torch.cuda.OutOfMemoryError as err:
        return {'failed': f'out of memory: {str(err).splitlines()[0]}'}
    finally:
        del model
        gc.collect()
        torch.cuda.empty_cache()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--shapes', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'shapes.json'))
    p.add_argument('--dtypes', default='float32,bfloat16')
    p.add_argument('--steps', type=int, default=None, help='timed steps after the warm-up (default BENCH_TRAIN_STEPS, else as the engine bench)')
    args = p.parse_args()
    with open(args.shapes) as f:
        spec = json.load(f)
    steps = args.steps if args.steps is not None else int(os.environ.get('BENCH_TRAIN_STEPS', spec['trainSteps']))
    dtypes = [d.strip() for d in args.dtypes.split(',')]
    if not torch.cuda.is_available():
        sys.exit('reference_peft.py: CUDA is not available')
    about = {
        'device': torch.cuda.get_device_name(),
        'torch': torch.__version__,
        'transformers': transformers.__version__,
        'peft': peft.__version__,
        'float32MatmulPrecision': torch.get_float32_matmul_precision(),
    }
    for shape in selected_shapes(spec):
        line = {'key': shape['key'], 'name': shape['name'], 'batch': shape['batch'], 'seq': shape['seq'], 'gradientCheckpointing': shape['gradientCheckpointing']}
        if shape['quant'] != 'none':
            line['skipped'] = f'{shape["quant"]} (QLoRA) needs bitsandbytes, which the reference does not use'
        else:
            for name in dtypes:
                line[name] = figures(shape, DTYPES[name], steps)
        print(json.dumps({**line, **about}), flush=True)


if __name__ == '__main__':
    main()

"""Small transformers with eager attention, exported to ONNX, with torch's own attention weights and logit-lens
logits for one prompt: the ground truth of the attention-map and logit-lens tests.

For every configuration NAME (below) it writes into OUT_DIR/NAME/:
  model.onnx      input_ids int64 [batch, seq] (+ attention_mask) -> logits float32 [batch, seq, vocab]
  ids.json        the prompt's token ids (repeats included, so induction has something to find)
  attn_L.npy      torch's attention probabilities of layer L for the prompt, [heads, T, T] float32
  lens.npy        torch's head(final_norm(h_l)) for the residual h_l after each block l, [layers, T, vocab]
and OUT_DIR/fused/model.onnx: a com.microsoft Attention node (fused attention: no probabilities to read).
The configurations differ where the graph patterns can differ: causal (Where or additive mask) or bidirectional,
Div or Mul scale, LayerNormalization (opset 17) or its decomposition (opset 14), RMSNorm written out, a tied or
separate unembedding (with or without bias).

usage: python3 transformers.py OUT_DIR [bench]
  bench: OUT_DIR/bench/model.onnx only, a 12-layer 12-head model (random weights, d=48) that takes 1,024 tokens.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

VOCAB = 50
PROMPT = [3, 17, 9, 41, 5, 3, 17, 9, 41, 22, 8, 5, 3, 17]


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.1 * torch.randn(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h = c['d'], c['heads']
        norm = (lambda: RMSNorm(d)) if c['norm'] == 'rms' else (lambda: nn.LayerNorm(d))
        self.ln1, self.ln2 = norm(), norm()
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)
        self.c = c

    def forward(self, x, mask):
        b, t, d = x.shape
        dh = d // self.h
        y = self.ln1(x)
        split = lambda z: z.reshape(b, t, self.h, dh).transpose(1, 2)
        q, k, v = split(self.q(y)), split(self.k(y)), split(self.v(y))
        s = q @ k.transpose(-1, -2)
        s = s / math.sqrt(dh) if self.c['scale'] == 'div' else s * (1.0 / math.sqrt(dh))
        if self.c['mask'] == 'where':
            s = s.masked_fill(mask, float('-inf'))
        elif mask is not None:
            s = s + mask
        att = torch.softmax(s, dim=-1)
        self.att = att  # what the tests compare with
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x))))


class TinyLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['d']
        self.c = c
        self.tok = nn.Embedding(c.get('vocab', VOCAB), d)
        self.pos = nn.Embedding(c['max_len'], d)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c['layers'])])
        self.ln = RMSNorm(d) if c['norm'] == 'rms' else nn.LayerNorm(d)
        if not c['tied']:
            self.head = nn.Linear(d, c.get('vocab', VOCAB), bias=c.get('head_bias', False))
        n = c['max_len']
        self.register_buffer('causal_bool', torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1))
        self.register_buffer('causal_add', torch.triu(torch.full((n, n), -1e9), diagonal=1))
        # norms with non-trivial weights, so that the lens reads them for real
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.LayerNorm):
                    m.weight.add_(0.2 * torch.randn_like(m.weight))
                    m.bias.add_(0.1 * torch.randn_like(m.bias))

    def unembed(self, x):
        return x @ self.tok.weight.t() if self.c['tied'] else self.head(x)

    def forward(self, input_ids, attention_mask=None):
        t = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos(torch.arange(t))
        mask = None
        if self.c['causal']:
            mask = self.causal_bool[:t, :t] if self.c['mask'] == 'where' else self.causal_add[:t, :t]
        if attention_mask is not None:
            pad = (1.0 - attention_mask[:, None, None, :].float()) * -1e9
            mask = pad if mask is None else mask + pad
        self.residuals = []
        for blk in self.blocks:
            x = blk(x, mask)
            self.residuals.append(x)
        return self.unembed(self.ln(x))


CONFIGS = {
    # one layer, causal via Where (masked_fill), Div scale, LayerNormalization, tied unembedding
    'l1-causal': dict(layers=1, heads=4, d=32, causal=True, mask='where', scale='div', norm='ln', tied=True, opset=17, max_len=64),
    # two layers, bidirectional, Mul scale, RMSNorm written out, separate head with bias
    'l2-bidir': dict(layers=2, heads=2, d=32, causal=False, mask='add', scale='mul', norm='rms', tied=False, head_bias=True, opset=14, max_len=64),
    # six layers, causal additive mask plus an attention_mask input, LayerNorm decomposed (opset 14)
    'l6-causal': dict(layers=6, heads=4, d=32, causal=True, mask='add', scale='mul', norm='ln', tied=False, opset=14, max_len=64, attention_mask=True),
}
BENCH = dict(layers=12, heads=12, d=48, causal=True, mask='add', scale='div', norm='ln', tied=True, opset=17, max_len=1024, vocab=256)


def export(model, c, path):
    ids = torch.tensor([PROMPT])
    names, args, axes = ['input_ids'], (ids,), {'input_ids': {0: 'batch', 1: 'seq'}, 'logits': {0: 'batch', 1: 'seq'}}
    if c.get('attention_mask'):
        names.append('attention_mask')
        args = (ids, torch.ones_like(ids))
        axes['attention_mask'] = {0: 'batch', 1: 'seq'}
    torch.onnx.export(model, args, path, input_names=names, output_names=['logits'], dynamic_axes=axes,
                      opset_version=c['opset'], do_constant_folding=True)


def build(out, name, c, seed):
    torch.manual_seed(seed)
    model = TinyLM(c).eval()
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    export(model, c, os.path.join(d, 'model.onnx'))
    if name == 'bench':
        return
    with torch.no_grad():
        ids = torch.tensor([PROMPT])
        logits = model(ids, torch.ones_like(ids)) if c.get('attention_mask') else model(ids)
        for i, blk in enumerate(model.blocks):
            np.save(os.path.join(d, f'attn_{i}.npy'), blk.att[0].numpy().astype(np.float32))
        lens = torch.stack([model.unembed(model.ln(h))[0] for h in model.residuals])
        np.save(os.path.join(d, 'lens.npy'), lens.numpy().astype(np.float32))
        assert torch.allclose(lens[-1], logits[0], atol=1e-5)
    with open(os.path.join(d, 'ids.json'), 'w') as f:
        json.dump(PROMPT, f)


def fused(out):
    """input_ids -> Gather -> com.microsoft Attention (4 heads) -> MatMul -> logits: no Softmax to read."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    d = 16
    inits = [
        numpy_helper.from_array(rng.standard_normal((VOCAB, d)).astype(np.float32), 'emb'),
        numpy_helper.from_array(rng.standard_normal((d, 3 * d)).astype(np.float32) * 0.2, 'qkv_w'),
        numpy_helper.from_array(np.zeros(3 * d, np.float32), 'qkv_b'),
        numpy_helper.from_array(rng.standard_normal((d, VOCAB)).astype(np.float32), 'head'),
    ]
    nodes = [
        helper.make_node('Gather', ['emb', 'input_ids'], ['x'], name='embed'),
        helper.make_node('Attention', ['x', 'qkv_w', 'qkv_b'], ['y'], name='attn', domain='com.microsoft', num_heads=4, unidirectional=1),
        helper.make_node('MatMul', ['y', 'head'], ['logits'], name='lm_head'),
    ]
    g = helper.make_graph(nodes, 'fused', [helper.make_tensor_value_info('input_ids', TensorProto.INT64, ['batch', 'seq'])],
                          [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 'seq', VOCAB])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 14), helper.make_opsetid('com.microsoft', 1)])
    m.ir_version = 8
    os.makedirs(os.path.join(out, 'fused'), exist_ok=True)
    with open(os.path.join(out, 'fused', 'model.onnx'), 'wb') as f:
        f.write(m.SerializeToString())


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    if len(sys.argv) > 2 and sys.argv[2] == 'bench':
        build(out, 'bench', BENCH, 7)
        return
    for i, (name, c) in enumerate(CONFIGS.items()):
        build(out, name, c, 100 + i)
    fused(out)


if __name__ == '__main__':
    main()

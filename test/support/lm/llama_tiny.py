"""Tiny llama-architecture model written both as ONNX and as GGUF (F32), for the cross-runtime tests.

Random weights (seeded, no training), 2 layers, d=64, 4 query heads sharing 2 key/value heads (grouped-query
attention), SwiGLU MLP, RMSNorm, untied lm_head, and a byte-level BPE vocabulary (256 byte symbols + merges
learned from a few English sentences + <|endoftext|>). Writes into OUT_DIR:
  model.gguf              GGUF v3, general.architecture=llama, F32 tensors, gpt2 (byte-level BPE) vocabulary
  model.onnx              input_ids int64 [batch, seq] -> logits float32 [batch, seq, vocab]
  model-optimum.onnx      Hugging Face Optimum's decoder shape: input_ids, attention_mask, position_ids,
                          past_key_values.{i}.key/.value [batch, kv_heads, past_seq, head_dim] -> logits,
                          present.{i}.key/.value
  tokenizer.json          Hugging Face BPE tokenizer (ByteLevel pre-tokenizer and decoder); ids = GGUF token order
  tokenizer_config.json
  unknown-arch.gguf       the same file with general.architecture=llama-unknown (llama.cpp refuses it)
  prompts.json            20 prompts for the cross-runtime comparison

Rotary embeddings use llama.cpp's "NORM" convention (adjacent pairs (2i, 2i+1) rotated together), which is what
LLM_ARCH_LLAMA applies to Q and K, so the GGUF takes the torch weights unpermuted. (Hugging Face llama rotates
halves instead; convert_hf_to_gguf.py permutes Q/K rows to bridge that; we need no bridge.)

usage: python3 llama_tiny.py OUT_DIR
"""
import json
import os
import re
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

SEED = 20261208
N_LAYER, D_MODEL, N_HEAD, N_KV_HEAD, D_FF = 2, 64, 4, 2, 160
HEAD_DIM = D_MODEL // N_HEAD
CTX = 256
ROPE_BASE = 10000.0
EPS = 1e-5
N_MERGES = 40
EOT = '<|endoftext|>'

CORPUS = """the cat sat on the mat. the dog ate the bone. there is a tree in the garden and the sun is in the sky.
this is the house that they built. we went to the market and then to the station. in the morning the
birds sing; in the evening the river is quiet. she said that he would come to the theatre with them."""

PROMPTS = [
    'the cat sat on the', 'Hello, world!', 'in the morning', 'The quick brown fox jumps', 'they went to the market',
    'a b c d e f g', '1 + 2 = 3', 'the theatre is there', "it's a dog's life", 'naïve café über',
    'sing, birds, sing', 'x', 'the the the the', 'where is the station?', 'water in the river',
    '  two  spaces', 'tabs\tand\nnewlines', 'CAPITAL letters HERE', 'then she said: yes', 'emoji 🙂 ok',
]


def bytes_to_unicode():
    """GPT-2's printable stand-ins for the 256 byte values (the symbols byte-level BPE vocabularies use)."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def learn_merges(text, n):
    """Plain BPE training on the corpus's words (leading space kept, as the GPT-2 split does)."""
    b2u = bytes_to_unicode()
    words = {}
    for w in re.findall(r" ?[a-z]+| ?[^\sa-z]+", text):
        sym = tuple(b2u[b] for b in w.encode('utf-8'))
        words[sym] = words.get(sym, 0) + 1
    merges = []
    for _ in range(n):
        pairs = {}
        for sym, c in words.items():
            for a, b in zip(sym, sym[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])
        merges.append(best)
        new = {}
        for sym, c in words.items():
            out, i = [], 0
            while i < len(sym):
                if i + 1 < len(sym) and (sym[i], sym[i + 1]) == best:
                    out.append(sym[i] + sym[i + 1])
                    i += 2
                else:
                    out.append(sym[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return merges


def vocabulary():
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)]
    merges = learn_merges(CORPUS, N_MERGES)
    for a, b in merges:
        tokens.append(a + b)
    tokens.append(EOT)
    assert len(set(tokens)) == len(tokens)
    return tokens, merges


class RMSNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(D_MODEL))

    def forward(self, x):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + EPS) * self.weight


def rope(x, cos, sin):
    """llama.cpp NORM rope: pairs (2i, 2i+1) of each head rotate by position * base^(-2i/head_dim).
    x [B, H, T, D]; cos/sin [B or 1, 1, T, D/2]."""
    b, h, t, d = x.shape
    x = x.reshape(b, h, t, d // 2, 2)
    x0, x1 = x[..., 0], x[..., 1]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).reshape(b, h, t, d)


def linear(n_in, n_out, gain=1.0):
    lin = nn.Linear(n_in, n_out, bias=False)
    nn.init.normal_(lin.weight, std=gain / n_in ** 0.5)
    return lin


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn_norm = RMSNorm()
        self.q = linear(D_MODEL, N_HEAD * HEAD_DIM, 2.0)
        self.k = linear(D_MODEL, N_KV_HEAD * HEAD_DIM, 2.0)
        self.v = linear(D_MODEL, N_KV_HEAD * HEAD_DIM)
        self.o = linear(N_HEAD * HEAD_DIM, D_MODEL)
        self.ffn_norm = RMSNorm()
        self.gate = linear(D_MODEL, D_FF)
        self.up = linear(D_MODEL, D_FF)
        self.down = linear(D_FF, D_MODEL)

    def forward(self, x, cos, sin, mask, past=None):
        b, t, _ = x.shape
        h = self.attn_norm(x)
        q = rope(self.q(h).reshape(b, t, N_HEAD, HEAD_DIM).transpose(1, 2), cos, sin)
        k = rope(self.k(h).reshape(b, t, N_KV_HEAD, HEAD_DIM).transpose(1, 2), cos, sin)
        v = self.v(h).reshape(b, t, N_KV_HEAD, HEAD_DIM).transpose(1, 2)
        if past is not None:
            k = torch.cat((past[0], k), dim=2)
            v = torch.cat((past[1], v), dim=2)
        present = (k, v)
        rep = N_HEAD // N_KV_HEAD  # query head i reads key/value head i // rep, as llama.cpp broadcasts
        kk = k[:, :, None].expand(-1, -1, rep, -1, -1).reshape(b, N_HEAD, -1, HEAD_DIM)
        vv = v[:, :, None].expand(-1, -1, rep, -1, -1).reshape(b, N_HEAD, -1, HEAD_DIM)
        att = torch.softmax(q @ kk.transpose(-1, -2) * HEAD_DIM ** -0.5 + mask, dim=-1)  # [B, H, T, S]
        y = (att @ vv).transpose(1, 2).reshape(b, t, N_HEAD * HEAD_DIM)
        x = x + self.o(y)
        h = self.ffn_norm(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h)), present


class Llama(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, D_MODEL)
        self.layers = nn.ModuleList([Layer() for _ in range(N_LAYER)])
        self.norm = RMSNorm()
        self.lm_head = linear(D_MODEL, vocab_size, 4.0)
        inv = ROPE_BASE ** (-torch.arange(0, HEAD_DIM, 2, dtype=torch.float64) / HEAD_DIM)
        ang = torch.arange(CTX, dtype=torch.float64)[:, None] * inv[None, :]
        self.register_buffer('cos', torch.cos(ang).float())
        self.register_buffer('sin', torch.sin(ang).float())
        self.register_buffer('causal', torch.triu(torch.full((CTX, CTX), -1e9), diagonal=1))

    def forward(self, input_ids):
        t = input_ids.shape[1]
        cos, sin = self.cos[:t][None, None], self.sin[:t][None, None]
        mask = self.causal[:t, :t]
        x = self.embed(input_ids)
        for layer in self.layers:
            x, _ = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


class OptimumLlama(nn.Module):
    """Same weights, Optimum's decoder-with-past signature. The mask allows key j for query i when j is not in the
    future (j <= past + i) and attention_mask[b, j] is 1."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def forward(self, input_ids, attention_mask, position_ids, *past):
        m = self.base
        t = input_ids.shape[1]
        s = attention_mask.shape[1]
        cos = m.cos[position_ids][:, None]  # [B, 1, T, D/2]
        sin = m.sin[position_ids][:, None]
        past_len = s - t
        qpos = torch.arange(t)[:, None] + past_len
        kpos = torch.arange(s)[None, :]
        allowed = (kpos <= qpos)[None, None] & (attention_mask[:, None, None, :] > 0)
        mask = torch.where(allowed, torch.zeros(()), torch.full((), -1e9))
        x = m.embed(input_ids)
        presents = []
        for i, layer in enumerate(m.layers):
            x, pres = layer(x, cos, sin, mask, (past[2 * i], past[2 * i + 1]))
            presents += list(pres)
        return (m.lm_head(m.norm(x)), *presents)


# ---- GGUF v3 ----
GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 7, 8, 9
ALIGN = 32


def gguf_str(s):
    b = s.encode('utf-8')
    return struct.pack('<Q', len(b)) + b


def gguf_value(kind, v):
    if kind == GGUF_UINT32:
        return struct.pack('<I', v)
    if kind == GGUF_INT32:
        return struct.pack('<i', v)
    if kind == GGUF_FLOAT32:
        return struct.pack('<f', v)
    if kind == GGUF_BOOL:
        return struct.pack('<B', 1 if v else 0)
    if kind == GGUF_STRING:
        return gguf_str(v)
    raise ValueError(kind)


def write_gguf(path, kvs, tensors):
    """kvs: [(key, kind, value)] with arrays as (key, GGUF_ARRAY, (item_kind, [items])); tensors: [(name, f32 array)]
    with numpy's C order, so a torch [out, in] weight gets GGUF dims [in, out] (innermost first)."""
    out = bytearray(b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kvs)))
    for key, kind, v in kvs:
        out += gguf_str(key) + struct.pack('<I', kind)
        if kind == GGUF_ARRAY:
            item_kind, items = v
            out += struct.pack('<IQ', item_kind, len(items))
            for it in items:
                out += gguf_value(item_kind, it)
        else:
            out += gguf_value(kind, v)
    offset = 0
    blobs = []
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr, dtype='<f4')
        out += gguf_str(name) + struct.pack('<I', arr.ndim)
        for d in reversed(arr.shape):
            out += struct.pack('<Q', d)
        out += struct.pack('<IQ', 0, offset)  # type 0 = F32
        blobs.append((offset, arr.tobytes()))
        offset += (arr.nbytes + ALIGN - 1) // ALIGN * ALIGN
    out += b'\0' * (-len(out) % ALIGN)
    data_start = len(out)
    for off, blob in blobs:
        out += b'\0' * (data_start + off - len(out))
        out += blob
    with open(path, 'wb') as f:
        f.write(out)


def gguf_for(model, tokens, merges, arch):
    eot = tokens.index(EOT)
    kvs = [
        ('general.architecture', GGUF_STRING, arch),
        ('general.name', GGUF_STRING, 'tiny-llama-test'),
        ('general.file_type', GGUF_UINT32, 0),
        ('general.alignment', GGUF_UINT32, ALIGN),
        (f'{arch}.context_length', GGUF_UINT32, CTX),
        (f'{arch}.embedding_length', GGUF_UINT32, D_MODEL),
        (f'{arch}.block_count', GGUF_UINT32, N_LAYER),
        (f'{arch}.feed_forward_length', GGUF_UINT32, D_FF),
        (f'{arch}.attention.head_count', GGUF_UINT32, N_HEAD),
        (f'{arch}.attention.head_count_kv', GGUF_UINT32, N_KV_HEAD),
        (f'{arch}.rope.dimension_count', GGUF_UINT32, HEAD_DIM),
        (f'{arch}.rope.freq_base', GGUF_FLOAT32, ROPE_BASE),
        (f'{arch}.attention.layer_norm_rms_epsilon', GGUF_FLOAT32, EPS),
        (f'{arch}.vocab_size', GGUF_UINT32, len(tokens)),
        ('tokenizer.ggml.model', GGUF_STRING, 'gpt2'),
        ('tokenizer.ggml.pre', GGUF_STRING, 'gpt-2'),  # the GPT-2 split regex, as HF's ByteLevel(use_regex) uses
        ('tokenizer.ggml.tokens', GGUF_ARRAY, (GGUF_STRING, tokens)),
        ('tokenizer.ggml.token_type', GGUF_ARRAY, (GGUF_INT32, [3 if t == EOT else 1 for t in tokens])),
        ('tokenizer.ggml.merges', GGUF_ARRAY, (GGUF_STRING, [f'{a} {b}' for a, b in merges])),
        ('tokenizer.ggml.bos_token_id', GGUF_UINT32, eot),
        ('tokenizer.ggml.eos_token_id', GGUF_UINT32, eot),
        ('tokenizer.ggml.add_bos_token', GGUF_BOOL, False),
        ('tokenizer.ggml.add_eos_token', GGUF_BOOL, False),
    ]
    w = lambda p: p.detach().numpy()
    tensors = [('token_embd.weight', w(model.embed.weight))]
    for i, l in enumerate(model.layers):
        tensors += [
            (f'blk.{i}.attn_norm.weight', w(l.attn_norm.weight)), (f'blk.{i}.attn_q.weight', w(l.q.weight)),
            (f'blk.{i}.attn_k.weight', w(l.k.weight)), (f'blk.{i}.attn_v.weight', w(l.v.weight)),
            (f'blk.{i}.attn_output.weight', w(l.o.weight)), (f'blk.{i}.ffn_norm.weight', w(l.ffn_norm.weight)),
            (f'blk.{i}.ffn_gate.weight', w(l.gate.weight)), (f'blk.{i}.ffn_up.weight', w(l.up.weight)),
            (f'blk.{i}.ffn_down.weight', w(l.down.weight)),
        ]
    tensors += [('output_norm.weight', w(model.norm.weight)), ('output.weight', w(model.lm_head.weight))]
    return kvs, tensors


def tokenizer_json(tokens, merges):
    eot = tokens.index(EOT)
    byte_level = {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': eot, 'content': EOT, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True}],
        'normalizer': None, 'pre_tokenizer': byte_level, 'post_processor': None, 'decoder': byte_level,
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': None,
                  'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                  'vocab': {t: i for i, t in enumerate(tokens) if t != EOT} | {EOT: eot},
                  'merges': [f'{a} {b}' for a, b in merges]},
    }


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)  # more threads on a busy 2-core machine only wait on each other
    torch.manual_seed(SEED)
    tokens, merges = vocabulary()
    model = Llama(len(tokens)).eval()
    with torch.no_grad():
        model.embed.weight.normal_(0.0, 1.0)

    kvs, tensors = gguf_for(model, tokens, merges, 'llama')
    write_gguf(os.path.join(out, 'model.gguf'), kvs, tensors)
    kvs, tensors = gguf_for(model, tokens, merges, 'llama-unknown')
    write_gguf(os.path.join(out, 'unknown-arch.gguf'), kvs, tensors)

    with open(os.path.join(out, 'tokenizer.json'), 'w', encoding='utf-8') as f:
        json.dump(tokenizer_json(tokens, merges), f, ensure_ascii=False, indent=1)
    with open(os.path.join(out, 'tokenizer_config.json'), 'w') as f:
        json.dump({'tokenizer_class': 'GPT2TokenizerFast', 'bos_token': EOT, 'eos_token': EOT, 'unk_token': EOT,
                   'add_bos_token': False, 'model_max_length': CTX}, f, indent=1)

    dummy = torch.tensor([[1, 2, 3, 4, 5]])
    torch.onnx.export(model, (dummy,), os.path.join(out, 'model.onnx'), input_names=['input_ids'],
                      output_names=['logits'], opset_version=17,
                      dynamic_axes={'input_ids': {0: 'batch', 1: 'seq'}, 'logits': {0: 'batch', 1: 'seq'}})

    opt = OptimumLlama(model).eval()
    past = []
    names, dyn = ['input_ids', 'attention_mask', 'position_ids'], {
        'input_ids': {0: 'batch', 1: 'seq'}, 'attention_mask': {0: 'batch', 1: 'total_seq'},
        'position_ids': {0: 'batch', 1: 'seq'}, 'logits': {0: 'batch', 1: 'seq'}}
    outs = ['logits']
    for i in range(N_LAYER):
        for kv in ('key', 'value'):
            past.append(torch.zeros(1, N_KV_HEAD, 2, HEAD_DIM))
            names.append(f'past_key_values.{i}.{kv}')
            dyn[names[-1]] = {0: 'batch', 2: 'past_seq'}
            outs.append(f'present.{i}.{kv}')
            dyn[outs[-1]] = {0: 'batch', 2: 'total_seq'}
    args = (dummy, torch.ones(1, 7, dtype=torch.long), torch.arange(2, 7)[None], *past)
    torch.onnx.export(opt, args, os.path.join(out, 'model-optimum.onnx'), input_names=names, output_names=outs,
                      dynamic_axes=dyn, opset_version=17)

    # the Optimum-shaped wrapper with an empty past must give the plain model's logits
    g = torch.Generator().manual_seed(SEED)
    worst, top1 = 0.0, []
    with torch.no_grad():
        for t in (1, 5, 17):
            ids = torch.randint(0, len(tokens), (2, t), generator=g)
            empty = [torch.zeros(2, N_KV_HEAD, 0, HEAD_DIM)] * (2 * N_LAYER)
            plain = model(ids)
            lo = opt(ids, torch.ones(2, t, dtype=torch.long), torch.arange(t)[None].repeat(2, 1), *empty)[0]
            worst = max(worst, (lo - plain).abs().max().item())
            top1 += torch.softmax(plain[:, -1], -1).max(-1).values.tolist()
    assert worst < 1e-4, f'optimum wrapper disagrees with the plain model by {worst}'
    with open(os.path.join(out, 'prompts.json'), 'w', encoding='utf-8') as f:
        json.dump(PROMPTS, f, ensure_ascii=False, indent=1)
    print(f'vocab {len(tokens)}, {sum(p.numel() for p in model.parameters())} parameters; optimum vs plain '
          f'max |dlogit| {worst:.2e}; top-1 p {min(top1):.3f}..{max(top1):.3f}')


if __name__ == '__main__':
    main()

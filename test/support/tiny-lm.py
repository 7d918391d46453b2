"""A tiny causal language model for the UI tests (Run prompt view, Explain token heat map, e2e).

One embedding (+ learned positions), two single-head causal self-attention blocks written out (MatMul, Softmax,
additive mask; recall needs two: one moves each colour onto the value after it, one finds the queried colour) and an lm_head, trained for a few seconds on a toy recall task so its predictions mean something:
`red is 3 . blue is 5 . blue is` -> `5` (the value bound to the queried colour). Writes into OUT_DIR:
  model.onnx       input_ids int64 [batch, seq] -> logits float32 [batch, seq, vocab]
  tokenizer.json   Hugging Face WordLevel tokenizer (WhitespaceSplit pre-tokenizer: `red=3` stays one token), ids = model ids

usage: /usr/bin/python3 tiny-lm.py OUT_DIR   (Debian's python3 with python3-torch)
"""
import json
import os
import random
import sys

import torch
import torch.nn as nn

torch.manual_seed(7)
random.seed(7)

SPECIALS = ['<pad>', '<unk>']
COLOURS = ['red', 'blue', 'green', 'black', 'white', 'pink']
VALUES = [str(v) for v in range(10)]
PAIRS = [f'{c}={v}' for c in COLOURS for v in VALUES]
WORDS = [';'] + COLOURS + VALUES + PAIRS
VOCAB = SPECIALS + WORDS
ID = {w: i for i, w in enumerate(VOCAB)}
MAX_LEN = 32
D = 48


def sample():
    """`c1=v1 c2=v2 c3=v3 ; cq` and the answer vq."""
    colours = random.sample(COLOURS, random.choice([2, 3, 4]))
    values = [random.choice(VALUES) for _ in colours]
    words = [f'{c}={v}' for c, v in zip(colours, values)]
    q = random.randrange(len(colours))
    words += [';', colours[q], values[q]]
    return [ID[w] for w in words]


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(len(VOCAB), D)
        self.pos = nn.Parameter(torch.randn(MAX_LEN, D) * 0.1)
        self.blocks = nn.ModuleList([nn.ModuleDict({
            'q': nn.Linear(D, D), 'k': nn.Linear(D, D), 'v': nn.Linear(D, D), 'o': nn.Linear(D, D),
            'ff': nn.Sequential(nn.Linear(D, 2 * D), nn.ReLU(), nn.Linear(2 * D, D)),
        }) for _ in range(1)])
        self.head = nn.Linear(D, len(VOCAB))
        self.register_buffer('mask', torch.triu(torch.full((MAX_LEN, MAX_LEN), -1e9), diagonal=1))

    def forward(self, input_ids):
        t = input_ids.shape[1]
        x = self.emb(input_ids) + self.pos[:t]
        for b in self.blocks:
            scores = torch.matmul(b['q'](x), b['k'](x).transpose(1, 2)) * (D ** -0.5) + self.mask[:t, :t]
            x = x + b['o'](torch.matmul(torch.softmax(scores, dim=-1), b['v'](x)))
            x = x + b['ff'](x)
        return self.head(x)


def main(out):
    os.makedirs(out, exist_ok=True)
    model = TinyLM()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(400):
        batch = [sample() for _ in range(64)]
        # prompts differ in length: one at a time. The answer counts most; the other positions too, so the Run tab's
        # surprise map has something to show (`;` after the bindings, a bound colour after `;` are partly predictable)
        loss = 0
        for b in batch:
            logits = model(torch.tensor([b[:-1]]))[0]
            target = torch.tensor(b[1:])
            loss = loss + nn.functional.cross_entropy(logits[-1:], target[-1:]) + 0.3 * nn.functional.cross_entropy(logits[:-1], target[:-1])
        loss = loss / len(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        test = [sample() for _ in range(500)]
        acc = sum(int(model(torch.tensor([b[:-1]]))[0, -1].argmax().item() == b[-1]) for b in test) / len(test)
    print(f'loss {loss.item():.3f}, recall accuracy on 500 fresh prompts {acc:.3f}')
    torch.onnx.export(model, torch.tensor([sample()[:-1]]), os.path.join(out, 'model.onnx'),
                      input_names=['input_ids'], output_names=['logits'], opset_version=14,
                      dynamic_axes={'input_ids': {0: 'batch', 1: 'seq'}, 'logits': {0: 'batch', 1: 'seq'}})
    tokenizer = {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': ID[s], 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True} for s in SPECIALS],
        'normalizer': None, 'pre_tokenizer': {'type': 'WhitespaceSplit'}, 'post_processor': None, 'decoder': None,
        'model': {'type': 'WordLevel', 'vocab': ID, 'unk_token': '<unk>'},
    }
    with open(os.path.join(out, 'tokenizer.json'), 'w') as f:
        json.dump(tokenizer, f)


if __name__ == '__main__':
    main(sys.argv[1])

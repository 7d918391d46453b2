"""Exports small PyTorch models the way users get ONNX files: torch.onnx.export with dynamic batch/sequence axes.

Usage: python3 torch-export.py <out-dir> [bert|resnet|vit ...]. Random weights (fixed seed); no downloads.
The graph tests read these to check folding of Constant/Identity nodes, shape plumbing and edge shapes on real
exporter output. 'resnet' and 'vit' are small modules built like torchvision's ResNet-50 and ViT-B/16 (fast enough for
tests); 'resnet50' and 'vit_b_16' are torchvision's own (needs python3-torchvision; used for screenshots).
"""
import math
import os
import sys

import torch
from torch import nn


class BertSelfAttention(nn.Module):
    # Written as Hugging Face's BertSelfAttention is: sizes read from x.size() at run time, which the exporter
    # turns into Shape -> Gather -> Unsqueeze -> Concat -> Reshape plumbing.
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.head_size = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(0.1)

    def split(self, x):
        new_shape = x.size()[:-1] + (self.heads, self.head_size)
        return x.view(new_shape).permute(0, 2, 1, 3)

    def forward(self, h, mask):
        q = self.split(self.query(h))
        k = self.split(self.key(h))
        v = self.split(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        scores = scores + mask
        probs = self.dropout(nn.functional.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.heads * self.head_size,))


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, inter):
        super().__init__()
        self.attention = BertSelfAttention(hidden, heads)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden)
        self.intermediate = nn.Linear(hidden, inter)
        self.output = nn.Linear(inter, hidden)
        self.out_norm = nn.LayerNorm(hidden)

    def forward(self, h, mask):
        a = self.attn_norm(h + self.attn_out(self.attention(h, mask)))
        return self.out_norm(a + self.output(nn.functional.gelu(self.intermediate(a))))


class TinyBert(nn.Module):
    def __init__(self, vocab=100, hidden=32, heads=4, inter=64, layers=2, max_pos=64):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_pos, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.layer = nn.ModuleList([BertLayer(hidden, heads, inter) for _ in range(layers)])
        self.pooler = nn.Linear(hidden, hidden)
        self.register_buffer('position_ids', torch.arange(max_pos).expand((1, -1)))

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(1)
        pos = self.position_ids[:, :seq]
        h = self.norm(self.word(input_ids) + self.position(pos) + self.token_type(torch.zeros_like(input_ids)))
        mask = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * -10000.0
        for layer in self.layer:
            h = layer(h, mask)
        return h, torch.tanh(self.pooler(h[:, 0]))


class Bottleneck(nn.Module):
    def __init__(self, cin, mid, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, mid * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid * 4)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != mid * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, mid * 4, 1, stride, bias=False), nn.BatchNorm2d(mid * 4))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + (self.downsample(x) if self.downsample is not None else x))


class SmallResNet(nn.Module):
    """ResNet-50's structure (stem, four stages of bottlenecks, pool, fc) at a small width and depth."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], 8
        for i, (mid, blocks) in enumerate([(4, 2), (8, 2), (16, 2), (32, 2)]):
            stage = [Bottleneck(cin, mid, 1 if i == 0 else 2)] + [Bottleneck(mid * 4, mid, 1) for _ in range(blocks - 1)]
            cin = mid * 4
            layers.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class VitBlock(nn.Module):
    # torchvision's EncoderBlock: pre-norm nn.MultiheadAttention and an MLP, each with a residual.
    def __init__(self, hidden, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(hidden)
        self.self_attention = nn.MultiheadAttention(hidden, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, hidden * 2), nn.GELU(), nn.Linear(hidden * 2, hidden))

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class SmallViT(nn.Module):
    """ViT-B/16's structure (patch conv, class token, position embedding, pre-norm encoder blocks, head) at a small size."""

    def __init__(self, image=32, patch=8, hidden=32, heads=4, layers=2):
        super().__init__()
        self.conv_proj = nn.Conv2d(3, hidden, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, hidden))
        self.pos_embedding = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, hidden) * 0.02)
        self.encoder = nn.Sequential(*[VitBlock(hidden, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, 10)
        self.hidden = hidden

    def forward(self, x):
        n = x.shape[0]
        x = self.conv_proj(x).reshape(n, self.hidden, -1).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1) + self.pos_embedding
        return self.head(self.ln(self.encoder(x))[:, 0])


def export(name, out):
    torch.manual_seed(0)
    path = os.path.join(out, f'{name}.onnx')
    if name == 'bert':
        model = TinyBert().eval()
        args = (torch.randint(0, 100, (1, 16)), torch.ones(1, 16, dtype=torch.int64))
        names, outs = ['input_ids', 'attention_mask'], ['last_hidden_state', 'pooler_output']
        axes = {'input_ids': {0: 'batch', 1: 'seq'}, 'attention_mask': {0: 'batch', 1: 'seq'}, 'last_hidden_state': {0: 'batch', 1: 'seq'}, 'pooler_output': {0: 'batch'}}
    else:
        if name in ('resnet50', 'vit_b_16'):
            import torchvision  # Debian's python3-torchvision; random weights, nothing downloaded
            model = getattr(torchvision.models, name)().eval()
            size = 224
        else:
            model = (SmallResNet() if name == 'resnet' else SmallViT()).eval()
            size = 64 if name == 'resnet' else 32
        args = (torch.randn(1, 3, size, size),)
        names, outs = ['input'], ['logits']
        axes = {'input': {0: 'batch'}, 'logits': {0: 'batch'}}
    # Not under no_grad: PyTorch's fused attention fast path (taken without autograd) has no ONNX export.
    torch.onnx.export(model, args, path, input_names=names, output_names=outs, dynamic_axes=axes, opset_version=14, do_constant_folding=True)
    print(path)


if __name__ == '__main__':
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for which in sys.argv[2:] or ['bert', 'resnet', 'vit']:
        export(which, out_dir)

"""PyTorch twin of `attnlab bench`: the same reference model (facts file, section 7), timed the
same way (forward, backward, global-norm clipping, AdamW on random byte tokens, fp32, CPU).

    python3 bench/pytorch_reference.py [--kinds mha,gqa,mqa,mla] [--steps 5] [--threads 2] [--compile]

Run it right after `attnlab bench` on the same machine to compare side by side. Needs torch
(pip install torch); AttnLab itself never needs Python.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, base=10000.0):
    # half-split convention over the last axis of x [B, H, T, D]
    t, d = x.shape[-2], x.shape[-1]
    freq = base ** (-torch.arange(0, d // 2, dtype=torch.float32) * 2 / d)
    ang = torch.arange(t, dtype=torch.float32)[:, None] * freq[None, :]
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class GQA(nn.Module):
    def __init__(self, d, heads, kv_heads):
        super().__init__()
        self.h, self.kv, self.dh = heads, kv_heads, d // heads
        self.q = nn.Linear(d, heads * self.dh, bias=False)
        self.k = nn.Linear(d, kv_heads * self.dh, bias=False)
        self.v = nn.Linear(d, kv_heads * self.dh, bias=False)
        self.o = nn.Linear(heads * self.dh, d, bias=False)

    def forward(self, x):
        b, t, _ = x.shape
        q = rope(self.q(x).view(b, t, self.h, self.dh).transpose(1, 2))
        k = rope(self.k(x).view(b, t, self.kv, self.dh).transpose(1, 2))
        v = self.v(x).view(b, t, self.kv, self.dh).transpose(1, 2)
        if self.kv != self.h:
            k = k.repeat_interleave(self.h // self.kv, dim=1)
            v = v.repeat_interleave(self.h // self.kv, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o(y.transpose(1, 2).reshape(b, t, -1))


class MLA(nn.Module):
    """DeepSeek-V2 MLA, train-only linear query bottleneck, as AttnLab trains it."""

    def __init__(self, d, heads, q_rank=128, kv_rank=64, nope=32, rope_dim=16, v_dim=32):
        super().__init__()
        self.h, self.c, self.nope, self.r, self.vd = heads, kv_rank, nope, rope_dim, v_dim
        self.q_a = nn.Linear(d, q_rank, bias=False)
        self.q_b = nn.Linear(q_rank, heads * (nope + rope_dim), bias=False)
        self.kv_a = nn.Linear(d, kv_rank + rope_dim, bias=False)
        self.kv_norm = RMSNorm(kv_rank)
        self.kv_b = nn.Linear(kv_rank, heads * (nope + v_dim), bias=False)
        self.o = nn.Linear(heads * v_dim, d, bias=False)

    def forward(self, x):
        b, t, _ = x.shape
        q = self.q_b(self.q_a(x)).view(b, t, self.h, self.nope + self.r).transpose(1, 2)
        q = torch.cat([q[..., : self.nope], rope(q[..., self.nope:])], dim=-1)
        c, kr = self.kv_a(x).split([self.c, self.r], dim=-1)
        kv = self.kv_b(self.kv_norm(c)).view(b, t, self.h, self.nope + self.vd).transpose(1, 2)
        k_nope, v = kv.split([self.nope, self.vd], dim=-1)
        kr = rope(kr.view(b, 1, t, self.r)).expand(b, self.h, t, self.r)
        k = torch.cat([k_nope, kr], dim=-1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1 / math.sqrt(self.nope + self.r))
        return self.o(y.transpose(1, 2).reshape(b, t, -1))


class Block(nn.Module):
    def __init__(self, d, heads, hidden, kind):
        super().__init__()
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.attn = MLA(d, heads) if kind == "mla" else GQA(d, heads, {"mha": heads, "gqa": 2, "mqa": 1}[kind])
        self.gate = nn.Linear(d, hidden, bias=False)
        self.up = nn.Linear(d, hidden, bias=False)
        self.down = nn.Linear(hidden, d, bias=False)

    def forward(self, x):
        x = x + self.attn(self.n1(x))
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class LM(nn.Module):
    def __init__(self, kind, vocab=256, d=256, layers=4, heads=8, hidden=683):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(Block(d, heads, hidden, kind) for _ in range(layers))
        self.norm = RMSNorm(d)

    def forward(self, ids, targets):
        x = self.emb(ids)
        for blk in self.blocks:
            x = blk(x)
        logits = self.norm(x) @ self.emb.weight.T
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kinds", default="mha,gqa,mqa,mla")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--compile", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads{', torch.compile' if a.compile else ', eager'}")
    print("variant  params      tokens/s   step s (median)")
    for kind in a.kinds.split(","):
        model = LM(kind)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
        step_fn = torch.compile(model) if a.compile else model
        ids = torch.randint(0, 256, (a.batch, a.seq_len))
        tgt = torch.randint(0, 256, (a.batch, a.seq_len))
        times = []
        for i in range(2 + a.steps):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = step_fn(ids, tgt)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if i >= 2:
                times.append(time.perf_counter() - t0)
        n = sum(p.numel() for p in model.parameters())
        tps = a.batch * a.seq_len * len(times) / sum(times)
        print(f"{kind:<8} {n:<11d} {tps:<10.0f} {sorted(times)[len(times) // 2]:.3f}")


if __name__ == "__main__":
    main()

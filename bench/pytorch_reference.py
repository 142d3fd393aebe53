"""PyTorch twin of AttnLab's models, built from the `model_config` object of an `attnlab bench
--json` row (the row's resolved model config, `ModelConfig.resolved`), and its training-step and
cached-decoding timers. `bench/side_by_side.py` runs it beside `attnlab bench`; on its own:

    python3 bench/pytorch_reference.py BENCH.json [--steps 5] [--compile]

times every row of an `attnlab bench --json` file in PyTorch (eager, or torch.compile) and prints
the parameter counts of both sides. Needs torch (`pip install torch`); AttnLab never needs Python.

The twin is the same model as AttnLab's at every config (Sources/AttnLab/Model/DecoderLM.swift and
Sources/AttnLab/Attention/): pre-norm blocks x + attn(norm(x)), then + SwiGLU(norm(.)); RMSNorm
x / sqrt(mean(x^2) + eps) * w with `norm_eps` (latent norms: `latent_norm_eps`); bias-free
projections in PyTorch's [out, in] layout under AttnLab's parameter names (so an AttnLab
checkpoint loads with `load_state_dict(strict=True)`); RoPE in `rope_style` on the slice each
variant rotates, frequencies base^(-2i/width) over that slice's width; the LM head tied to the
embedding unless `tie_embeddings` is false; mean cross-entropy.
  mha/gqa/mqa: q/k/v/o_proj, RoPE on whole heads, scale 1/sqrt(head_dim), query head h reads
    KV head h // (n_heads / n_kv_heads).
  mla/gla: DeepSeek's query path (dense q_proj when q_lora_rank is 0; else q_a_proj ->
    [q_a_layernorm when query_compression = "always"] -> q_b_proj), RoPE on the last
    qk_rope_head_dim of each query head; kv_a_proj_with_mqa -> latent c_KV (d_c) + one shared
    roped key (d_R); GLA splits c_KV into n_latent_heads slices with their own norm
    (kv_a_layernorm.i) and up-projection (kv_b_proj.i) serving contiguous query heads (MLA: one,
    named kv_a_layernorm / kv_b_proj); keys [k_nope ; shared roped key]; scale
    1/sqrt(qk_nope_head_dim + qk_rope_head_dim).
  gta: q_proj roped on the last rope_dim channels of each head; kv_proj tied state (value, and
    its first head_dim - rope_dim channels the key's no-RoPE part); k_rope_proj one shared roped
    key; scale 1/sqrt(head_dim).
Decoding keeps a KV cache as AttnLab's does: K and V (mha/gqa/mqa), the tied states and the roped
key (gta), the normalised latents and the roped key (mla/gla), decompressed every step (`naive`)
or with W_UK absorbed into the queries and W_UV into o_proj (`absorbed`); a train-only query
bottleneck is folded into one dense W_Q for decoding, as AttnLab folds it.
"""
import argparse
import json
import math
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("bench/pytorch_reference.py needs PyTorch: pip install torch")


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


class RMSNorm(nn.Module):
    def __init__(self, width, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.eps = eps

    def forward(self, x):
        return rms_norm(x, self.weight, self.eps)


def linear(d_in, d_out):
    return nn.Linear(d_in, d_out, bias=False)


class Rotary:
    """RoPE tables (cos, sin [positions, width/2], computed in float64 like AttnLab's) and the
    rotation of x[..., start:start+width] of x [..., T, D] at positions offset ..< offset + T."""

    def __init__(self, width, positions, base, style):
        self.width, self.style = width, style
        half = width // 2
        freq = torch.tensor([base ** (-2 * i / width) for i in range(half)], dtype=torch.float64)
        angle = torch.arange(positions, dtype=torch.float64)[:, None] * freq[None, :]
        self.cos, self.sin = angle.cos().float(), angle.sin().float()

    def __call__(self, x, offset=0, start=None):
        t, d = x.shape[-2], x.shape[-1]
        w, half = self.width, self.width // 2
        start = d - w if start is None else start
        cos, sin = self.cos[offset:offset + t], self.sin[offset:offset + t]
        part = x[..., start:start + w]
        if self.style == "half":
            a, b = part[..., :half], part[..., half:]
            rotated = torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
        else:  # interleaved: pairs (2i, 2i + 1)
            a, b = part[..., 0::2], part[..., 1::2]
            rotated = torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)
        pieces = [x[..., :start], rotated, x[..., start + w:]]
        return torch.cat([p for p in pieces if p.shape[-1] > 0], dim=-1)


def split_heads(x, heads):
    b, t, _ = x.shape
    return x.view(b, t, heads, -1).transpose(1, 2)


def merge_heads(x):
    b, h, t, d = x.shape
    return x.transpose(1, 2).reshape(b, t, h * d)


def causal_mask(t, total, device=None):
    """Boolean [t, total]: new token i (at position total - t + i) sees positions <= its own."""
    offset = total - t
    return torch.arange(total)[None, :] <= (torch.arange(t)[:, None] + offset)


def attend(q, k, v, scale, offset):
    """Causal attention of q [B, H, t, .] at positions offset ..< over k, v [B, Hkv, offset + t, .]
    (query head h reads KV head h // (H / Hkv))."""
    gqa = q.shape[1] != k.shape[1]
    if offset == 0:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale, enable_gqa=gqa)
    if q.shape[2] == 1:  # one new token sees the whole cache
        return F.scaled_dot_product_attention(q, k, v, scale=scale, enable_gqa=gqa)
    mask = causal_mask(q.shape[2], k.shape[2])
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=gqa)


class Cache:
    """One layer's KV cache: named streams [B, groups, capacity, width] and the filled length."""

    def __init__(self):
        self.streams, self.length = {}, 0

    def append(self, capacity, **new):
        t = next(iter(new.values())).shape[2]
        for name, x in new.items():
            if name not in self.streams:
                b, g, _, w = x.shape
                self.streams[name] = x.new_zeros(b, g, capacity, w)
            self.streams[name][:, :, self.length:self.length + t] = x
        self.length += t
        return {name: s[:, :, :self.length] for name, s in self.streams.items()}


class GroupedQuery(nn.Module):
    def __init__(self, c, rotary):
        super().__init__()
        a, d = c["attention"], c["d_model"]
        self.h, self.kv, self.dh = a["n_heads"], a["n_kv_heads"], a["head_dim"]
        self.q_proj, self.k_proj = linear(d, self.h * self.dh), linear(d, self.kv * self.dh)
        self.v_proj, self.o_proj = linear(d, self.kv * self.dh), linear(self.h * self.dh, d)
        self.rotary, self.scale = rotary, 1 / math.sqrt(self.dh)

    def forward(self, x, cache=None, capacity=0):
        offset = cache.length if cache is not None else 0
        q = self.rotary(split_heads(self.q_proj(x), self.h), offset)
        k = self.rotary(split_heads(self.k_proj(x), self.kv), offset)
        v = split_heads(self.v_proj(x), self.kv)
        if cache is not None:
            s = cache.append(capacity, k=k, v=v)
            k, v = s["k"], s["v"]
        return self.o_proj(merge_heads(attend(q, k, v, self.scale, offset)))


class GroupedTied(nn.Module):
    def __init__(self, c, rotary):
        super().__init__()
        a, d = c["attention"], c["d_model"]
        self.h, self.kv, self.dh, self.dr = a["n_heads"], a["n_kv_heads"], a["head_dim"], a["rope_dim"]
        self.q_proj, self.kv_proj = linear(d, self.h * self.dh), linear(d, self.kv * self.dh)
        self.k_rope_proj, self.o_proj = linear(d, self.dr), linear(self.h * self.dh, d)
        self.rotary, self.scale = rotary, 1 / math.sqrt(self.dh)

    def forward(self, x, cache=None, capacity=0):
        b, t, _ = x.shape
        offset = cache.length if cache is not None else 0
        q = self.rotary(split_heads(self.q_proj(x), self.h), offset)
        tied = split_heads(self.kv_proj(x), self.kv)
        rope_key = self.rotary(self.k_rope_proj(x).view(b, 1, t, self.dr), offset)
        if cache is not None:
            s = cache.append(capacity, tied=tied, rope_key=rope_key)
            tied, rope_key = s["tied"], s["rope_key"]
        k = torch.cat([tied[..., :self.dh - self.dr], rope_key.expand(-1, self.kv, -1, -1)], dim=-1)
        return self.o_proj(merge_heads(attend(q, k, tied, self.scale, offset)))


class Latent(nn.Module):
    """MLA (one latent head, parameter names kv_a_layernorm / kv_b_proj) and GLA."""

    def __init__(self, c, rotary, grouped):
        super().__init__()
        a, d = c["attention"], c["d_model"]
        self.h, self.dc, self.nope = a["n_heads"], a["kv_lora_rank"], a["qk_nope_head_dim"]
        self.dr, self.dv, self.qr = a["qk_rope_head_dim"], a["v_head_dim"], a["q_lora_rank"]
        self.hc = a["n_latent_heads"] if grouped else 1
        self.w, self.grouped = self.dc // self.hc, grouped
        q_out, eps = self.h * (self.nope + self.dr), a["latent_norm_eps"]
        if self.qr > 0:
            self.q_a_proj = linear(d, self.qr)
            if a["query_compression"] == "always":
                self.q_a_layernorm = RMSNorm(self.qr, eps)
            self.q_b_proj = linear(self.qr, q_out)
        else:
            self.q_proj = linear(d, q_out)
        self.kv_a_proj_with_mqa = linear(d, self.dc + self.dr)
        served = self.h // self.hc * (self.nope + self.dv)
        if grouped:
            self.kv_a_layernorm = nn.ModuleList(RMSNorm(self.w, eps) for _ in range(self.hc))
            self.kv_b_proj = nn.ModuleList(linear(self.w, served) for _ in range(self.hc))
        else:
            self.kv_a_layernorm, self.kv_b_proj = RMSNorm(self.dc, eps), linear(self.dc, served)
        self.o_proj = linear(self.h * self.dv, d)
        self.rotary, self.scale = rotary, 1 / math.sqrt(self.nope + self.dr)
        self.mode, self.inference = "absorbed", None

    def norms(self):
        return list(self.kv_a_layernorm) if self.grouped else [self.kv_a_layernorm]

    def ups(self):
        return list(self.kv_b_proj) if self.grouped else [self.kv_b_proj]

    def query_input(self, x):
        if hasattr(self, "q_a_layernorm"):
            return self.q_a_layernorm(self.q_a_proj(x))
        return x

    def queries(self, x, offset, dense=None):
        if dense is not None:
            flat = self.query_input(x) @ dense.T
        elif self.qr > 0:
            flat = self.q_b_proj(self.query_input(x) if hasattr(self, "q_a_layernorm") else self.q_a_proj(x))
        else:
            flat = self.q_proj(x)
        return self.rotary(split_heads(flat, self.h), offset)

    def latent_and_rope_key(self, x, offset):
        """Normalised latent heads [B, h_c, T, w] and the roped shared key [B, 1, T, d_R]."""
        b, t, _ = x.shape
        c, kr = self.kv_a_proj_with_mqa(x).split([self.dc, self.dr], dim=-1)
        heads = [norm(part) for norm, part in zip(self.norms(), c.split(self.w, dim=-1))]
        latent = split_heads(torch.cat(heads, dim=-1), self.hc)
        return latent, self.rotary(kr.view(b, 1, t, self.dr), offset)

    def expand(self, latent):
        """[B, h_c, S, w] -> k_nope [B, H, S, d_nope], v [B, H, S, d_v]."""
        parts = merge_heads(latent).split(self.w, dim=-1)
        kv = split_heads(torch.cat([up(p) for up, p in zip(self.ups(), parts)], dim=-1), self.h)
        return kv.split([self.nope, self.dv], dim=-1)

    def prepare(self, mode):
        """Inference weights: the dense query weight (train-only bottleneck folded) and, for
        `absorbed`, W_UK absorbed per query head into the query and W_UV into o_proj."""
        self.mode = mode
        with torch.no_grad():
            if self.qr == 0:
                dense = self.q_proj.weight
            elif hasattr(self, "q_a_layernorm"):
                dense = self.q_b_proj.weight
            else:
                dense = self.q_b_proj.weight @ self.q_a_proj.weight
            per, rows = self.h // self.hc, self.nope + self.dv
            # up[h]: query head h's rows of its latent head's up-projection, [d_nope + d_v, w]
            up = torch.stack([self.ups()[h // per].weight[(h % per) * rows:(h % per + 1) * rows] for h in range(self.h)])
            dq = dense.view(self.h, self.nope + self.dr, -1)
            latent_q = up[:, :self.nope].transpose(1, 2) @ dq[:, :self.nope]          # [H, w, du]
            rope_q = dq[:, self.nope:].reshape(self.h * self.dr, -1)                 # [H d_R, du]
            wo = self.o_proj.weight.view(-1, self.h, self.dv).transpose(0, 1)         # [H, d, d_v]
            latent_o = (wo @ up[:, self.nope:]).transpose(0, 1).reshape(-1, self.h * self.w)  # [d, H w]
        self.inference = dict(dense=dense, latent_q=latent_q.reshape(self.h * self.w, -1), rope_q=rope_q, latent_o=latent_o)

    def forward(self, x, cache=None, capacity=0):
        if cache is None:
            q = self.queries(x, 0)
            latent, rope_key = self.latent_and_rope_key(x, 0)
            k_nope, v = self.expand(latent)
            k = torch.cat([k_nope, rope_key.expand(-1, self.h, -1, -1)], dim=-1)
            return self.o_proj(merge_heads(attend(q, k, v, self.scale, 0)))
        b, t, _ = x.shape
        offset, inf = cache.length, self.inference
        latent, rope_key = self.latent_and_rope_key(x, offset)
        s = cache.append(capacity, latent=latent, rope_key=rope_key)
        latents, rope_keys = s["latent"], s["rope_key"]
        if self.mode == "naive":
            q = self.queries(x, offset, dense=inf["dense"])
            k_nope, v = self.expand(latents)
            k = torch.cat([k_nope, rope_keys.expand(-1, self.h, -1, -1)], dim=-1)
            return self.o_proj(merge_heads(attend(q, k, v, self.scale, offset)))
        u = self.query_input(x)
        q_latent = split_heads(u @ inf["latent_q"].T, self.h)                        # [B, H, t, w]
        q_rope = self.rotary(split_heads(u @ inf["rope_q"].T, self.h), offset)      # [B, H, t, d_R]
        per, total = self.h // self.hc, offset + t
        scores = (q_latent.reshape(b, self.hc, per * t, self.w) @ latents.transpose(2, 3)).view(b, self.h, t, total)
        scores = (scores + q_rope @ rope_keys.transpose(2, 3)) * self.scale
        if t > 1:
            scores = scores.masked_fill(~causal_mask(t, total), float("-inf"))
        p = scores.softmax(dim=-1).view(b, self.hc, per * t, total)
        o = (p @ latents).view(b, self.h, t, self.w)
        return merge_heads(o) @ inf["latent_o"].T


class Block(nn.Module):
    def __init__(self, c, rotary):
        super().__init__()
        d, kind = c["d_model"], c["attention"]["kind"]
        self.input_layernorm = RMSNorm(d, c["norm_eps"])
        if kind in ("mha", "gqa", "mqa"):
            self.self_attn = GroupedQuery(c, rotary)
        elif kind == "gta":
            self.self_attn = GroupedTied(c, rotary)
        elif kind in ("mla", "gla"):
            self.self_attn = Latent(c, rotary, grouped=kind == "gla")
        else:
            raise ValueError(f"model_config.attention.kind: expected mha, gqa, mqa, mla, gta or gla, found {kind!r}")
        self.post_attention_layernorm = RMSNorm(d, c["norm_eps"])
        self.mlp = nn.Module()
        self.mlp.gate_proj, self.mlp.up_proj = linear(d, c["mlp_hidden"]), linear(d, c["mlp_hidden"])
        self.mlp.down_proj = linear(c["mlp_hidden"], d)

    def forward(self, x, cache=None, capacity=0):
        h = x + self.self_attn(self.input_layernorm(x), cache, capacity)
        n = self.post_attention_layernorm(h)
        return h + self.mlp.down_proj(F.silu(self.mlp.gate_proj(n)) * self.mlp.up_proj(n))


def rope_width(c):
    a = c["attention"]
    return {"gta": a["rope_dim"], "mla": a["qk_rope_head_dim"], "gla": a["qk_rope_head_dim"]}.get(a["kind"], a["head_dim"])


class TwinLM(nn.Module):
    """AttnLab's DecoderLM from a `model_config` dict (an `attnlab bench --json` row's)."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.rotary = Rotary(rope_width(c), c["max_seq_len"], c["rope_base"], c["rope_style"])
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["d_model"])
        self.layers = nn.ModuleList(Block(c, self.rotary) for _ in range(c["n_layers"]))
        self.norm = RMSNorm(c["d_model"], c["norm_eps"])
        if not c["tie_embeddings"]:
            self.lm_head = linear(c["d_model"], c["vocab_size"])
        std = 0.02
        for name, p in self.named_parameters():  # AttnLab's GPT-2 init (values do not affect speed)
            if p.dim() == 2:
                nn.init.normal_(p, std=std / math.sqrt(2 * c["n_layers"]) if name.endswith(("o_proj.weight", "down_proj.weight")) else std)

    def logits(self, ids, caches=None, capacity=0):
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, caches[i] if caches is not None else None, capacity)
        head = self.lm_head.weight if hasattr(self, "lm_head") else self.embed_tokens.weight
        return self.norm(x) @ head.T

    def forward(self, ids, targets):
        logits = self.logits(ids)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    def prepare_decoding(self, mode):
        for layer in self.layers:
            if isinstance(layer.self_attn, Latent):
                layer.self_attn.prepare(mode)


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def build_twin(row, parameters_key="parameters"):
    """The twin of a bench row; exits naming the row when its parameter count differs from
    AttnLab's (the row's `parameters`, when present)."""
    model = TwinLM(row["model_config"])
    n = parameter_count(model)
    expected = row.get(parameters_key)
    if expected is not None and n != expected:
        sys.exit(f"twin of {row.get('run', row.get('model'))}: {n} parameters, AttnLab's model has {expected}; "
                 f"the twin is not the same model (model_config {json.dumps(row['model_config'])})")
    return model


class TrainingTimer:
    """The training step of `attnlab bench` for one row, in PyTorch: zero the gradients,
    grad_accum micro-batches of forward and backward, global-norm clipping, AdamW; fp32, random
    token ids. Eager or torch.compile (compiled on the warm-up steps)."""

    def __init__(self, row, compiled, seed=1):
        torch.manual_seed(seed)
        self.model = build_twin(row)
        self.row = row
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        rest = [p for p in self.model.parameters() if p.dim() < 2]
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                                     lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
        if compiled:
            # A fresh compile per row: dynamo's cache of earlier rows' models would otherwise
            # reach its recompile limit and silently run later rows eagerly.
            torch._dynamo.reset()
        self.forward = torch.compile(self.model) if compiled else self.model
        vocab = row["model_config"]["vocab_size"]
        shape = (row["batch_size"], row["seq_len"])
        self.ids, self.targets = torch.randint(0, vocab, shape), torch.randint(0, vocab, shape)
        self.warm = False

    def step(self):
        t0 = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        accum = self.row["grad_accum"]
        for _ in range(accum):
            loss = self.forward(self.ids, self.targets)
            (loss / accum if accum > 1 else loss).backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        return time.perf_counter() - t0

    def time_steps(self, steps, warmup=2):
        """Seconds of each of `steps` timed steps (after `warmup` untimed ones the first time)."""
        if not self.warm:
            for _ in range(warmup):
                self.step()
            self.warm = True
        return [self.step() for _ in range(steps)]


def time_decoding(model, mode, batch, context, steps, prefill_chunk=256, seed=7):
    """`attnlab bench decode`'s row in PyTorch: a fresh cache prefilled with `context` random ids
    per sequence (`prefill_chunk` per call), then the seconds of `steps` single-token steps, and
    the cache's bytes per sequence at `context` tokens (fp32, every layer)."""
    vocab = model.config["vocab_size"]
    gen = torch.Generator().manual_seed(seed)
    model.prepare_decoding(mode or "absorbed")
    caches = [Cache() for _ in model.layers]
    capacity = context + steps
    with torch.inference_mode():
        for start in range(0, context, prefill_chunk):
            t = min(prefill_chunk, context - start)
            model.logits(torch.randint(0, vocab, (batch, t), generator=gen), caches, capacity)
        kv_bytes_per_sequence = sum(s.shape[1] * s.shape[3] for c in caches for s in c.streams.values()) * context * 4
        seconds = []
        for _ in range(steps):
            ids = torch.randint(0, vocab, (batch, 1), generator=gen)
            t0 = time.perf_counter()
            model.logits(ids, caches, capacity)
            seconds.append(time.perf_counter() - t0)
    return seconds, kv_bytes_per_sequence


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bench_json", help="an `attnlab bench --json` file")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--compile", action="store_true")
    a = ap.parse_args()
    with open(a.bench_json) as f:
        rows = json.load(f)["rows"]
    print(f"PyTorch {torch.__version__}, {'torch.compile' if a.compile else 'eager'}")
    print("run                  params (AttnLab)  params (twin)  threads  tokens/s  step ms (median)")
    for row in rows:
        torch.set_num_threads(row["threads"])
        timer = TrainingTimer(row, a.compile)
        times = timer.time_steps(a.steps)
        tps = row["tokens_per_step"] * len(times) / sum(times)
        print(f"{row['run']:<20} {row['parameters']:<17d} {parameter_count(timer.model):<14d} {row['threads']:<8d} "
              f"{tps:<9.0f} {sorted(times)[len(times) // 2] * 1000:.1f}")


if __name__ == "__main__":
    main()

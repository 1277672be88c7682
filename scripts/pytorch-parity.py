#!/usr/bin/env python3
"""PyTorch-eager twin of Knobs' performance benchmarks, written in Knobs' unified format.

Runs the same configurations as the Java benchmarks (same architecture, shapes, params and
benchmark names) in PyTorch eager with torch.utils.benchmark, and writes DIR/summary.json in the
unified format of `reports summarize` (docs/unified-format.md), so that

    java -jar reports/target/reports.jar compare <python-dir> <java-run>

puts Java and Python side by side (ratio = Java / Python time per configuration).

Each twin is the same computation as the Knobs benchmark it is named after: the same architecture
(kernels' Gpt, Block, Norm, Rotary, MlpFeedForward, CausalSelfAttention, MoeFeedForward), shapes,
ops in the same order, routing, loss and optimizer, and the FLOPs of kernels' CostModel (checked
against JMH's `flops` secondary: docs/performance.md).

Suites (--suite, comma-separated; default all):
  overhead  Overhead.tinyOp / tinyOpOut / smallLinear / smallAttention (us/op, per call)
  moe       MoeDispatch.moe at topK 1..32, routing router (top-k of the router's softmax) and
            balanced (token i's slot j -> expert (i*k + j) mod 64, RoutingMode.BALANCED), with the
            common eager MoE (a loop over experts with where / indexing / index_add_); and
            MoeDispatch.dense (the dense SwiGLU MLP with the same active FLOPs)
  decode    OutputTokens.generate on decode-tiny: prompt 16, 32 tokens, preallocated KV cache
  small     ModelSize.step: CS336 small (RMSNorm, RoPE, SwiGLU d_ff 3072, vocab 10000), batch 4,
            context 128, pass forward, forward_backward and train_step (AdamW lr 1e-4, libtorch's defaults)
  prefill   SeqLenScaling.prefill: dense-cpu (GPT-2 style) prefill of 128 tokens, batch 1

--case REGEX keeps the cases whose key `Benchmark k=v ...` (params sorted; --list prints them)
matches, e.g. --case 'ModelSize.step .*pass=train_step' or --case 'MoeDispatch.moe .*routing=balanced .*topK=8$'.

Differences left on torch < 2.0 (Debian's 1.13): no scaled_dot_product_attention (the reference
math runs instead of a fused kernel) and, before 2.4, no rms_norm op (its composite runs); the
environment block of summary.json says which ran.

Optional tooling: needs only torch (Debian's python3-torch is enough); never needed by mvn verify.
Bad input (unknown suite, bad option) exits 2 with one line naming the value and the allowed ones;
the output file is written to a temporary file and renamed, never left half-written.
"""
import argparse
import inspect
import json
import math
import os
import platform
import re
import socket
import sys
import tempfile
import time

SUITES = ("overhead", "moe", "decode", "small", "prefill")
TOPKS = (1, 2, 4, 8, 16, 32)


def die(msg):
    print("pytorch-parity: " + msg, file=sys.stderr)
    sys.exit(2)


# --- statistics, as reports' Statistics (numpy-style linear percentiles, t-based CI99) ---

def percentile(sorted_v, p):
    if len(sorted_v) == 1:
        return sorted_v[0]
    pos = (len(sorted_v) - 1) * p / 100.0
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_v) - 1)
    return sorted_v[lo] + (sorted_v[hi] - sorted_v[lo]) * (pos - lo)


def _betacf(a, b, x):
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _betai(a, b, x):
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1.0 - x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbeta) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbeta) * _betacf(b, a, 1.0 - x) / b


def t_quantile(p, dof):
    """Student-t quantile by bisection on the CDF (regularised incomplete beta)."""
    def cdf(t):
        x = dof / (dof + t * t)
        tail = 0.5 * _betai(dof / 2.0, 0.5, x)
        return 1.0 - tail if t > 0 else tail
    lo, hi = 0.0, 1e4
    for _ in range(200):
        mid = (lo + hi) / 2
        if cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def stats(values):
    v = sorted(values)
    n = len(v)
    mean = sum(v) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1)) if n > 1 else 0.0
    q1, q3, median = percentile(v, 25), percentile(v, 75), percentile(v, 50)
    half = t_quantile(0.995, n - 1) * std / math.sqrt(n) if n > 1 else 0.0
    return {"mean": mean, "std": std, "median": median, "p90": percentile(v, 90), "p99": percentile(v, 99),
            "q1": q1, "q3": q3, "iqr": q3 - q1, "ci99": [mean - half, mean + half], "n": n, "forks": 1,
            "noisy": median > 0 and (q3 - q1) / median > 0.10}


UNIT_SECONDS = {"us/op": 1e-6, "ms/op": 1e-3}


# --- the configurations ---
#
# Each case is a Spec: the JMH benchmark name and params exactly as the Java benchmark reports them
# (thread params at their default `auto` are left out, as reports' keys leave them out), and a
# builder that makes the eager twin only when the case is selected. Specs need no torch, so
# --list and --case work (and are tested by perf-ratios.py --self-test) without it.

class Spec:
    def __init__(self, suite, benchmark, params, unit, build):
        self.suite, self.benchmark, self.params, self.unit, self.build = suite, benchmark, params, unit, build

    @property
    def key(self):
        """`Benchmark k=v k=v` with params sorted by name: what --case matches and --list prints."""
        return self.benchmark + " " + " ".join("%s=%s" % (k, self.params[k]) for k in sorted(self.params))


class Case:
    def __init__(self, fn, flops=None, tokens=None, extra=None, info=None):
        self.fn, self.flops, self.tokens = fn, flops, tokens
        self.extra = extra  # callable() -> dict of secondary per-op values
        self.info = info or {}  # facts about the twin written into the row (e.g. parameter count)


def overhead_specs():
    def build(kind):
        def make(torch, F):
            torch.manual_seed(7)
            a, b, out = torch.randn(16), torch.randn(16), torch.empty(16)
            x, w = torch.randn(16, 128), torch.randn(128, 128)
            q, k, v = (torch.randn(1, 4, 16, 32) for _ in range(3))
            if kind == "tinyOp":
                return Case(lambda: a + b)
            if kind == "tinyOpOut":
                return Case(lambda: torch.add(a, b, out=out))
            if kind == "smallLinear":
                return Case(lambda: F.linear(x, w), flops=2 * 16 * 128 * 128)
            return Case(lambda: attention(torch, F, q, k, v, True), flops=2 * 2 * 4 * 16 * 16 * 32)
        return make
    return [Spec("overhead", "Overhead." + kind, {"device": "cpu"}, "us/op", build(kind))
            for kind in ("tinyOp", "tinyOpOut", "smallLinear", "smallAttention")]


def attention(torch, F, q, k, v, causal):
    """Causal SDPA; torch < 2.0 (Debian's 1.13) has none: the reference math (matmul, mask, softmax,
    matmul), which is not the fused kernel Knobs calls, so attention-heavy rows compare different kernels."""
    sdpa = getattr(F, "scaled_dot_product_attention", None)
    if sdpa is not None:
        return sdpa(q, k, v, is_causal=causal)
    s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.size(-1)))
    if causal:
        tq, tk = q.size(-2), k.size(-2)
        s = s.masked_fill(~torch.ones(tq, tk, dtype=torch.bool).tril(), float("-inf"))
    return s.softmax(-1) @ v


# moe-cpu's layer (kernels Presets: d 512, 64 experts, expert d_ff 256, SwiGLU, top-k weights renormalised)
MOE_D, MOE_EXPERTS, MOE_DFF, MOE_TOKENS = 512, 64, 256, 512
ROUTINGS = ("router", "balanced")


def moe_flops(k, moe):
    """MoeDispatch.work: 2·N·d·(k·fe)·3 (SwiGLU: gate, up, down) plus the router's 2·N·d·E for the MoE layer."""
    active = 2 * MOE_TOKENS * MOE_D * k * MOE_DFF * 3
    return active + (2 * MOE_TOKENS * MOE_D * MOE_EXPERTS if moe else 0)


def balanced_experts(torch, n, k, experts):
    """RoutingMode.BALANCED: token i's slot j gets expert (i·k + j) mod E (row-major N×k)."""
    return (torch.arange(n * k) % experts).view(n, k)


def moe_specs():
    def build_moe(k, routing):
        def make(torch, F):
            d, experts, dff, tokens = MOE_D, MOE_EXPERTS, MOE_DFF, MOE_TOKENS
            torch.manual_seed(42)
            router = torch.randn(experts, d) * 0.02
            w_up = torch.randn(experts, 2 * dff, d) * 0.02   # per expert: gate rows, then up rows (kernels' experts_up)
            w_down = torch.randn(experts, d, dff) * 0.02
            up, down = list(w_up.unbind(0)), list(w_down.unbind(0))
            torch.manual_seed(43)
            x = torch.randn(tokens, d)
            fixed = balanced_experts(torch, tokens, k, experts) if routing == "balanced" else None

            def moe():
                # MoeFeedForward's routing: softmax over all experts, top-k (router) or the fixed
                # balanced assignment with its probabilities gathered, renormalised over the k; then
                # the common eager MoE layer (HF Mixtral/OLMoE): loop over experts, where, index_add_
                probs = F.linear(x, router).softmax(-1)
                if fixed is None:
                    weights, chosen = probs.topk(k, dim=-1)
                else:
                    chosen = fixed
                    weights = probs.gather(1, chosen)
                weights = weights / weights.sum(-1, keepdim=True)
                out = torch.zeros_like(x)
                mask = F.one_hot(chosen, experts).permute(2, 1, 0)  # (E, k, N)
                for e in range(experts):
                    slot, tok = torch.where(mask[e])
                    if tok.numel() == 0:
                        continue
                    h = F.linear(x[tok], up[e])
                    h = F.silu(h[:, :dff]) * h[:, dff:]
                    y = F.linear(h, down[e]) * weights[tok, slot, None]
                    out.index_add_(0, tok, y)
                return out
            return Case(moe, flops=moe_flops(k, True), tokens=tokens)
        return make

    def build_dense(k):
        def make(torch, F):
            d, dff, tokens = MOE_D, MOE_DFF, MOE_TOKENS
            torch.manual_seed(42)
            w_up = torch.randn(2 * k * dff, d) * 0.02
            w_down = torch.randn(d, k * dff) * 0.02
            torch.manual_seed(43)
            x = torch.randn(tokens, d)

            def dense():  # MlpFeedForward SwiGLU of d_ff = k·fe: silu(gate)·up, in place as the kernels do
                u = F.linear(x, w_up)
                return F.linear(F.silu(u[:, :k * dff]).mul_(u[:, k * dff:]), w_down)
            return Case(dense, flops=moe_flops(k, False), tokens=tokens)
        return make

    specs = []
    for routing in ROUTINGS:
        for k in TOPKS:
            p = {"device": "cpu", "model": "moe-cpu", "routing": routing, "tokens": MOE_TOKENS, "topK": k}
            specs.append(Spec("moe", "MoeDispatch.moe", p, "ms/op", build_moe(k, routing)))
    for k in TOPKS:
        p = {"device": "cpu", "model": "moe-cpu", "routing": "router", "tokens": MOE_TOKENS, "topK": k}
        specs.append(Spec("moe", "MoeDispatch.dense", p, "ms/op", build_dense(k)))
    return specs


class Gpt2:
    """kernels' Gpt for the GPT-2-style presets (decode-tiny, dense-cpu): learned positions, pre-norm
    LayerNorm blocks (weight and bias), fused QKV, SDPA, GELU MLP, no biases, untied head."""

    def __init__(self, torch, F, vocab, d, layers, heads, dff, max_seq):
        self.torch, self.F = torch, F
        self.d, self.heads, self.hs, self.max_seq = d, heads, d // heads, max_seq
        torch.manual_seed(42)
        std = 0.02
        rstd = 0.02 / math.sqrt(2 * layers)
        self.wte = torch.randn(vocab, d) * std
        self.wpe = torch.randn(max_seq, d) * std
        self.blocks = [dict(ln1=(torch.ones(d), torch.zeros(d)), qkv=torch.randn(3 * d, d) * std,
                            proj=torch.randn(d, d) * rstd, ln2=(torch.ones(d), torch.zeros(d)),
                            up=torch.randn(dff, d) * std, down=torch.randn(d, dff) * rstd) for _ in range(layers)]
        self.lnf = (torch.ones(d), torch.zeros(d))
        self.head = torch.randn(vocab, d) * std

    def new_cache(self, batch):
        return [(self.torch.zeros(batch, self.heads, self.max_seq, self.hs),
                 self.torch.zeros(batch, self.heads, self.max_seq, self.hs)) for _ in self.blocks]

    def forward(self, idx, cache=None, pos=0):
        F = self.F
        b, t = idx.shape
        x = F.embedding(idx, self.wte) + self.wpe[pos:pos + t]
        for i, blk in enumerate(self.blocks):
            h = F.layer_norm(x, (self.d,), *blk["ln1"], 1e-5)
            qkv = F.linear(h, blk["qkv"])
            q, k, v = (qkv[..., j * self.d:(j + 1) * self.d].view(b, t, self.heads, self.hs).transpose(1, 2) for j in range(3))
            if cache is not None:
                ck, cv = cache[i]
                ck[:, :, pos:pos + t].copy_(k)
                cv[:, :, pos:pos + t].copy_(v)
                k, v = ck[:, :, :pos + t], cv[:, :, :pos + t]
            y = attention(self.torch, F, q, k, v, t > 1).transpose(1, 2).reshape(b, t, self.d)
            x = x + F.linear(y, blk["proj"])
            h = F.layer_norm(x, (self.d,), *blk["ln2"], 1e-5)
            x = x + F.linear(F.gelu(F.linear(h, blk["up"])), blk["down"])
        return F.linear(F.layer_norm(x, (self.d,), *self.lnf, 1e-5), self.head)


class Cs336:
    """kernels' Gpt for the CS336 presets (BasicsTransformerLM): no position table, pre-norm RMSNorm
    blocks (eps 1e-5, weight only), fused QKV, RoPE θ=10000 in the rotate-half layout applied to queries
    and keys in one pass exactly as kernels' Rotary does (x·cos, then two addcmul_ on half-width views with
    the signed sin table), SDPA, SwiGLU MLP with gate and up rows in one weight, no biases, untied head."""

    def __init__(self, torch, F, vocab, d, layers, heads, dff, max_seq, theta, eps=1e-5, grad=False):
        self.torch, self.F = torch, F
        self.vocab, self.d, self.heads, self.hs, self.dff, self.eps = vocab, d, heads, d // heads, dff, eps
        torch.manual_seed(42)
        std = 0.02
        rstd = 0.02 / math.sqrt(2 * layers)
        self.wte = torch.randn(vocab, d) * std
        self.blocks = [dict(ln1=torch.ones(d), qkv=torch.randn(3 * d, d) * std, proj=torch.randn(d, d) * rstd,
                            ln2=torch.ones(d), up=torch.randn(2 * dff, d) * std, down=torch.randn(d, dff) * rstd)
                       for _ in range(layers)]
        self.lnf = torch.ones(d)
        self.head = torch.randn(vocab, d) * std
        half = self.hs // 2
        inv = torch.tensor([theta ** (-2.0 * j / self.hs) for j in range(half)], dtype=torch.float64)
        angle = torch.arange(max_seq, dtype=torch.float64)[:, None] * inv[None, :]  # (maxSeq, hs/2)
        self.cos = torch.cat([angle.cos(), angle.cos()], 1).float()                  # (maxSeq, hs)
        self.sin = torch.cat([-angle.sin(), angle.sin()], 1).float()                 # first half negated
        if grad:
            for p in self.parameters():
                p.requires_grad_(True)

    def parameters(self):
        """Every trained tensor, in kernels' registration order (wte, blocks, ln_f, lm_head)."""
        out = [self.wte]
        for blk in self.blocks:
            out += [blk["ln1"], blk["qkv"], blk["proj"], blk["ln2"], blk["up"], blk["down"]]
        return out + [self.lnf, self.head]

    def rms_norm(self, x, w):
        rms = getattr(self.F, "rms_norm", None)
        if rms is not None:
            return rms(x, (self.d,), w, self.eps)
        # torch < 2.4 has no rms_norm op: its definition, x · rsqrt(mean(x²) + eps) · w
        return x * (x.pow(2).mean(-1, keepdim=True) + self.eps).rsqrt() * w

    def rope(self, x, pos=0):
        """x (B, T, H, hs) → a new rotated tensor, as kernels' Rotary.apply."""
        t, half = x.size(1), self.hs // 2
        c = self.cos[pos:pos + t].unsqueeze(1)
        s = self.sin[pos:pos + t].unsqueeze(1)
        out = x.mul(c)
        out[..., :half].addcmul_(x[..., half:], s[..., :half])
        out[..., half:].addcmul_(x[..., :half], s[..., half:])
        return out

    def forward(self, idx):
        F, d, h, hs = self.F, self.d, self.heads, self.hs
        b, t = idx.shape
        x = F.embedding(idx, self.wte)
        for blk in self.blocks:
            qkv = F.linear(self.rms_norm(x, blk["ln1"]), blk["qkv"])                  # (B, T, 3d)
            v = qkv[..., 2 * d:].view(b, t, h, hs).transpose(1, 2)
            qk = self.rope(qkv[..., :2 * d].view(b, t, 2 * h, hs))                    # queries and keys in one pass
            q, k = qk[:, :, :h].transpose(1, 2), qk[:, :, h:].transpose(1, 2)
            y = attention(self.torch, F, q, k, v, t > 1).transpose(1, 2).reshape(b, t, d)
            x = x + F.linear(y, blk["proj"])
            u = F.linear(self.rms_norm(x, blk["ln2"]), blk["up"])                    # (B, T, 2·dff)
            x = x + F.linear(F.silu(u[..., :self.dff]).mul_(u[..., self.dff:]), blk["down"])
        return F.linear(self.rms_norm(x, self.lnf), self.head)                        # (B, T, V)


def forward_flops(layers, d, dff, mats, vocab, batch, t):
    """kernels' CostModel.forward with no cache: QKV 2·n·d·3d, scores 4·n·T·d (the full T×T rectangle),
    output 2·n·d², MLP 2·n·d·dff·m (m = 3 for SwiGLU, 2 for GELU), LM head 2·n·d·V."""
    n = batch * t
    return layers * (2 * n * d * 3 * d + 4 * n * t * d + 2 * n * d * d + 2 * n * d * dff * mats) + 2 * n * d * vocab


ADAMW_FLOPS_PER_PARAMETER = 14  # kernels' CostModel.ADAMW_FLOPS_PER_PARAMETER
LEARNING_RATE = 1e-4            # kernels' PassRunner.LEARNING_RATE; AdamW's other settings are its defaults
PASSES = ("forward", "forward_backward", "train_step")


def small_specs():
    vocab, d, layers, heads, dff, max_seq, batch, ctx = 10000, 768, 12, 12, 3072, 1024, 4, 128

    def build(kind):
        def make(torch, F):
            m = Cs336(torch, F, vocab, d, layers, heads, dff, max_seq, 10000.0, grad=kind != "forward")
            torch.manual_seed(43)
            idx = torch.randint(0, vocab, (batch, ctx))
            targets = torch.randint(0, vocab, (batch, ctx))
            params = m.parameters()
            n_params = sum(p.numel() for p in params)
            fwd = forward_flops(layers, d, dff, 3, vocab, batch, ctx)
            if kind == "forward":
                return Case(lambda: m.forward(idx), flops=fwd, tokens=batch * ctx, info={"parameters": n_params})

            def loss():
                logits = m.forward(idx)
                return F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))

            if kind == "forward_backward":
                def step():  # PassRunner: gradients released to none, forward with autograd, loss, backward
                    with torch.enable_grad():
                        for p in params:
                            p.grad = None
                        l = loss()
                        l.backward()
                    return l
                return Case(step, flops=3 * fwd, tokens=batch * ctx, info={"parameters": n_params})
            kw = {"lr": LEARNING_RATE, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01}
            if "foreach" in inspect.signature(torch.optim.AdamW).parameters:
                kw["foreach"] = False  # libtorch's AdamW::step is a per-parameter loop, not the multi-tensor one
            opt = torch.optim.AdamW(params, **kw)

            def train():  # PassRunner: zero_grad(set_to_none), forward, loss, backward, AdamW step
                with torch.enable_grad():
                    opt.zero_grad(set_to_none=True)
                    l = loss()
                    l.backward()
                    opt.step()
                return l
            return Case(train, flops=3 * fwd + ADAMW_FLOPS_PER_PARAMETER * n_params, tokens=batch * ctx,
                        info={"parameters": n_params, "adamw": "lr %g, betas (0.9, 0.999), eps 1e-8, weight decay 0.01%s"
                              % (LEARNING_RATE, ", foreach False" if "foreach" in kw else "")})
        return make

    return [Spec("small", "ModelSize.step", {"batchSize": batch, "contextLength": ctx, "device": "cpu", "pass": kind,
                                             "precision": "fp32", "size": "small", "tokens": "random"}, "ms/op", build(kind))
            for kind in PASSES]


def prefill_specs():
    """dense-cpu prefill of 128 tokens, batch 1: SeqLenScaling.prefill seqLen=128 (a ModelStep prefill, no KV cache)."""
    vocab, d, layers, heads, dff, max_seq, seq = 8192, 512, 8, 8, 2048, 2048, 128

    def make(torch, F):
        m = Gpt2(torch, F, vocab, d, layers, heads, dff, max_seq)
        torch.manual_seed(43)
        idx = torch.randint(0, vocab, (1, seq))
        return Case(lambda: m.forward(idx), flops=forward_flops(layers, d, dff, 2, vocab, 1, seq), tokens=seq)

    p = {"batch": 1, "device": "cpu", "model": "dense-cpu", "pass": "forward", "seqLen": seq, "tokens": "random"}
    return [Spec("prefill", "SeqLenScaling.prefill", p, "ms/op", make)]


def decode_specs():
    vocab, d, layers, heads, dff, max_seq = 1000, 128, 2, 4, 512, 256
    prompt_len, new_tokens = 16, 32

    def make(torch, F):
        m = Gpt2(torch, F, vocab, d, layers, heads, dff, max_seq)
        torch.manual_seed(43)
        prompt = torch.randint(0, vocab, (1, prompt_len))
        cache = m.new_cache(1)
        parts = {"prefill": 0.0, "decode": 0.0, "runs": 0}

        def generate():
            t0 = time.perf_counter()
            token = m.forward(prompt, cache, 0)[:, -1].argmax(-1, keepdim=True)
            t1 = time.perf_counter()
            for i in range(1, new_tokens):
                token = m.forward(token, cache, prompt_len + i - 1)[:, -1].argmax(-1, keepdim=True)
            t2 = time.perf_counter()
            parts["prefill"] += t1 - t0
            parts["decode"] += t2 - t1
            parts["runs"] += 1
            return token

        def extra():
            runs = max(parts["runs"], 1)
            return {"prefillNs": parts["prefill"] / runs * 1e9, "decodeNs": parts["decode"] / runs * 1e9}
        return Case(generate, tokens=new_tokens, extra=extra)

    p = {"batch": 1, "device": "cpu", "maxNewTokens": new_tokens, "model": "decode-tiny", "promptLen": prompt_len, "tokens": "random"}
    return [Spec("decode", "OutputTokens.generate", p, "ms/op", make)]


SPECS = {"overhead": overhead_specs, "moe": moe_specs, "decode": decode_specs, "small": small_specs, "prefill": prefill_specs}


def all_specs():
    return [s for suite in SUITES for s in SPECS[suite]()]


def select(suites, case_regex):
    """The specs of `suites` whose key matches `case_regex` (re.search; None: all). Exits 2 when the
    regex is malformed or matches nothing, naming the cases there are."""
    specs = [s for s in all_specs() if s.suite in suites]
    if case_regex is None:
        return specs
    try:
        rx = re.compile(case_regex)
    except re.error as e:
        die("--case '%s' is not a regular expression (%s)" % (case_regex, e))
    chosen = [s for s in specs if rx.search(s.key)]
    if not chosen:
        die("--case '%s' matches no case of suites %s; allowed (one regex over these keys, see --list): %s"
            % (case_regex, ",".join(suites), "; ".join(s.key for s in specs)))
    return chosen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="output folder; DIR/summary.json is written (required unless --list)")
    ap.add_argument("--suite", default=",".join(SUITES), help="comma-separated, from: " + ", ".join(SUITES))
    ap.add_argument("--case", metavar="REGEX", help="only the cases whose key (see --list) matches REGEX (re.search)")
    ap.add_argument("--list", action="store_true", help="print the selected cases' keys and exit (needs no torch)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads (default: all cores)")
    ap.add_argument("--samples", type=int, default=5, help="measurements per configuration (default 5)")
    ap.add_argument("--min-run-time", type=float, default=1.0, help="seconds per measurement (default 1.0)")
    a = ap.parse_args(argv)
    suites = [s for s in a.suite.split(",") if s]
    bad = [s for s in suites if s not in SUITES]
    if bad or not suites:
        die("unknown suite '%s'; allowed: %s" % (",".join(bad) or a.suite, ", ".join(SUITES)))
    specs = select(suites, a.case)
    if a.list:
        for s in specs:
            print(s.key)
        return
    if not a.out:
        die("--out DIR is required (or --list)")
    if a.threads < 1 or a.samples < 2 or a.min_run_time <= 0:
        die("--threads must be >= 1, --samples >= 2 and --min-run-time > 0 (got %d, %d, %g)" % (a.threads, a.samples, a.min_run_time))
    try:
        import torch
        import torch.nn.functional as F
        from torch.utils import benchmark
    except ImportError as e:
        die("PyTorch is not installed (%s); on Debian: apt-get install python3-torch" % e)
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)  # forwards run without autograd, as kernels' inference path; backward cases enable it

    summary, samples = [], []
    for spec in specs:
        case = spec.build(torch, F)
        scale = 1.0 / UNIT_SECONDS[spec.unit]
        t = benchmark.Timer(stmt="f()", globals={"f": case.fn}, num_threads=a.threads)
        t.timeit(max(1, int(0.2 / max(t.timeit(1).mean, 1e-7))))  # warm up for ~0.2 s (a slow step: twice)
        values = []
        for _ in range(a.samples):
            m = t.blocked_autorange(min_run_time=a.min_run_time)
            values.append(m.median * scale)
        st = stats(values)
        sec = st["median"] / scale
        extra = case.extra() if case.extra else {}
        row = {"benchmark": spec.benchmark, "params": spec.params, "mode": "avgt", "unit": spec.unit}
        row.update(st)
        row.update({"seconds_per_op": sec, "flops": case.flops, "bytes": None, "tokens": case.tokens,
                    "achieved_flops_per_s": case.flops / sec if case.flops else None, "achieved_bytes_per_s": None,
                    "tokens_per_s": case.tokens / sec if case.tokens else None,
                    "percent_of_flops_ceiling": None, "percent_of_bytes_ceiling": None,
                    "secondary": extra, "source": "pytorch-parity.py", "twin": case.info})
        summary.append(row)
        for i, v in enumerate(values):
            samples.append({"benchmark": spec.benchmark, "params": spec.params, "mode": "avgt", "fork": 0,
                            "iteration": i, "value": v, "unit": spec.unit, "secondary": {}})
        print("%-24s %-90s median %10.3f %s  flops %s" % (spec.benchmark, json.dumps(spec.params, sort_keys=True),
                                                         st["median"], spec.unit, case.flops), flush=True)
        del case, t  # free a model (and its optimizer state) before building the next
    summary.sort(key=lambda r: (r["benchmark"], json.dumps(r["params"], sort_keys=True)))
    order = {(r["benchmark"], json.dumps(r["params"], sort_keys=True)): i for i, r in enumerate(summary)}
    samples.sort(key=lambda s: (order[(s["benchmark"], json.dumps(s["params"], sort_keys=True))], s["iteration"]))
    for i, s in enumerate(samples):
        s["sample_id"] = i
    env = {"harness": "pytorch-parity.py", "torch": torch.__version__, "python": platform.python_version(),
           "device": "cpu", "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
           "intraop_threads": torch.get_num_threads(), "blas_threads_env": os.environ.get("OPENBLAS_NUM_THREADS"),
           "hostname": socket.gethostname(), "os": platform.platform(),
           "sdpa": "native" if hasattr(F, "scaled_dot_product_attention") else "reference (matmul, mask, softmax, matmul)",
           "rms_norm": "native" if hasattr(F, "rms_norm") else "composite (pow, mean, add, rsqrt, mul, mul)",
           "ceilings": {"flops_per_s": None, "bytes_per_s": None, "source": None}, "sources": ["pytorch-parity.py"], "varies": {}}
    doc = {"environment": env, "summary": summary, "all_samples": samples}
    os.makedirs(a.out, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=a.out, prefix=".summary.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, os.path.join(a.out, "summary.json"))
    print("wrote " + os.path.join(a.out, "summary.json"))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch-eager twin of Knobs' performance benchmarks, written in Knobs' unified format.

Runs the same configurations as the Java benchmarks (same architecture, shapes, params and
benchmark names) in PyTorch eager with torch.utils.benchmark, and writes DIR/summary.json in the
unified format of `reports summarize` (docs/unified-format.md), so that

    java -jar reports/target/reports.jar compare <python-dir> <java-run>

puts Java and Python side by side (ratio = Java / Python time per configuration).

Suites (--suite, comma-separated; default all):
  overhead  Overhead.tinyOp / tinyOpOut / smallLinear / smallAttention (us/op, per call)
  moe       MoeDispatch.moe (the common eager MoE: a loop over experts with where / indexing /
            index_add_) and MoeDispatch.dense (the dense SwiGLU MLP with the same active FLOPs)
  decode    OutputTokens.generate on decode-tiny: prompt 16, 32 tokens, preallocated KV cache
  small     ModelSize.step: CS336 small, forward, batch 4, context 128

Optional tooling: needs only torch (Debian's python3-torch is enough); never needed by mvn verify.
Bad input (unknown suite, bad option) exits 2 with one line naming the value and the allowed ones;
the output file is written to a temporary file and renamed, never left half-written.
"""
import argparse
import json
import math
import os
import platform
import socket
import sys
import tempfile
import time

SUITES = ("overhead", "moe", "decode", "small")
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

class Case:
    def __init__(self, benchmark, params, unit, stmt, setup_globals, flops=None, tokens=None, extra=None):
        self.benchmark, self.params, self.unit = benchmark, params, unit
        self.stmt, self.globals, self.flops, self.tokens = stmt, setup_globals, flops, tokens
        self.extra = extra  # callable(seconds_per_op) -> dict of secondary per-op values


def overhead_cases(torch, F):
    torch.manual_seed(7)
    a, b, out = torch.randn(16), torch.randn(16), torch.empty(16)
    x, w = torch.randn(16, 128), torch.randn(128, 128)
    q, k, v = (torch.randn(1, 4, 16, 32) for _ in range(3))
    sdpa = getattr(F, "scaled_dot_product_attention", None)
    if sdpa is not None:
        attn = lambda: sdpa(q, k, v, is_causal=True)
    else:  # torch < 2.0 (Debian's 1.13): the same math as SDPA's reference path
        mask = torch.ones(16, 16, dtype=torch.bool).tril()
        scale = 1.0 / math.sqrt(32)
        def attn():
            s = (q @ k.transpose(-2, -1)) * scale
            return s.masked_fill(~mask, float("-inf")).softmax(-1) @ v
    g = {"a": a, "b": b, "out": out, "x": x, "w": w, "F": F, "torch": torch, "attn": attn}
    p = {"device": "cpu"}
    return [Case("Overhead.tinyOp", p, "us/op", "a + b", g),
            Case("Overhead.tinyOpOut", p, "us/op", "torch.add(a, b, out=out)", g),
            Case("Overhead.smallLinear", p, "us/op", "F.linear(x, w)", g, flops=2 * 16 * 128 * 128),
            Case("Overhead.smallAttention", p, "us/op", "attn()", g, flops=2 * 2 * 4 * 16 * 16 * 32)]


def moe_cases(torch, F):
    d, experts, dff, tokens = 512, 64, 256, 512
    cases = []
    for k in TOPKS:
        torch.manual_seed(42)
        router = torch.randn(experts, d) * 0.02
        up = [torch.randn(2 * dff, d) * 0.02 for _ in range(experts)]
        down = [torch.randn(d, dff) * 0.02 for _ in range(experts)]
        dense_up = torch.randn(2 * k * dff, d) * 0.02
        dense_down = torch.randn(d, k * dff) * 0.02
        torch.manual_seed(43)
        x = torch.randn(tokens, d)

        def moe(x=x, k=k, router=router, up=up, down=down):
            # the common eager MoE layer (as in HF Mixtral/OLMoE): loop over experts, where, index_add_
            probs = F.linear(x, router).softmax(-1)
            weights, chosen = probs.topk(k, dim=-1)
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

        def dense(x=x, k=k, dense_up=dense_up, dense_down=dense_down):
            h = F.linear(x, dense_up)
            h = F.silu(h[:, :k * dff]) * h[:, k * dff:]
            return F.linear(h, dense_down)

        p = {"device": "cpu", "model": "moe-cpu", "routing": "router", "tokens": tokens, "topK": k}
        active = 2 * tokens * d * k * dff * 3
        cases.append(Case("MoeDispatch.moe", p, "ms/op", "f()", {"f": moe}, flops=active + 2 * tokens * d * experts, tokens=tokens))
        cases.append(Case("MoeDispatch.dense", p, "ms/op", "f()", {"f": dense}, flops=active, tokens=tokens))
    return cases


class Gpt:
    """Knobs' Gpt (kernels/Gpt.java): learned positions, pre-norm blocks, fused QKV, SDPA, GELU or SwiGLU MLP, untied head."""

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

    def attention(self, q, k, v, causal):
        F, torch = self.F, self.torch
        if hasattr(F, "scaled_dot_product_attention"):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hs))
        if causal:
            t = q.size(-2)
            s = s.masked_fill(~torch.ones(t, t, dtype=torch.bool).tril(), float("-inf"))
        return s.softmax(-1) @ v

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
            y = self.attention(q, k, v, t > 1).transpose(1, 2).reshape(b, t, self.d)
            x = x + F.linear(y, blk["proj"])
            h = F.layer_norm(x, (self.d,), *blk["ln2"], 1e-5)
            x = x + F.linear(F.gelu(F.linear(h, blk["up"])), blk["down"])
        return F.linear(F.layer_norm(x, (self.d,), *self.lnf, 1e-5), self.head)


def decode_cases(torch, F):
    vocab, d, layers, heads, dff, max_seq = 1000, 128, 2, 4, 512, 256
    prompt_len, new_tokens = 16, 32
    m = Gpt(torch, F, vocab, d, layers, heads, dff, max_seq)
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

    def extra(_):
        runs = max(parts["runs"], 1)
        return {"prefillNs": parts["prefill"] / runs * 1e9, "decodeNs": parts["decode"] / runs * 1e9}

    p = {"batch": 1, "device": "cpu", "maxNewTokens": new_tokens, "model": "decode-tiny", "promptLen": prompt_len}
    return [Case("OutputTokens.generate", p, "ms/op", "f()", {"f": generate}, tokens=new_tokens, extra=extra)]


def small_cases(torch, F):
    vocab, d, layers, heads, dff, ctx, batch = 10000, 768, 12, 12, 3072, 128, 4
    m = Gpt(torch, F, vocab, d, layers, heads, dff, ctx)
    torch.manual_seed(43)
    idx = torch.randint(0, vocab, (batch, ctx))
    tokens = batch * ctx
    per_token = 2 * (layers * (4 * d * d + 2 * d * dff) + d * vocab)
    attn = layers * 2 * 2 * batch * heads * ctx * ctx * (d // heads)
    p = {"batchSize": batch, "contextLength": ctx, "device": "cpu", "pass": "forward", "precision": "fp32", "size": "small"}
    return [Case("ModelSize.step", p, "ms/op", "f()", {"f": lambda: m.forward(idx)}, flops=per_token * tokens + attn, tokens=tokens)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder; DIR/summary.json is written")
    ap.add_argument("--suite", default=",".join(SUITES), help="comma-separated, from: " + ", ".join(SUITES))
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads (default: all cores)")
    ap.add_argument("--samples", type=int, default=5, help="measurements per configuration (default 5)")
    ap.add_argument("--min-run-time", type=float, default=1.0, help="seconds per measurement (default 1.0)")
    a = ap.parse_args()
    suites = [s for s in a.suite.split(",") if s]
    bad = [s for s in suites if s not in SUITES]
    if bad or not suites:
        die("unknown suite '%s'; allowed: %s" % (",".join(bad) or a.suite, ", ".join(SUITES)))
    if a.threads < 1 or a.samples < 2 or a.min_run_time <= 0:
        die("--threads must be >= 1, --samples >= 2 and --min-run-time > 0 (got %d, %d, %g)" % (a.threads, a.samples, a.min_run_time))
    try:
        import torch
        import torch.nn.functional as F
        from torch.utils import benchmark
    except ImportError as e:
        die("PyTorch is not installed (%s); on Debian: apt-get install python3-torch" % e)
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)

    builders = {"overhead": overhead_cases, "moe": moe_cases, "decode": decode_cases, "small": small_cases}
    summary, samples = [], []
    for suite in suites:
        for case in builders[suite](torch, F):
            scale = 1.0 / UNIT_SECONDS[case.unit]
            t = benchmark.Timer(stmt=case.stmt, globals=case.globals, num_threads=a.threads)
            t.timeit(max(1, int(0.2 / max(t.timeit(1).mean, 1e-7))))  # warm up for ~0.2 s
            values = []
            for _ in range(a.samples):
                m = t.blocked_autorange(min_run_time=a.min_run_time)
                values.append(m.median * scale)
            st = stats(values)
            sec = st["median"] / scale
            extra = case.extra(sec) if case.extra else {}
            row = {"benchmark": case.benchmark, "params": case.params, "mode": "avgt", "unit": case.unit}
            row.update(st)
            row.update({"seconds_per_op": sec, "flops": case.flops, "bytes": None, "tokens": case.tokens,
                        "achieved_flops_per_s": case.flops / sec if case.flops else None, "achieved_bytes_per_s": None,
                        "tokens_per_s": case.tokens / sec if case.tokens else None,
                        "percent_of_flops_ceiling": None, "percent_of_bytes_ceiling": None,
                        "secondary": extra, "source": "pytorch-parity.py"})
            summary.append(row)
            for i, v in enumerate(values):
                samples.append({"benchmark": case.benchmark, "params": case.params, "mode": "avgt", "fork": 0,
                                "iteration": i, "value": v, "unit": case.unit, "secondary": {}})
            print("%-28s %-70s median %10.3f %s" % (case.benchmark, json.dumps(case.params), st["median"], case.unit), flush=True)
    summary.sort(key=lambda r: (r["benchmark"], json.dumps(r["params"], sort_keys=True)))
    order = {(r["benchmark"], json.dumps(r["params"], sort_keys=True)): i for i, r in enumerate(summary)}
    samples.sort(key=lambda s: (order[(s["benchmark"], json.dumps(s["params"], sort_keys=True))], s["iteration"]))
    for i, s in enumerate(samples):
        s["sample_id"] = i
    env = {"harness": "pytorch-parity.py", "torch": torch.__version__, "python": platform.python_version(),
           "device": "cpu", "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
           "intraop_threads": torch.get_num_threads(), "hostname": socket.gethostname(), "os": platform.platform(),
           "sdpa": "native" if hasattr(F, "scaled_dot_product_attention") else "reference (matmul, mask, softmax, matmul)",
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

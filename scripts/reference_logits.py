#!/usr/bin/env python3
"""Independent reference logits for Knobs' checkpoint loader (golden files of GoldenLogitsTest).

Reads the tiny Hugging Face folders that Knobs' test code writes (one per supported family:
llama, qwen2, olmoe, mixtral, qwen2_moe; and llama_scaled, llama's weights with Llama 3's
rope_scaling) and computes, in PyTorch eager fp32, the logits of

  * a prefill over PROMPT (every position), and
  * one decode step: the logits of token NEXT after PROMPT (computed here by a full forward over
    PROMPT + [NEXT]; causal attention makes it equal to a cached decode, which is what Knobs runs).

The model math is written out from the Hugging Face modelling code (modeling_llama.py,
modeling_qwen2.py, modeling_olmoe.py, modeling_mixtral.py, modeling_qwen2_moe.py) and does NOT
import transformers or Knobs: RMSNorm, rotate-half RoPE (with rope_scaling "linear" or "llama3",
as modeling_rope_utils.py computes the inverse frequencies), grouped-query attention with a causal
mask, QK-norm over the full projections (OLMoE), q/k/v biases (Qwen2, Qwen2-MoE), SwiGLU, and
per family the MoE routing:
  * OLMoE:     softmax over all experts, top-k, no renormalisation (norm_topk_prob false);
  * Mixtral:   top-k of the router logits, softmax over those k logits (equal to HF's softmax,
               top-k, renormalise, and computed the other way round on purpose);
  * Qwen2-MoE: softmax, top-k, renormalised when norm_topk_prob, plus the shared expert scaled by
               sigmoid(shared_expert_gate(x)).
Experts run one token at a time (a plain loop), unlike Knobs' grouped dispatch.

The safetensors files are parsed here too (8-byte little-endian header length, JSON header, raw
little-endian F32/BF16/F16 data), without the safetensors package.

Regenerate the golden files (only when the tiny checkpoints or this math change on purpose):

    mvn -o -q -B -pl kernels -am test -Dtest=TinyCheckpointsExport \\
        -Dsurefire.failIfNoSpecifiedTests=false -Dknobs.tinyCheckpoints=/tmp/knobs-tiny
    python3 scripts/reference_logits.py /tmp/knobs-tiny kernels/src/test/resources/golden-logits

Needs only torch (Debian's python3-torch 1.13 is enough: run it with /usr/bin/python3 where another
python3 comes first on PATH) and numpy; CI never runs it: the golden
files it writes are committed. Each golden file records the SHA-256 of the checkpoint files it
was computed from, so GoldenLogitsTest fails clearly if the test checkpoints change without a
regeneration. Routing margins (the gap between the k-th and (k+1)-th router logit) are checked
to be far above fp32 noise, so that Knobs and this script cannot pick different experts by
rounding; the smallest one is recorded.
"""
import hashlib
import json
import math
import os
import struct
import sys
import tempfile

import numpy as np
import torch

# Folder names; the family (model math) of each is its config's model_type.
NAMES = ("llama", "qwen2", "olmoe", "mixtral", "qwen2_moe", "llama_scaled")
PROMPT = [3, 17, 42, 5, 88, 61, 0, 29, 73, 11, 50, 95]
NEXT = 7
MIN_MARGIN = 1e-3  # router-logit gap below which fp32 rounding could flip an expert choice


def die(msg):
    print("reference_logits: " + msg, file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------- safetensors

def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        die(f"{path}: shorter than 8 bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        die(f"{path}: header length {n} beyond the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        raw = data[base + begin: base + end]
        shape = e["shape"]
        if e["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif e["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif e["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            die(f"{path}: tensor {name} has dtype {e['dtype']}; this script reads F32, BF16, F16")
        out[name] = torch.from_numpy(arr.copy()).reshape(shape)
    return out


def read_checkpoint(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        files = ["model.safetensors"]
    elif os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
        files.append("model.safetensors.index.json")
    else:
        die(f"{folder}: no model.safetensors or index")
    weights = {}
    for fn in files:
        if fn.endswith(".safetensors"):
            weights.update(read_safetensors(os.path.join(folder, fn)))
    hashes = {}
    for fn in ["config.json"] + files:
        with open(os.path.join(folder, fn), "rb") as f:
            hashes[fn] = hashlib.sha256(f.read()).hexdigest()
    return cfg, weights, hashes


# ---------------------------------------------------------------- model math (HF modelling code)

def rms_norm(x, weight, eps):
    # LlamaRMSNorm / OlmoeRMSNorm / MixtralRMSNorm / Qwen2RMSNorm: fp32 variance, x * rsqrt, * weight
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def scaled_inv_freq(inv_freq, scaling):
    """rope_scaling applied to the fp32 inverse frequencies, vectorised as modeling_rope_utils does."""
    if scaling is None:
        return inv_freq
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "default":
        return inv_freq
    if kind == "linear":
        return inv_freq / scaling["factor"]
    if kind != "llama3":
        die(f"rope_scaling type {kind!r}: this script knows default, linear, llama3")
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    old_len = scaling["original_max_position_embeddings"]
    wavelen = 2 * math.pi / inv_freq
    # long wavelengths (> old_len / low): divided by factor; short ones (< old_len / high): kept
    out = torch.where(wavelen > old_len / low, inv_freq / factor, inv_freq)
    # in between: a blend, weight s of the unscaled frequency rising linearly in old_len / wavelength
    s = (old_len / wavelen - low) / (high - low)
    blended = (1 - s) * out / factor + s * out
    medium = (wavelen >= old_len / high) & (wavelen <= old_len / low)
    return torch.where(medium, blended, out)


def rope_cos_sin(seq, head_dim, theta, scaling=None):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    inv_freq = scaled_inv_freq(inv_freq, scaling)
    pos = torch.arange(seq, dtype=torch.float32)
    inv_freq = inv_freq.to(torch.get_default_dtype())
    pos = pos.to(torch.get_default_dtype())
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def linear(x, w, b=None):
    y = x @ w.t()
    return y + b if b is not None else y


def attention(x, W, p, cfg, family):
    T, d = x.shape
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = d // nh
    bias = family in ("qwen2", "qwen2_moe")
    q = linear(x, W[p + "q_proj.weight"], W[p + "q_proj.bias"] if bias else None)
    k = linear(x, W[p + "k_proj.weight"], W[p + "k_proj.bias"] if bias else None)
    v = linear(x, W[p + "v_proj.weight"], W[p + "v_proj.bias"] if bias else None)
    if family == "olmoe":  # OlmoeAttention: q_norm(q_proj(x)), k_norm(k_proj(x)) over the full projections
        q = rms_norm(q, W[p + "q_norm.weight"], cfg["rms_norm_eps"])
        k = rms_norm(k, W[p + "k_norm.weight"], cfg["rms_norm_eps"])
    q = q.view(T, nh, hd).transpose(0, 1)   # (nh, T, hd)
    k = k.view(T, nkv, hd).transpose(0, 1)  # (nkv, T, hd)
    v = v.view(T, nkv, hd).transpose(0, 1)
    cos, sin = rope_cos_sin(T, hd, cfg["rope_theta"], cfg.get("rope_scaling"))
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    rep = nh // nkv                          # repeat_kv
    k = k.repeat_interleave(rep, dim=0)
    v = v.repeat_interleave(rep, dim=0)
    scores = (q @ k.transpose(1, 2)) * hd ** -0.5
    mask = torch.full((T, T), float("-inf")).triu(1)
    probs = torch.softmax(scores + mask, dim=-1, dtype=torch.float32).to(q.dtype)
    out = (probs @ v).transpose(0, 1).reshape(T, d)
    return linear(out, W[p + "o_proj.weight"])


def swiglu(x, gate, up, down):
    return linear(torch.nn.functional.silu(linear(x, gate)) * linear(x, up), down)


def moe(x, W, p, cfg, family, margins):
    T, d = x.shape
    if family == "mixtral":
        E, k = cfg["num_local_experts"], cfg["num_experts_per_tok"]
        logits = linear(x, W[p + "block_sparse_moe.gate.weight"])
    else:
        E, k = cfg["num_experts"], cfg["num_experts_per_tok"]
        logits = linear(x, W[p + "mlp.gate.weight"])
    sorted_logits = logits.sort(dim=-1, descending=True).values
    margins.append(float((sorted_logits[:, k - 1] - sorted_logits[:, k]).min()))
    out = torch.zeros_like(x)
    for t in range(T):
        if family == "mixtral":
            top_logits, idx = torch.topk(logits[t], k)
            weights = torch.softmax(top_logits, dim=-1)
        else:
            probs = torch.softmax(logits[t], dim=-1, dtype=torch.float32)
            weights, idx = torch.topk(probs, k)
            if cfg.get("norm_topk_prob", False):
                weights = weights / weights.sum()
        weights = weights.to(x.dtype)
        for j in range(k):
            e = int(idx[j])
            xt = x[t:t + 1]
            if family == "mixtral":
                q = p + f"block_sparse_moe.experts.{e}."
                y = swiglu(xt, W[q + "w1.weight"], W[q + "w3.weight"], W[q + "w2.weight"])
            else:
                q = p + f"mlp.experts.{e}."
                y = swiglu(xt, W[q + "gate_proj.weight"], W[q + "up_proj.weight"], W[q + "down_proj.weight"])
            out[t] += weights[j] * y[0]
    if family == "qwen2_moe":
        s = p + "mlp.shared_expert."
        shared = swiglu(x, W[s + "gate_proj.weight"], W[s + "up_proj.weight"], W[s + "down_proj.weight"])
        out = out + torch.sigmoid(linear(x, W[p + "mlp.shared_expert_gate.weight"])) * shared
    return out


def forward(tokens, cfg, W, family, margins):
    x = W["model.embed_tokens.weight"][torch.tensor(tokens)]  # (T, d)
    eps = cfg["rms_norm_eps"]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        x = x + attention(h, W, p + "self_attn.", cfg, family)
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        if family in ("llama", "qwen2"):
            q = p + "mlp."
            x = x + swiglu(h, W[q + "gate_proj.weight"], W[q + "up_proj.weight"], W[q + "down_proj.weight"])
        else:
            x = x + moe(h, W, p, cfg, family, margins)
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else W["lm_head.weight"]
    return linear(x, head)


def dumps(golden):
    """JSON with one logits row per line (readable diffs); floats as Python's shortest repr of the fp32 value."""
    lines = []
    for k, v in golden.items():
        if k == "prefill_logits":
            rows = ",\n  ".join(json.dumps(row) for row in v)
            lines.append(f' "{k}": [\n  {rows}\n ]')
        else:
            lines.append(f" {json.dumps(k)}: {json.dumps(v)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 3:
        die("usage: reference_logits.py CHECKPOINTS_DIR OUT_DIR")
    src, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_grad_enabled(False)
    for name in NAMES:
        folder = os.path.join(src, name)
        if not os.path.isdir(folder):
            die(f"{folder}: not a directory (write the tiny checkpoints first, see this script's header)")
        cfg, W, hashes = read_checkpoint(folder)
        family = cfg["model_type"]
        if not name.startswith(family):
            die(f"{folder}: model_type {family}, expected the family {name} is named after")
        margins = []
        prefill = forward(PROMPT, cfg, W, family, margins)
        decode = forward(PROMPT + [NEXT], cfg, W, family, margins)[-1]
        min_margin = min(margins) if margins else None
        if min_margin is not None and min_margin < MIN_MARGIN:
            die(f"{family}: smallest router margin {min_margin:.3g} < {MIN_MARGIN}: an expert choice could flip on"
                " rounding; change the tiny checkpoint's weights or PROMPT")
        # The same math in fp64: how far fp32 rounding alone moves the logits (GoldenLogitsTest's
        # tolerance is set well above this and far below any real modelling difference).
        torch.set_default_dtype(torch.float64)
        prefill64 = forward(PROMPT, cfg, {n: w.double() for n, w in W.items()}, family, [])
        torch.set_default_dtype(torch.float32)
        rounding = float((prefill.double() - prefill64).abs().max() / prefill64.abs().max())
        golden = {
            "family": name,
            "generated_by": "scripts/reference_logits.py",
            "torch": torch.__version__,
            "files_sha256": hashes,
            "prompt": PROMPT,
            "next": NEXT,
            "min_router_margin": min_margin,
            "fp32_vs_fp64_max_rel": rounding,
            "prefill_logits": [[float(v) for v in row] for row in prefill.tolist()],
            "decode_logits": [float(v) for v in decode.tolist()],
        }
        path = os.path.join(out_dir, name + ".json")
        write_atomic(path, dumps(golden))
        scale = float(prefill.abs().max())
        print(f"{name}: max |logit| {scale:.4f}, min router margin {min_margin}, fp32 vs fp64 {rounding:.2g}, -> {path}")


if __name__ == "__main__":
    main()

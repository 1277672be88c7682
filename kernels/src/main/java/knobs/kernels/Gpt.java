package knobs.kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Decoder-only transformer assembled from a {@link ModelConfig}: token embedding (plus a learned
 * position table when {@link ModelConfig#positions()} is LEARNED), pre-norm blocks (LayerNorm or
 * RMSNorm; multi-head or grouped-query attention with optional QK-norm, rotary embeddings and
 * biases; GELU/SwiGLU MLP or mixture of experts with optional shared experts), final norm, LM head
 * (untied, or the token embedding itself when tied). Weights are random from a seed
 * ({@link #create}), or left uninitialised for a checkpoint to fill ({@link #forLoading}); nothing
 * is downloaded.
 *
 * <p>{@link #setActiveBlocks} runs only the first N blocks while keeping the rest in the model, so
 * depth can be turned as a knob without rebuilding.
 *
 * <h2>Parameter names and shapes</h2>
 *
 * What {@code named_parameters()} returns (libtorch forbids dots inside one parameter's name, so a
 * linear layer's weight is the plain name and its bias {@code <name>_bias}). d = dModel, V = vocab,
 * hs = headDim, nh = heads, nkv = kvHeads, kvDim = nkv·hs, E = experts, f = dFf, fe = expertDFf,
 * fs = sharedExperts·sharedExpertDFf; m = 2 for SwiGLU (gate and up), 1 for GELU. All linear
 * weights are (out, in), used as y = x·Wᵀ (+ b), the layout of {@code torch.nn.Linear} and of
 * Hugging Face checkpoints. The HF column names the Llama/OLMoE/Mixtral/Qwen2(-MoE) tensor each
 * one corresponds to (prefix {@code model.layers.i.} for block tensors).
 *
 * <table>
 * <caption>Parameters of a {@code Gpt}</caption>
 * <tr><th>name</th><th>shape</th><th>present when</th><th>Hugging Face</th></tr>
 * <tr><td>{@code wte}</td><td>(V, d)</td><td>always; also the LM head when tied</td><td>model.embed_tokens.weight</td></tr>
 * <tr><td>{@code wpe}</td><td>(maxSeq, d)</td><td>positions LEARNED</td><td>— (GPT-2 wpe)</td></tr>
 * <tr><td>{@code h<i>.ln_1.weight}, {@code h<i>.ln_1.bias}</td><td>(d)</td><td>bias only for LayerNorm</td><td>input_layernorm.weight</td></tr>
 * <tr><td>{@code h<i>.attn.c_attn}</td><td>(d + 2·kvDim, d)</td><td>always</td><td>cat(q_proj, k_proj, v_proj) along dim 0: rows [0, d) queries
 *     (head h at rows h·hs … h·hs+hs−1), [d, d+kvDim) keys, [d+kvDim, d+2·kvDim) values (kv head g at rows g·hs … within each)</td></tr>
 * <tr><td>{@code h<i>.attn.c_attn_bias}</td><td>(d + 2·kvDim)</td><td>qkvBias</td><td>cat(q_proj.bias, k_proj.bias, v_proj.bias)</td></tr>
 * <tr><td>{@code h<i>.attn.q_norm.weight}</td><td>(d)</td><td>qkNorm</td><td>self_attn.q_norm.weight</td></tr>
 * <tr><td>{@code h<i>.attn.k_norm.weight}</td><td>(kvDim)</td><td>qkNorm</td><td>self_attn.k_norm.weight</td></tr>
 * <tr><td>{@code h<i>.attn.c_proj}</td><td>(d, d)</td><td>always</td><td>self_attn.o_proj.weight</td></tr>
 * <tr><td>{@code h<i>.attn.c_proj_bias}</td><td>(d)</td><td>outBias</td><td>self_attn.o_proj.bias</td></tr>
 * <tr><td>{@code h<i>.ln_2.weight}, {@code h<i>.ln_2.bias}</td><td>(d)</td><td>bias only for LayerNorm</td><td>post_attention_layernorm.weight</td></tr>
 * <tr><td>{@code h<i>.mlp.c_fc}</td><td>(m·f, d)</td><td>dense</td><td>SwiGLU: cat(gate_proj, up_proj) along dim 0 (gate rows first); GELU: up</td></tr>
 * <tr><td>{@code h<i>.mlp.c_fc_bias}</td><td>(m·f)</td><td>dense, mlpBias</td><td>cat(gate bias, up bias)</td></tr>
 * <tr><td>{@code h<i>.mlp.c_proj}</td><td>(d, f)</td><td>dense</td><td>mlp.down_proj.weight</td></tr>
 * <tr><td>{@code h<i>.mlp.c_proj_bias}</td><td>(d)</td><td>dense, mlpBias</td><td>mlp.down_proj.bias</td></tr>
 * <tr><td>{@code h<i>.moe.router}</td><td>(E, d)</td><td>MoE</td><td>mlp.gate.weight (Mixtral: block_sparse_moe.gate.weight)</td></tr>
 * <tr><td>{@code h<i>.moe.experts_up}</td><td>(E, m·fe, d)</td><td>MoE</td><td>stack over experts e of cat(experts.e.gate_proj, experts.e.up_proj)
 *     (Mixtral: cat(w1, w3)); GELU experts: up only</td></tr>
 * <tr><td>{@code h<i>.moe.experts_down}</td><td>(E, d, fe)</td><td>MoE</td><td>stack of experts.e.down_proj (Mixtral: w2)</td></tr>
 * <tr><td>{@code h<i>.moe.shared_expert.c_fc}</td><td>(m·fs, d)</td><td>sharedExperts &gt; 0</td><td>cat(shared_expert.gate_proj, shared_expert.up_proj);
 *     with several shared experts: the gate rows of all of them, then the up rows</td></tr>
 * <tr><td>{@code h<i>.moe.shared_expert.c_proj}</td><td>(d, fs)</td><td>sharedExperts &gt; 0</td><td>shared_expert.down_proj (several: cat along dim 1)</td></tr>
 * <tr><td>{@code h<i>.moe.shared_expert_gate}</td><td>(1, d)</td><td>sharedExpertGate</td><td>mlp.shared_expert_gate.weight</td></tr>
 * <tr><td>{@code ln_f.weight}, {@code ln_f.bias}</td><td>(d)</td><td>bias only for LayerNorm</td><td>model.norm.weight</td></tr>
 * <tr><td>{@code lm_head}</td><td>(V, d)</td><td>not tiedEmbeddings</td><td>lm_head.weight</td></tr>
 * </table>
 *
 * RoPE uses the rotate-half layout (HF's {@code rotate_half}: dimension j pairs with j + hs/2),
 * which is the layout Hugging Face Llama-family checkpoints are stored in, so q_proj/k_proj rows
 * load unpermuted. Its cos/sin tables are buffers ({@code rope.cos}, {@code rope.sin}, (maxSeq, hs)),
 * not parameters. MoE experts have no biases.
 */
public final class Gpt extends Module {
    private final ModelConfig config;
    private final Tensor wte;   // (V, d)
    private final Tensor wpe;   // (maxSeq, d), null with RoPE
    private final Rotary rope;  // null with learned positions
    private final Block[] blocks;
    private final List<MoeFeedForward> moeLayers; // fixed at construction: read after every MoE step
    private final Norm lnF;
    private final Linear lmHead; // (V, d): its own parameter, or wte when tied
    private int activeBlocks;
    private Precision precision = Precision.FP32;
    private RoutingTrace trace; // replayed instead of the routers, or null

    private Gpt(ModelConfig c) {
        super("Gpt");
        this.config = c;
        this.wte = Init.param(this, "wte", Init.normal(Init.STD, c.vocab(), c.dModel()));
        boolean learned = c.positions() == ModelConfig.Positions.LEARNED;
        this.wpe = learned ? Init.param(this, "wpe", Init.normal(Init.STD, c.maxSeq(), c.dModel())) : null;
        this.rope = learned ? null : register_module("rope", new Rotary(c));
        this.blocks = new Block[c.layers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = register_module("h" + i, new Block(c, true, rope));
        }
        List<MoeFeedForward> moe = new ArrayList<>();
        for (Block b : blocks) {
            if (b.feedForward() instanceof MoeFeedForward m) {
                moe.add(m);
            }
        }
        this.moeLayers = List.copyOf(moe);
        this.lnF = register_module("ln_f", Norm.of(c, c.dModel()));
        this.lmHead = c.tiedEmbeddings() ? Linear.shared(wte)
                : Linear.param(this, "lm_head", Init.normal(Init.STD, c.vocab(), c.dModel()));
        this.activeBlocks = c.layers();
    }

    /** Builds the model on the CPU with every weight drawn from libtorch's generator seeded with {@code seed}. */
    public static Gpt create(ModelConfig c, long seed) {
        torch.manual_seed(seed);
        return new Gpt(c);
    }

    /**
     * Builds the model on the CPU for loading weights into it: every parameter is allocated
     * uninitialised ({@code torch.empty}) directly in {@code precision}'s dtype — no random draw, and
     * for bf16/fp16 no fp32 copy, so building needs only the model's bytes in that dtype. The RoPE
     * tables are computed in fp32 as always and converted to that dtype, as {@link #toPrecision}
     * converts them; the model is then in {@code precision} exactly as {@code create(c, seed)
     * .toPrecision(precision)} would be, except for the parameters' values, which are garbage until
     * every element is written (the checkpoint loader's plan covers every element of every parameter).
     *
     * @param precision fp32, bf16 or fp16; int8 is quantized from loaded fp32 weights, so build fp32
     *                  and call {@code toPrecision(INT8)} after loading
     */
    public static Gpt forLoading(ModelConfig c, Precision precision) {
        if (precision == Precision.INT8) {
            throw new IllegalArgumentException("Gpt.forLoading builds float models (fp32, bf16, fp16); for int8 build fp32,"
                    + " load the weights, then call toPrecision(int8), which quantizes them");
        }
        Gpt model = Init.uninitialized(precision.activationType(), () -> new Gpt(c));
        if (precision != Precision.FP32) {
            if (model.rope != null) {
                model.rope.to(precision.activationType(), false); // only the tables: every parameter already has the dtype
            }
            model.precision = precision;
        }
        return model;
    }

    /** Moves every parameter to {@code device}. An int8 model stays on the CPU (fbgemm is CPU-only). */
    public Gpt toDevice(Device device) {
        if (precision == Precision.INT8 && !device.is_cpu()) {
            throw new IllegalArgumentException("model '" + config.name() + "' is int8, which runs on the CPU only (fbgemm);"
                    + " it cannot move to " + device.str().getString() + ": use fp32, bf16 or fp16 there");
        }
        to(device, false);
        moeLayers().forEach(MoeFeedForward::refreshExpertViews);
        return this;
    }

    /**
     * Puts the model into precision {@code p} and returns it.
     *
     * <ul>
     *   <li>{@code fp32}, {@code bf16}, {@code fp16}: every parameter is converted to
     *       {@link Precision#activationType()}; activations, KV cache and logits follow.
     *   <li>{@code int8}: every linear weight (attention QKV and output, MLP up and down, LM head) is
     *       quantized and packed for fbgemm and its float storage released (a tied LM head keeps
     *       the float embedding, which the lookup still reads, beside its int8 copy); embeddings,
     *       norms, biases and RoPE tables stay fp32, as do activations, KV cache and logits. Dense
     *       models on the CPU only. Forward only: a forward with autograd on throws
     *       {@link IllegalStateException}.
     * </ul>
     *
     * A bf16 or fp16 model can change precision again (rounding already done stays); an int8 model
     * cannot, since its float weights are gone. Call it outside any timed region: quantizing and
     * converting copy every weight.
     */
    public Gpt toPrecision(Precision p) {
        if (p == precision) {
            return this;
        }
        if (precision == Precision.INT8) {
            throw new IllegalStateException("model '" + config.name() + "' is already int8 and its float weights were"
                    + " released; build a fresh model (Gpt.create) for " + p.label());
        }
        if (p == Precision.INT8) {
            p.requireModel(config);
            if (!wte.is_cpu()) {
                throw new IllegalArgumentException("precision int8 runs on the CPU only (fbgemm); model '" + config.name()
                        + "' is on " + wte.device().str().getString());
            }
            to(torch.ScalarType.Float, false); // a bf16/fp16 model is quantized from its (rounded) float values
            try (NoGradGuard noGrad = new NoGradGuard()) {
                for (Linear l : linears()) {
                    l.quantize();
                }
            }
        } else {
            to(p.activationType(), false);
            moeLayers().forEach(MoeFeedForward::refreshExpertViews);
        }
        precision = p;
        return this;
    }

    /** The precision set by {@link #toPrecision}; fp32 for a new model. */
    public Precision precision() {
        return precision;
    }

    /** An empty KV cache for {@code batch} sequences on this model's device, in its activation dtype. */
    public KvCache newKvCache(int batch) {
        return new KvCache(config, batch, wte.device(), precision.activationType());
    }

    /** An empty KV cache for {@code batch} sequences of at most {@code capacity} positions (1..maxSeq). */
    public KvCache newKvCache(int batch, int capacity) {
        return new KvCache(config, batch, capacity, wte.device(), precision.activationType());
    }

    /** Every {@link Linear} layer: the blocks' attention and dense-MLP weights, then the LM head. */
    List<Linear> linears() {
        List<Linear> out = new ArrayList<>();
        for (Block b : blocks) {
            out.addAll(b.linears());
        }
        out.add(lmHead);
        return out;
    }

    public ModelConfig config() {
        return config;
    }

    /** Runs only blocks [0, n); the others stay in the model but are skipped. */
    public void setActiveBlocks(int n) {
        if (n < 1 || n > blocks.length) {
            throw new IllegalArgumentException("activeBlocks=" + n + " is not allowed: must be in 1.." + blocks.length);
        }
        activeBlocks = n;
    }

    public int activeBlocks() {
        return activeBlocks;
    }

    /** Sets the routing of every MoE block (see {@link RoutingMode}); ends a trace replay. */
    public void setRouting(RoutingMode mode) {
        trace = null;
        for (MoeFeedForward moe : moeLayers()) {
            moe.setRouting(mode);
        }
    }

    /**
     * Replays a recorded trace instead of every MoE block's router: layer i's tokens go to the experts
     * recorded for layer i at their sequence and position (see {@link RoutingTrace}); {@link #setRouting}
     * ends it. The trace must have this model's number of MoE layers and experts, and k at least the
     * blocks' topK; a forward outside its sequences or positions fails.
     */
    public void setRoutingTrace(RoutingTrace t) {
        List<MoeFeedForward> moe = moeLayers();
        if (t.layers() != moe.size() || t.experts() != config.experts()) {
            throw new IllegalArgumentException(t.source() + ": the trace has " + t.layers() + " MoE layers of " + t.experts()
                    + " experts; model '" + config.name() + "' has " + moe.size() + " of " + config.experts());
        }
        for (int i = 0; i < moe.size(); i++) {
            moe.get(i).setReplay(t, i);
        }
        trace = t;
    }

    /** The trace being replayed, or null. */
    public RoutingTrace routingTrace() {
        return trace;
    }

    /** Sets the experts per token of every MoE block (1..experts; at most the k of a replayed trace). */
    public void setTopK(int k) {
        if (!config.isMoe()) {
            throw new IllegalArgumentException("topK=" + k + " given for dense model '" + config.name() + "': it has no experts");
        }
        for (MoeFeedForward moe : moeLayers()) {
            moe.setTopK(k);
        }
    }

    /**
     * Runs a prefill of {@code ids} (S, T) with autograd off and returns the experts every MoE block
     * chose for every token, as a trace of S sequences × T positions at the blocks' topK (in the
     * current routing: the router's own unless set otherwise). The caller owns the pointer scope.
     *
     * @param source what the trace will be called in messages (its file)
     */
    public RoutingTrace recordRouting(Tensor ids, String source) {
        List<MoeFeedForward> moe = moeLayers();
        if (moe.isEmpty()) {
            throw new IllegalArgumentException("model '" + config.name() + "' is dense: it has no routing to record");
        }
        if (activeBlocks != blocks.length) {
            throw new IllegalStateException("model '" + config.name() + "' runs " + activeBlocks + " of " + blocks.length
                    + " blocks; a routing trace records every MoE layer, so record with all blocks active");
        }
        int[][] choices = new int[moe.size()][];
        int k = moe.get(0).topK();
        try (NoGradGuard noGrad = new NoGradGuard()) {
            moe.forEach(m -> m.setRecording(true));
            forward(ids, null);
            for (int i = 0; i < moe.size(); i++) {
                long[] r = moe.get(i).recorded();
                choices[i] = new int[r.length];
                for (int j = 0; j < r.length; j++) {
                    choices[i][j] = (int) r[j];
                }
            }
        } finally {
            moe.forEach(m -> m.setRecording(false));
        }
        return new RoutingTrace(source, config.experts(), k, (int) ids.size(0), (int) ids.size(1), choices);
    }

    /** The MoE feed-forwards, one per block; empty for a dense model. */
    public List<MoeFeedForward> moeLayers() {
        return moeLayers;
    }

    /** Routing of the latest forward over the active MoE blocks; null for a dense model or before a forward. */
    public RoutingStats lastRouting() {
        List<long[]> counts = new ArrayList<>();
        List<MoeFeedForward> moe = moeLayers();
        for (int i = 0; i < Math.min(activeBlocks, moe.size()); i++) {
            long[] c = moe.get(i).lastCounts(); // read-only here: no copy on the benchmark's path
            if (c == null) {
                return null;
            }
            counts.add(c);
        }
        return counts.isEmpty() ? null : RoutingStats.of(counts);
    }

    /**
     * Logits for every position of {@code idx}.
     *
     * @param idx   (B, T) token ids
     * @param cache null for a cache-free pass; else tokens are appended after {@code cache.length()}
     * @return (B, T, V)
     */
    public Tensor forward(Tensor idx, KvCache cache) {
        return forwardEmbeddings(embed(idx), cache);
    }

    /** Token embeddings of {@code idx} (B, T) → (B, T, d), without positions. */
    public Tensor embed(Tensor idx) {
        try (Components.Span s = Components.span(Components.EMBEDDING)) {
            return torch.embedding(wte, idx);
        }
    }

    /**
     * Logits for input embeddings instead of ids: the entry point of a multimodal prefill, whose
     * sequence is projected vision tokens followed by text-token embeddings ({@link #embed}).
     * Learned position embeddings are added here, as for ids; rotary ones in the blocks.
     *
     * @param x     (B, T, d) input embeddings
     * @param cache as in {@link #forward}
     * @return (B, T, V)
     */
    public Tensor forwardEmbeddings(Tensor x, KvCache cache) {
        if (x.dim() != 3 || x.size(2) != config.dModel()) {
            throw new IllegalArgumentException("input embeddings must be (B, T, " + config.dModel() + ") for model '"
                    + config.name() + "', got " + Arrays.toString(x.sizes().vec().get()));
        }
        long t = x.size(1);
        int pos = cache == null ? 0 : cache.length();
        if (pos + t > config.maxSeq()) {
            throw new IllegalArgumentException("sequence of " + (pos + t) + " tokens exceeds maxSeq="
                    + config.maxSeq() + " of model '" + config.name() + "'");
        }
        if (wpe != null) {
            try (Components.Span s = Components.span(Components.EMBEDDING)) {
                x = x.add(wpe.narrow(0, pos, t));                           // (B, T, d)
            }
        }
        if (trace != null) {
            moeLayers.forEach(m -> m.replayFrom(pos));
        }
        for (int i = 0; i < activeBlocks; i++) {
            Components.layer(i);
            x = blocks[i].forward(x, cache, i, pos);
        }
        Components.layer(-1);
        if (cache != null) {
            cache.advance(t);
        }
        Tensor h = lnF.forward(x);
        try (Components.Span s = Components.span(Components.LM_HEAD)) {
            return Ops.linear(CostModel.LM_HEAD, h, lmHead);                // (B, T, V)
        }
    }
}

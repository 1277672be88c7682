package knobs.benchmarks;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import knobs.harness.BatchFit;
import knobs.harness.ComputeDevice;
import knobs.harness.Harness;
import knobs.harness.MemoryBudget;
import knobs.harness.ModelStep;
import knobs.harness.RoutingSource;
import knobs.harness.RoutingTraceFile;
import knobs.harness.TokenFile;
import knobs.kernels.CostModel;
import knobs.kernels.FlopCounter;
import knobs.kernels.Gpt;
import knobs.kernels.Inputs;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.ModelConfig;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.MoeFeedForward;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import knobs.kernels.RoutingTrace;
import knobs.kernels.checkpoint.DType;
import knobs.kernels.checkpoint.Family;
import knobs.kernels.checkpoint.LoadPlan;
import knobs.kernels.checkpoint.TensorInfo;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDictItem;
import org.bytedeco.pytorch.StringTensorDictItemVector;

/**
 * Prints what a model is and what one step of it costs, and checks that the MoE knobs really take
 * effect. Replaces the inspect/verify scripts of the original experiments:
 * <pre>java -cp benchmarks/target/benchmarks.jar knobs.benchmarks.Inspect --model moe-cpu --topk 2</pre>
 * With {@code --record-routing FILE} it also records the experts the model's router chooses for
 * every token of a prefill (of {@code --tokens FILE}, a real prompt, or of random ids) into a routing
 * trace, to be replayed with {@code MoeTopK -p routing=trace:FILE}.
 */
public final class Inspect {
    private static final String USAGE = String.join("\n",
            "usage: java -cp benchmarks.jar knobs.benchmarks.Inspect --model NAME|DIR [options]",
            "  --model NAME|DIR    a preset (" + String.join(", ", Presets.all().keySet()) + ")",
            "                      or a Hugging Face model folder (config.json + safetensors; " + Family.supportedModelTypes() + ")",
            "  --tokens N|FILE     prompt tokens per sequence (default 128), or a file of token ids (one sequence",
            "                      per line, or a JSON array): its first --batch sequences (default all), cut to the",
            "                      shortest of them",
            "  --phase P           prefill | decode (default prefill)",
            "  --batch B           sequences (default 1; with a token file, all its sequences)",
            "  --topk K            experts per token, MoE models only (default: the preset's)",
            "  --routing R         router | balanced | skewed | trace:FILE (default router)",
            "  --record-routing F  record the experts chosen for every token of a prefill of the prompt",
            "                      into the routing trace F (replay: MoeTopK -p routing=trace:F)",
            "  --fit-batch BYTES   find the largest batch fitting BYTES (suffix k, m, g), confirmed by running it",
            "  --no-run            print the analytic part only (no model is built)");

    private Inspect() {
    }

    public static void main(String[] args) {
        try {
            run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("inspect: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }
    }

    static void run(String[] args, PrintStream out) {
        Map<String, String> opt = parse(args);
        if (!opt.containsKey("model")) {
            throw new IllegalArgumentException("--model is required");
        }
        ModelSource source = Models.resolve(opt.get("model"));
        if (opt.containsKey("topk")) {
            source = source.withTopK(intOption(opt, "topk", 0));
        }
        ModelConfig c = source.config();
        Phase phase = Phase.parse(opt.getOrDefault("phase", "prefill"));
        TokenFile file = tokenFile(opt.get("tokens"));
        int batch = file != null && !opt.containsKey("batch") ? file.sequences() : intOption(opt, "batch", 1);
        int tokens;
        if (file != null) {
            int longest = c.maxSeq() - (phase == Phase.DECODE ? 1 : 0);
            if (batch > file.sequences()) {
                throw new IllegalArgumentException("--batch " + batch + " is not allowed: " + opt.get("tokens") + " holds "
                        + file.sequences() + " sequence(s)");
            }
            tokens = Math.min(file.shortestOf(batch), longest);
            if (tokens < 1) {
                throw new IllegalArgumentException("--tokens " + opt.get("tokens") + ": an empty sequence among the first " + batch);
            }
            ModelStep.checkTokens(file, c, phase, batch, "--tokens", tokens);
        } else {
            tokens = intOption(opt, "tokens", 128);
        }
        RoutingSource routing = RoutingSource.parse(opt.getOrDefault("routing", "router"));
        routing.check(c, c.isMoe() ? c.topK() : 0, batch, tokens + (phase == Phase.DECODE ? 1 : 0));
        String record = opt.get("record-routing");
        if (record != null && !c.isMoe()) {
            throw new IllegalArgumentException("--record-routing: model '" + c.name() + "' is dense: it has no routing to record");
        }

        out.println("model " + c);
        out.println("source: " + source.describe());
        out.println("architecture: " + c.architecture());
        if (source.isCheckpoint()) {
            printCheckpoint(source.checkpoint(), out);
        }
        if (file != null) {
            out.println("prompt: " + batch + " sequence(s) of " + tokens + " ids from " + opt.get("tokens")
                    + (tokens < file.shortestOf(batch) ? " (cut to the model's maxSeq)" : ""));
        }
        out.println();
        out.println("parameters by component (analytic):");
        c.parameterBreakdown().forEach((k, v) -> out.printf(Locale.ROOT, "  %-14s %,16d%n", k, v));
        out.printf(Locale.ROOT, "  %-14s %,16d  (%s in fp32, %s in bf16/fp16)%n", "total", c.parameterCount(),
                MemoryEstimate.gb(4 * c.parameterCount()), MemoryEstimate.gb(2 * c.parameterCount()));
        out.printf(Locale.ROOT, "memory of one %s step, batch %d, %d tokens (fp32): %s%n", phase.name().toLowerCase(Locale.ROOT),
                batch, tokens, MemoryEstimate.of(c, Pass.FORWARD, batch, tokens + 1, Float.BYTES).describe());
        CostModel.Cost cost = CostModel.of(c, phase, batch, tokens, Precision.FP32);
        out.println();
        out.printf(Locale.ROOT, "one %s step, batch %d, %d prompt tokens: analytic FLOPs and bytes (fp32)%n",
                phase.name().toLowerCase(Locale.ROOT), batch, tokens);
        cost.flopsByCategory().forEach((k, v) -> out.printf(Locale.ROOT, "  %-18s %,22d FLOPs%n", k, v));
        out.printf(Locale.ROOT, "  %-18s %,22d FLOPs, %,d bytes, intensity %.2f FLOP/byte%n", "total", cost.flops(),
                cost.bytes(), (double) cost.flops() / cost.bytes());
        out.println("by component (the spans of the component profiler):");
        cost.flopsByComponent().forEach((k, v) -> out.printf(Locale.ROOT, "  %-18s %,22d FLOPs %,16d bytes%n", k, v,
                cost.bytesByComponent().get(k)));
        if (opt.containsKey("no-run")) {
            if (record != null) {
                throw new IllegalArgumentException("--record-routing needs the model run: drop --no-run");
            }
            return;
        }
        Harness.Session session = Harness.setUp("cpu");
        Gpt model = runChecks(source, phase, batch, tokens, routing, file, session.device(), cost, out);
        if (record != null) {
            record(model, opt.get("model"), batch, tokens, routing, file, opt.get("tokens"), record, session.device(), out);
        }
        if (opt.containsKey("fit-batch")) {
            long budget = parseBudget(opt.get("fit-batch"));
            BatchFit.Result r = BatchFit.fit(c, phase, tokens, budget, session.device());
            out.println();
            out.printf(Locale.ROOT, "largest batch within %s: %d (estimate %s, measured peak growth %s, %d run(s))%n",
                    MemoryEstimate.gb(budget), r.batch(), MemoryEstimate.gb(r.estimatedBytes()),
                    MemoryEstimate.gb(r.measuredPeakBytes()), r.runs());
        }
    }

    /**
     * Builds the model, prints its structure, runs one step and checks the counts against the analytic
     * ones; returns the model (its routing set), for a recording.
     */
    private static Gpt runChecks(ModelSource source, Phase phase, int batch, int tokens, RoutingSource routing, TokenFile file,
                                  ComputeDevice device, CostModel.Cost cost, PrintStream out) {
        ModelConfig c = source.config();
        MemoryBudget.require(MemoryEstimate.of(c, Pass.FORWARD, batch, tokens + 1, Float.BYTES), "inspecting model '" + c.name() + "'");
        try (ModelStep step = new ModelStep(source, phase, batch, tokens, device, Precision.FP32, routing::apply, file);
             PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Gpt model = step.model();
            out.println();
            out.println("structure (registered parameters):");
            StringTensorDictItemVector items = model.named_parameters(true).items();
            for (long i = 0; i < items.size(); i++) {
                StringTensorDictItem item = items.get(i);
                out.printf(Locale.ROOT, "  %-32s %s%n", item.key().getString(), java.util.Arrays.toString(item.value().sizes().vec().get()));
            }
            long executed;
            try (FlopCounter counter = FlopCounter.open()) {
                step.run();
                executed = counter.total();
            }
            out.println();
            out.printf(Locale.ROOT, "executed matmul FLOPs %,d vs analytic %,d: %s%n", executed, cost.flops(),
                    executed == cost.flops() ? "match" : "MISMATCH");
            List<MoeFeedForward> moe = model.moeLayers();
            if (!moe.isEmpty()) {
                long n = (long) batch * (phase == Phase.PREFILL ? tokens : 1);
                out.println("routing check (" + routing.knob() + ", topK=" + c.topK() + ", " + n + " tokens):");
                for (int i = 0; i < moe.size(); i++) {
                    long[] counts = moe.get(i).lastTokensPerExpert();
                    long slots = java.util.Arrays.stream(counts).sum();
                    long used = java.util.Arrays.stream(counts).filter(x -> x > 0).count();
                    out.printf(Locale.ROOT, "  layer %d: %.2f experts per token (expected %d), %d of %d experts used, busiest %d tokens%s%n",
                            i, (double) slots / n, c.topK(), used, c.experts(), java.util.Arrays.stream(counts).max().orElse(0),
                            slots == n * c.topK() ? "" : "  <-- topK NOT in effect");
                }
            }
            return model;
        }
    }

    /**
     * Records the routing of a prefill of the prompt (the token file's, or the random ids every
     * benchmark uses, {@code ModelStep.SEED + 1}) and writes it as a routing trace.
     */
    private static void record(Gpt model, String modelSpec, int batch, int tokens, RoutingSource routing, TokenFile file,
                               String tokenPath, String path, ComputeDevice device, PrintStream out) {
        ModelConfig c = model.config();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor ids = (file == null ? Inputs.tokens(ModelStep.SEED + 1, c.vocab(), batch, tokens) : file.ids(batch, 0, tokens))
                    .to(device.torchDevice(), org.bytedeco.pytorch.global.torch.ScalarType.Long);
            RoutingTrace trace = model.recordRouting(ids, path);
            RoutingTraceFile.write(trace, java.nio.file.Path.of(path), modelSpec,
                    file == null ? "random (seed " + (ModelStep.SEED + 1) + ")" : tokenPath);
            out.println();
            out.printf(Locale.ROOT, "recorded routing (%s) of %d MoE layers, %d sequence(s) × %d positions, k=%d, into %s%n",
                    routing.knob(), trace.layers(), trace.sequences(), trace.positions(), trace.k(), path);
            out.printf(Locale.ROOT, "replay: java -jar benchmarks.jar MoeTopK -p model=%s -p routing=trace:%s"
                    + " (topK 1..%d, batch 1..%d, promptLen up to %d for prefill, %d for decode)%n", modelSpec, path, trace.k(),
                    trace.sequences(), trace.positions(), trace.positions() - 1);
        }
    }

    /** The token file of {@code --tokens}, or null when it is a count (or absent). */
    private static TokenFile tokenFile(String value) {
        if (value == null || value.chars().allMatch(Character::isDigit) && !value.isEmpty()) {
            return null;
        }
        java.nio.file.Path path = java.nio.file.Path.of(value);
        if (!java.nio.file.Files.exists(path)) {
            throw new IllegalArgumentException("--tokens " + value + ": no such file; allowed: a count >= 1 or a file of token ids");
        }
        return TokenFile.read(path, "--tokens " + value);
    }

    /** The checkpoint's files and its tensors' bytes on disk by dtype. */
    private static void printCheckpoint(LoadPlan plan, PrintStream out) {
        Map<DType, long[]> byDtype = new TreeMap<>();
        for (TensorInfo t : plan.checkpoint().tensors().values()) {
            long[] n = byDtype.computeIfAbsent(t.dtype(), k -> new long[2]);
            n[0]++;
            n[1] += t.bytes();
        }
        out.println("checkpoint: " + plan.checkpoint().files().size() + " file(s), " + plan.checkpoint().tensors().size()
                + " tensors, " + MemoryEstimate.gb(plan.checkpoint().dataBytes()) + " on disk (memory-mapped while loading)");
        byDtype.forEach((k, v) -> out.printf(Locale.ROOT, "  %-5s %6d tensors %s%n", k, v[0], MemoryEstimate.gb(v[1])));
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opt = new LinkedHashMap<>();
        List<String> valued = List.of("model", "tokens", "phase", "batch", "topk", "routing", "fit-batch", "record-routing");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--no-run")) {
                opt.put("no-run", "");
            } else if (a.startsWith("--") && valued.contains(a.substring(2))) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                opt.put(a.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
        }
        return opt;
    }

    private static int intOption(Map<String, String> opt, String name, int fallback) {
        String v = opt.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " " + v + " is not allowed: must be a whole number >= 1");
        }
    }

    private static long parseBudget(String v) {
        String old = System.getProperty(MemoryBudget.PROPERTY);
        System.setProperty(MemoryBudget.PROPERTY, v);
        try {
            return MemoryBudget.limit().bytes();
        } finally {
            if (old == null) {
                System.clearProperty(MemoryBudget.PROPERTY);
            } else {
                System.setProperty(MemoryBudget.PROPERTY, old);
            }
        }
    }
}

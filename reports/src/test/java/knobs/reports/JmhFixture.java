package knobs.reports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Builds JMH-shaped JSON (as JMH 1.37 {@code -rf json} writes it) and environment sidecars for
 * tests, including a seeded data set for the golden files.
 */
final class JmhFixture {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String JVM_NAME = "OpenJDK 64-Bit Server VM";
    static final String JVM_VERSION = "17.0.15+6-Debian-1deb12u1";

    private JmhFixture() {
    }

    /** Starts one result element. */
    static Run run(String benchmark, String mode, String unit) {
        return new Run(benchmark, mode, unit);
    }

    /** A JSON array of result elements: the content of one JMH result file. */
    static ArrayNode file(Run... runs) {
        ArrayNode array = MAPPER.createArrayNode();
        for (Run run : runs) {
            array.add(run.node);
        }
        return array;
    }

    static void write(Path file, JsonNode node) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            MAPPER.writeValue(file.toFile(), node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A sidecar as the harness writes it. */
    static ObjectNode sidecar(String capturedAt) {
        ObjectNode s = MAPPER.createObjectNode();
        s.put("schema", "knobs-env/1");
        s.put("captured_at", capturedAt);
        s.put("hostname", "bench-1");
        s.put("os", "Linux 6.1.0 amd64");
        s.put("cpu", "AMD EPYC 7B13");
        s.put("cores", 2);
        s.put("jvm", JVM_NAME + " " + JVM_VERSION);
        s.put("libtorch", "2.10.0");
        s.put("presets", "2.10.0-1.5.13");
        s.put("javacpp", "1.5.13");
        s.put("device", "cpu");
        s.put("device_name", "AMD EPYC 7B13");
        s.put("intraop_threads", 2);
        s.put("blas_threads", 2);
        s.put("interop_threads", 2);
        s.put("max_physical_bytes_check", false);
        return s;
    }

    /** One JMH result element under construction. */
    static final class Run {
        final ObjectNode node = MAPPER.createObjectNode();
        private final ObjectNode primary;
        private final ObjectNode secondary;

        private Run(String benchmark, String mode, String unit) {
            node.put("jmhVersion", "1.37");
            node.put("benchmark", benchmark);
            node.put("mode", mode);
            node.put("threads", 1);
            node.put("forks", 2);
            node.put("jvm", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
            node.putArray("jvmArgs").add("-Xmx4g").add("-Dorg.bytedeco.javacpp.maxphysicalbytes=0");
            node.put("jdkVersion", "17.0.15");
            node.put("vmName", JVM_NAME);
            node.put("vmVersion", JVM_VERSION);
            node.put("warmupIterations", 2);
            node.put("warmupTime", "1 s");
            node.put("warmupBatchSize", 1);
            node.put("measurementIterations", 3);
            node.put("measurementTime", "1 s");
            node.put("measurementBatchSize", 1);
            primary = node.putObject("primaryMetric");
            primary.put("score", 1.0);
            primary.put("scoreError", "NaN");
            primary.putArray("scoreConfidence").add("NaN").add("NaN");
            primary.putObject("scorePercentiles").put("0.0", 1.0).put("50.0", 1.0).put("100.0", 1.0);
            primary.put("scoreUnit", unit);
            secondary = node.putObject("secondaryMetrics");
        }

        Run jmhVersion(String version) {
            node.put("jmhVersion", version);
            return this;
        }

        /** Params as name, value pairs; JMH writes every value as a string. */
        Run params(String... nameValue) {
            ObjectNode params = node.has("params") ? (ObjectNode) node.get("params") : node.putObject("params");
            for (int i = 0; i < nameValue.length; i += 2) {
                params.put(nameValue[i], nameValue[i + 1]);
            }
            return this;
        }

        /** Primary raw data: values[fork][iteration]; the score is their mean, as JMH computes it. */
        Run primary(double[][] values) {
            primary.set("rawData", matrix(values));
            double sum = 0;
            int n = 0;
            for (double[] fork : values) {
                for (double v : fork) {
                    sum += v;
                    n++;
                }
            }
            primary.put("score", n == 0 ? 0 : sum / n);
            return this;
        }

        /** Sample-mode raw data: histogram[fork][iteration] = list of {value, count}. */
        Run histogram(double[][][][] histogram) {
            ArrayNode forks = MAPPER.createArrayNode();
            for (double[][][] fork : histogram) {
                ArrayNode iterations = forks.addArray();
                for (double[][] iteration : fork) {
                    ArrayNode pairs = iterations.addArray();
                    for (double[] pair : iteration) {
                        pairs.addArray().add(pair[0]).add((long) pair[1]);
                    }
                }
            }
            primary.set("rawDataHistogram", forks);
            return this;
        }

        /** Replaces a primaryMetric field with arbitrary JSON (for bad-input cases). */
        Run primaryField(String field, JsonNode value) {
            primary.set(field, value);
            return this;
        }

        /** An {@code @AuxCounters(EVENTS)} counter: unit {@code #}, per-iteration totals. */
        Run counter(String name, double[][] totals) {
            return metric(name, "#", totals);
        }

        /** A secondary metric with any unit. */
        Run metric(String name, String unit, double[][] values) {
            ObjectNode m = secondary.putObject(name);
            m.put("score", 1.0);
            m.put("scoreError", "NaN");
            m.putArray("scoreConfidence").add("NaN").add("NaN");
            m.put("scoreUnit", unit);
            m.set("rawData", matrix(values));
            return this;
        }

        /** A secondary metric whose raw data is arbitrary JSON. */
        Run metricRaw(String name, String unit, JsonNode rawData) {
            ObjectNode m = secondary.putObject(name);
            m.put("score", 1.0);
            m.put("scoreUnit", unit);
            m.set("rawData", rawData);
            return this;
        }
    }

    static ArrayNode matrix(double[][] values) {
        ArrayNode forks = MAPPER.createArrayNode();
        for (double[] fork : values) {
            ArrayNode iterations = forks.addArray();
            for (double v : fork) {
                iterations.add(v);
            }
        }
        return forks;
    }

    /**
     * The golden data set, from a seeded {@link Random}: MoeTopK (avgt, 4 param sets, aux counters,
     * a gc metric, one deliberately noisy row), SeqLenScaling (thrpt), Calibration gemm (two sizes)
     * and copy, and two sidecars that differ only in {@code captured_at}. 2 forks × 3 iterations.
     */
    static void writeGoldenInputs(Path dir) {
        Random random = new Random(20261123L);
        ArrayNode moe = MAPPER.createArrayNode();
        for (String phase : new String[] {"prefill", "decode"}) {
            for (int topK : new int[] {1, 8}) {
                double latencyMs = (phase.equals("prefill") ? 40 : 4) * (1 + 0.15 * topK);
                double noise = topK == 8 && phase.equals("decode") ? 0.30 : 0.02;
                double flopsPerOp = (phase.equals("prefill") ? 1.0e9 : 1.6e7) * (1 + 0.5 * topK);
                double bytesPerOp = 3.2e7 * (1 + 0.25 * topK);
                double tokensPerOp = phase.equals("prefill") ? 128 : 1;
                Run run = run("knobs.benchmarks.MoeTopK.forward", "avgt", "ms/op")
                        .params("topK", Integer.toString(topK), "phase", phase);
                double[][] latency = latencies(random, latencyMs, noise);
                double[][] ops = opsPerIteration(latency, 1e-3);
                run.primary(latency)
                        .counter("ops", ops)
                        .counter("flops", scaled(ops, flopsPerOp))
                        .counter("bytes", scaled(ops, bytesPerOp))
                        .counter("tokens", scaled(ops, tokensPerOp))
                        .metric("gc.alloc.rate", "MB/sec", latencies(random, 12.5, 0.1));
                if (phase.equals("prefill")) {
                    run.counter("prefillNs", scaled(ops, latencyMs * 1e6 * 0.9));
                }
                moe.add(run.node);
            }
        }
        write(dir.resolve("moe.json"), moe);

        ArrayNode seqLen = MAPPER.createArrayNode();
        for (int len : new int[] {64, 512}) {
            double opsPerMs = 2.0 / (len / 64.0);
            double[][] rate = latencies(random, opsPerMs, 0.03);
            double[][] ops = new double[2][3];
            for (int f = 0; f < 2; f++) {
                for (int i = 0; i < 3; i++) {
                    ops[f][i] = Math.round(rate[f][i] * 1000);
                }
            }
            seqLen.add(run("knobs.benchmarks.SeqLenScaling.prefill", "thrpt", "ops/ms")
                    .params("seqLen", Integer.toString(len))
                    .primary(rate)
                    .counter("ops", ops)
                    .counter("flops", scaled(ops, 3.0e5 * len))
                    .counter("tokens", scaled(ops, len)).node);
        }
        write(dir.resolve("seqlen.json"), seqLen);

        ArrayNode calibration = MAPPER.createArrayNode();
        for (int size : new int[] {1024, 2048}) {
            double flopsPerOp = 2.0 * size * size * size;
            double[][] latency = latencies(random, flopsPerOp / 1.0e11 * 1e3, 0.01);
            double[][] ops = opsPerIteration(latency, 1e-3);
            calibration.add(run("knobs.benchmarks.Calibration.gemm", "avgt", "ms/op")
                    .params("size", Integer.toString(size))
                    .primary(latency)
                    .counter("ops", ops)
                    .counter("flops", scaled(ops, flopsPerOp)).node);
        }
        double copyBytes = 2.0 * 256 * 1024 * 1024;
        double[][] copyLatency = latencies(random, copyBytes / 2.0e10 * 1e3, 0.01);
        double[][] copyOps = opsPerIteration(copyLatency, 1e-3);
        calibration.add(run("knobs.benchmarks.Calibration.copy", "avgt", "ms/op")
                .primary(copyLatency)
                .counter("ops", copyOps)
                .counter("bytes", scaled(copyOps, copyBytes)).node);
        write(dir.resolve("calibration.json"), calibration);

        write(dir.resolve("knobs-env/env-1001.json"), sidecar("2026-11-23T12:00:00Z"));
        write(dir.resolve("knobs-env/env-1002.json"), sidecar("2026-11-23T12:05:00Z"));
    }

    /** Ceilings of the analysis data set: FLOP/s and bytes/s its Calibration rows measure. */
    static final double FLOPS_CEILING = 1e11;
    static final double BYTES_CEILING = 2e10;

    /**
     * Per-op quantities of one configuration of the analysis data set, and its time.
     *
     * @param counters per-op counter values (flops, bytes, tokens, component ns, routing), by name
     */
    record Config(String benchmark, String[] params, double ms, double noise, Map<String, Double> counters) {
    }

    /** Roofline time in ms of a configuration with these per-op FLOPs and bytes at the data set's ceilings. */
    static double rooflineMs(double flops, double bytes) {
        return Math.max(flops / FLOPS_CEILING, bytes / BYTES_CEILING) * 1e3;
    }

    private static Map<String, Double> counters(Object... nameValue) {
        Map<String, Double> map = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            map.put((String) nameValue[i], ((Number) nameValue[i + 1]).doubleValue());
        }
        return map;
    }

    /**
     * The analysis data set, from a seeded {@link Random}: every knob benchmark with times built from
     * a known roofline plus overheads, so that each analysis has something to say and each
     * bottleneck rule fires somewhere (and stays quiet elsewhere). Ceilings 1e11 FLOP/s and
     * 2e10 B/s (ridge 5 FLOP/byte). 2 forks × 3 iterations, 2 % noise unless stated.
     *
     * <ul>
     *   <li>SeqLenScaling.prefill: compute-bound, efficiency falls beyond seqLen 256 (poor_scaling);
     *       plus SeqLenScaling.tokenize without a seqLen param (skipped).</li>
     *   <li>ContextScaling.forward: vision + projector + prefill components, visionTokens; crops=8 noisy.</li>
     *   <li>OutputTokens.generate: flat prefill + 5 ms per decoded token (10 ms beyond 50), memory-bound.</li>
     *   <li>BlocksMask.forward: prefill and decode, linear in blocks.</li>
     *   <li>BatchSize.forward: 20 ms fixed cost, far below both ceilings (overhead_bound).</li>
     *   <li>MoeTopK.forward: 64 experts; decode overhead-bound in FLOPs; prefill routing skewed at topK 4, 8.</li>
     *   <li>ModelSize.step: forward / forward_backward / train_step; 'large' backward 1.5× too slow.</li>
     * </ul>
     */
    static List<Config> analysisConfigs() {
        List<Config> c = new ArrayList<>();
        // Calibration: the ceilings. gemm 2048 is a little slower than 1024; the ceiling is the best.
        for (int n : new int[] {1024, 2048}) {
            double flops = 2.0 * n * n * n;
            c.add(new Config("Calibration.gemm", new String[] {"gemmSize", Integer.toString(n)},
                    flops / (n == 1024 ? FLOPS_CEILING : 0.9 * FLOPS_CEILING) * 1e3, 0.005,
                    counters("flops", flops, "bytes", 3.0 * n * n * 4, "tokens", 0)));
        }
        double copy = 2.0 * 256 * 1024 * 1024;
        c.add(new Config("Calibration.copy", new String[] {}, copy / BYTES_CEILING * 1e3, 0.005,
                counters("flops", 0, "bytes", copy, "tokens", 0)));

        for (int n : new int[] {64, 128, 256, 512, 1024, 2048}) {
            double flops = 2e7 * n + 4e3 * (double) n * n;
            double bytes = 1e8 + 1e5 * n;
            double efficiency = n <= 256 ? 1 : 1 + 0.5 * (Math.log(n / 256.0) / Math.log(2));
            double ms = Math.max(flops / FLOPS_CEILING * 1e3 * efficiency, bytes / BYTES_CEILING * 1e3) + 1;
            c.add(new Config("SeqLenScaling.prefill", new String[] {"batch", "1", "seqLen", Integer.toString(n)}, ms, 0.02,
                    counters("flops", flops, "bytes", bytes, "tokens", n)));
        }
        c.add(new Config("SeqLenScaling.tokenize", new String[] {"batch", "1"}, 0.5, 0.02, counters()));

        for (int crops : new int[] {1, 2, 4, 8}) {
            double vision = 3e6 * crops;
            double projector = 0.5e6 * crops;
            double prefill = 10e6 + 2e6 * crops;
            double ms = (vision + projector + prefill) * 1e-6 + 1;
            c.add(new Config("ContextScaling.forward", new String[] {"crops", Integer.toString(crops)}, ms,
                    crops == 8 ? 0.3 : 0.02,
                    counters("flops", 1e8 * crops + 2e8, "bytes", 2e8 + 2e7 * crops, "tokens", 576 * crops + 32,
                            "visionTokens", 576 * crops, "visionNs", vision, "projectorNs", projector, "prefillNs", prefill)));
        }

        for (int n : new int[] {1, 5, 10, 20, 50, 100, 200}) {
            double prefill = 30e6;
            // 5 ms per token, 10 ms beyond 50 tokens (as if the KV cache left the cache): a regime change.
            double decode = 5e6 * n + 5e6 * Math.max(0, n - 50);
            c.add(new Config("OutputTokens.generate", new String[] {"maxNewTokens", Integer.toString(n)},
                    (prefill + decode) * 1e-6 + 0.5, 0.02,
                    counters("flops", 2e9 + 1.5e7 * n, "bytes", 3e8 + 5e7 * n, "tokens", 128 + n,
                            "prefillNs", prefill, "decodeNs", decode)));
        }

        for (String phase : new String[] {"prefill", "decode"}) {
            for (int b : new int[] {1, 2, 4, 8}) {
                boolean prefill = phase.equals("prefill");
                double flops = prefill ? 5e8 * b + 2e8 : 4e6 * b + 1e6;
                double bytes = prefill ? 3e7 * b + 5e7 : 3e7 * b + 2e7;
                double ms = prefill ? rooflineMs(flops, bytes) + 3 : bytes / BYTES_CEILING * 1e3 + 0.4 * b + 1;
                c.add(new Config("BlocksMask.forward", new String[] {"activeBlocks", Integer.toString(b), "phase", phase},
                        ms, 0.02, counters("flops", flops, "bytes", bytes, "tokens", prefill ? 128 : 1)));
            }
        }

        for (int b : new int[] {1, 2, 4, 8, 16}) {
            double flops = 1e7 * b;
            double bytes = 5e7 + 1e5 * b;
            c.add(new Config("BatchSize.forward", new String[] {"batchSize", Integer.toString(b)},
                    rooflineMs(flops, bytes) + 20, 0.02, counters("flops", flops, "bytes", bytes, "tokens", b)));
        }

        double[] prefillImbalance = {3.2, 2.5, 4.0, 6.0};
        int i = 0;
        for (int k : new int[] {1, 2, 4, 8}) {
            double pf = 1e9 + 2.5e8 * k;
            double pb = 1.5e8 + 1.5e7 * k;
            c.add(new Config("MoeTopK.forward", new String[] {"model", "moe-fixture", "phase", "prefill", "topK", Integer.toString(k)},
                    rooflineMs(pf, pb) + 15 + k, 0.02,
                    counters("flops", pf, "bytes", pb, "tokens", 128, "expertsHit", 4 * Math.min(64, 40 * k),
                            "routingImbalance", prefillImbalance[i++])));
            double df = 2e7 + 5e6 * k;
            double db = 4e7 + 1e7 * k;
            c.add(new Config("MoeTopK.forward", new String[] {"model", "moe-fixture", "phase", "decode", "topK", Integer.toString(k)},
                    db / BYTES_CEILING * 1e3 + 14 + 0.1 * k, 0.02,
                    counters("flops", df, "bytes", db, "tokens", 1, "expertsHit", 4 * k, "routingImbalance", 64.0 / k)));
        }

        String[] sizes = {"small", "medium", "large"};
        double[] forwardFlops = {1e9, 3e9, 8e9};
        double[] forwardBytes = {5e8, 1.4e9, 3.6e9};
        for (int s = 0; s < sizes.length; s++) {
            double f = forwardFlops[s];
            double b = forwardBytes[s];
            double forward = rooflineMs(f, b) + 2;
            double backwardFactor = sizes[s].equals("large") ? 4.5 : 3;
            double both = forward * backwardFactor;
            double train = both + 4 * b / BYTES_CEILING * 1e3;
            c.add(new Config("ModelSize.step", new String[] {"pass", "forward", "size", sizes[s]}, forward, 0.02,
                    counters("flops", f, "bytes", b, "tokens", 512)));
            c.add(new Config("ModelSize.step", new String[] {"pass", "forward_backward", "size", sizes[s]}, both, 0.02,
                    counters("flops", 3 * f, "bytes", 2.5 * b, "tokens", 512)));
            c.add(new Config("ModelSize.step", new String[] {"pass", "train_step", "size", sizes[s]}, train, 0.02,
                    counters("flops", 3 * f, "bytes", 4 * b, "tokens", 512)));
        }
        return c;
    }

    /** Writes configurations as JMH results (avgt, ms/op, aux counters as iteration totals). */
    static ArrayNode results(Random random, List<Config> configs) {
        ArrayNode array = MAPPER.createArrayNode();
        for (Config config : configs) {
            double[][] latency = latencies(random, config.ms(), config.noise());
            double[][] ops = opsPerIteration(latency, 1e-3);
            Run run = run("knobs.benchmarks." + config.benchmark(), "avgt", "ms/op").params(config.params()).primary(latency);
            if (!config.counters().isEmpty()) {
                run.counter("ops", ops);
            }
            config.counters().forEach((name, perOp) -> run.counter(name, scaled(ops, perOp)));
            array.add(run.node);
        }
        return array;
    }

    /**
     * Writes the analysis data set into {@code dir}: {@code calibration.json} (the Calibration rows)
     * and {@code knobs.json} (everything else), plus one sidecar.
     */
    static void writeAnalysisInputs(Path dir) {
        Random random = new Random(20261124L);
        List<Config> all = analysisConfigs();
        write(dir.resolve("calibration.json"), results(random,
                all.stream().filter(x -> x.benchmark().startsWith("Calibration.")).toList()));
        write(dir.resolve("knobs.json"), results(random,
                all.stream().filter(x -> !x.benchmark().startsWith("Calibration.")).toList()));
        write(dir.resolve("knobs-env/env-2001.json"), sidecar("2026-11-24T09:00:00Z"));
    }

    /** Invocations per iteration in {@link #exact} runs. */
    static final double EXACT_OPS = 100;

    /**
     * A run whose per-op counters are exact: one fork, one iteration per sample (ms/op), 100
     * invocations per iteration, each counter {@code perOp} × 100 per iteration.
     *
     * @param params name, value pairs
     */
    static Run exact(String benchmark, double[] ms, Map<String, Double> perOp, String... params) {
        double[][] ops = new double[1][ms.length];
        Arrays.fill(ops[0], EXACT_OPS);
        Run run = run("knobs.benchmarks." + benchmark, "avgt", "ms/op").params(params).primary(new double[][] {ms});
        if (!perOp.isEmpty()) {
            run.counter("ops", ops);
        }
        perOp.forEach((name, v) -> run.counter(name, scaled(ops, v)));
        return run;
    }

    /** {@link #exact} with one time for three samples. */
    static Run exact(String benchmark, double ms, Map<String, Double> perOp, String... params) {
        return exact(benchmark, new double[] {ms, ms, ms}, perOp, params);
    }

    /** Per-op counters from name, value pairs. */
    static Map<String, Double> perOp(Object... nameValue) {
        return counters(nameValue);
    }

    /** Calibration rows measuring exactly these ceilings (a 1e9-FLOP GEMM and a 1e9-byte copy). */
    static Run[] calibration(double flopsPerS, double bytesPerS) {
        return new Run[] {
                exact("Calibration.gemm", 1e9 / flopsPerS * 1e3, perOp("flops", 1e9, "bytes", 1.2e7)),
                exact("Calibration.copy", 1e9 / bytesPerS * 1e3, perOp("flops", 0, "bytes", 1e9))};
    }

    /** values[fork][iteration] around {@code center}, relative spread {@code noise}, 2 × 3. */
    static double[][] latencies(Random random, double center, double noise) {
        double[][] v = new double[2][3];
        for (int f = 0; f < 2; f++) {
            for (int i = 0; i < 3; i++) {
                v[f][i] = center * (1 + noise * (2 * random.nextDouble() - 1));
            }
        }
        return v;
    }

    /** Invocations in a one-second iteration of the given per-op time (time unit × unitSeconds). */
    static double[][] opsPerIteration(double[][] latency, double unitSeconds) {
        double[][] ops = new double[latency.length][];
        for (int f = 0; f < latency.length; f++) {
            ops[f] = new double[latency[f].length];
            for (int i = 0; i < latency[f].length; i++) {
                ops[f][i] = Math.max(1, Math.round(1.0 / (latency[f][i] * unitSeconds)));
            }
        }
        return ops;
    }

    static double[][] scaled(double[][] ops, double perOp) {
        double[][] totals = new double[ops.length][];
        for (int f = 0; f < ops.length; f++) {
            totals[f] = new double[ops[f].length];
            for (int i = 0; i < ops[f].length; i++) {
                totals[f][i] = ops[f][i] * perOp;
            }
        }
        return totals;
    }

    // The comparison data set: compare, history and export.

    /**
     * One configuration of the comparison data set.
     *
     * @param benchmark JMH's full name
     * @param unit      ms/op (avgt) or ops/ms (thrpt)
     * @param center    the median time (ms) or rate (ops/ms) on the reference machine
     * @param noise     relative spread of the samples (uniform ± noise)
     * @param perOp     per-op counters
     */
    record Planned(String benchmark, String mode, String unit, String[] params, double center, double noise,
                   Map<String, Double> perOp) {

        /** {@code MoeTopK.forward phase=decode topK=8}: how scenarios name a configuration. */
        String label() {
            String simple = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
            StringBuilder sb = new StringBuilder(simple);
            for (int i = 0; i < params.length; i += 2) {
                sb.append(' ').append(params[i]).append('=').append(params[i + 1]);
            }
            return sb.toString();
        }
    }

    /** Labels of the comparison data set used by the scenarios. */
    static final String DECODE_8 = "MoeTopK.forward phase=decode topK=8";
    static final String PREFILL_1 = "MoeTopK.forward phase=prefill topK=1";
    static final String NOISY = "SeqLenScaling.prefill seqLen=64";
    static final String BLOCKS_8 = "BlocksMask.forward activeBlocks=8 phase=decode";
    static final String BLOCKS_4 = "BlocksMask.forward activeBlocks=4 phase=decode";

    /**
     * The configurations: Calibration (1e11 FLOP/s, 1e10 B/s on the reference machine), MoeTopK prefill
     * (compute-bound) and decode (memory-bound) at topK 1 and 8, a throughput-mode SeqLenScaling row with
     * ± 35 % spread (the noisy one), and two BlocksMask rows that the scenarios give to one side only.
     */
    static List<Planned> comparisonConfigs() {
        List<Planned> c = new ArrayList<>();
        double gemm = 2.0 * 1024 * 1024 * 1024;
        c.add(new Planned("knobs.benchmarks.Calibration.gemm", "avgt", "ms/op", new String[] {"gemmSize", "1024"},
                gemm / 1e11 * 1e3, 0.01, perOp("flops", gemm, "bytes", 1.26e7)));
        double copy = 2.0 * 64 * 1024 * 1024;
        c.add(new Planned("knobs.benchmarks.Calibration.copy", "avgt", "ms/op", new String[] {"copyMiB", "64"},
                copy / 1e10 * 1e3, 0.01, perOp("flops", 0, "bytes", copy)));
        for (int k : new int[] {1, 8}) {
            c.add(new Planned("knobs.benchmarks.MoeTopK.forward", "avgt", "ms/op",
                    new String[] {"phase", "prefill", "topK", Integer.toString(k)}, 40 + 20 * (k - 1) / 7.0, 0.02,
                    perOp("flops", 1.5e9 + 2e8 * k, "bytes", 1e8, "tokens", 128)));
            c.add(new Planned("knobs.benchmarks.MoeTopK.forward", "avgt", "ms/op",
                    new String[] {"phase", "decode", "topK", Integer.toString(k)}, 4 + 2 * (k - 1) / 7.0, 0.02,
                    perOp("flops", 2e7, "bytes", 3e7 + 1e6 * k, "tokens", 1, "expertsHit", 4.0 * k)));
        }
        c.add(new Planned("knobs.benchmarks.SeqLenScaling.prefill", "thrpt", "ops/ms", new String[] {"seqLen", "64"},
                0.5, 0.35, perOp("flops", 1e8)));
        c.add(new Planned("knobs.benchmarks.BlocksMask.forward", "avgt", "ms/op",
                new String[] {"activeBlocks", "8", "phase", "decode"}, 10, 0.02, perOp("flops", 1e7, "bytes", 4e7)));
        c.add(new Planned("knobs.benchmarks.BlocksMask.forward", "avgt", "ms/op",
                new String[] {"activeBlocks", "4", "phase", "decode"}, 7, 0.02, perOp("flops", 5e6, "bytes", 2e7)));
        return c;
    }

    /**
     * One seeded run of the comparison data set, 2 forks × 5 iterations per configuration.
     *
     * @param speed   every time × speed, Calibration included (0.8: a machine 25 % faster)
     * @param factors per-configuration time factors by label, on top of speed (1.2: 20 % slower)
     * @param omit    labels of configurations this run does not have
     */
    static ArrayNode comparisonRun(long seed, double speed, Map<String, Double> factors, Set<String> omit) {
        Random random = new Random(seed);
        ArrayNode array = MAPPER.createArrayNode();
        for (Planned p : comparisonConfigs()) {
            if (omit.contains(p.label())) {
                continue;
            }
            double factor = speed * factors.getOrDefault(p.label(), 1.0);
            boolean rate = p.unit().startsWith("ops/");
            double center = rate ? p.center() / factor : p.center() * factor;
            double[][] values = latencies(random, center, p.noise(), 2, 5);
            double[][] ops = new double[2][5];
            for (int f = 0; f < 2; f++) {
                for (int i = 0; i < 5; i++) {
                    // One-second iterations: ops/ms × 1000, or 1000 ms / (ms per op).
                    ops[f][i] = Math.max(1, Math.round(rate ? values[f][i] * 1000 : 1000 / values[f][i]));
                }
            }
            Run run = run(p.benchmark(), p.mode(), p.unit()).params(p.params()).primary(values).counter("ops", ops);
            p.perOp().forEach((name, v) -> run.counter(name, scaled(ops, v)));
            array.add(run.node);
        }
        return array;
    }

    /** values[fork][iteration] around {@code center}, relative spread {@code noise}. */
    static double[][] latencies(Random random, double center, double noise, int forks, int iterations) {
        double[][] v = new double[forks][iterations];
        for (int f = 0; f < forks; f++) {
            for (int i = 0; i < iterations; i++) {
                v[f][i] = center * (1 + noise * (2 * random.nextDouble() - 1));
            }
        }
        return v;
    }

    /**
     * Writes the comparison scenarios, one folder each, every run with its sidecar:
     * <ul>
     *   <li>{@code base/run.json}: the baseline (seed 11), without {@link #BLOCKS_4};</li>
     *   <li>{@code aa/run.json}: the same code again (seed 12): an A/A pair with {@code base};</li>
     *   <li>{@code ab/}: a sweep folder (seed 13) with {@link #DECODE_8} 20 % slower, {@link #PREFILL_1} 5 % slower,
     *       {@link #BLOCKS_8} failed (a failure record and its log) and {@link #BLOCKS_4} new;</li>
     *   <li>{@code fast/run.json}: the baseline's code on a machine 25 % faster (seed 14).</li>
     * </ul>
     */
    static void writeComparisonInputs(Path dir) {
        write(dir.resolve("base/run.json"), comparisonRun(11, 1, Map.of(), Set.of(BLOCKS_4)));
        write(dir.resolve("base/knobs-env/env-1.json"), sidecar("2026-11-20T10:00:00Z"));
        write(dir.resolve("aa/run.json"), comparisonRun(12, 1, Map.of(), Set.of(BLOCKS_4)));
        write(dir.resolve("aa/knobs-env/env-1.json"), sidecar("2026-11-21T10:00:00Z"));
        write(dir.resolve("ab/results/3f2a9c0d1e4b5a6c.json"),
                comparisonRun(13, 1, Map.of(DECODE_8, 1.2, PREFILL_1, 1.05), Set.of(BLOCKS_8)));
        write(dir.resolve("ab/results/knobs-env/env-1.json"), sidecar("2026-11-22T10:00:00Z"));
        write(dir.resolve("ab/failed/9e8d7c6b5a4f3e2d.json"), "{\"id\": \"9e8d7c6b5a4f3e2d\","
                + " \"benchmark\": \"knobs.benchmarks.BlocksMask.forward\","
                + " \"params\": {\"activeBlocks\": \"8\", \"phase\": \"decode\"},"
                + " \"reason\": \"java.lang.OutOfMemoryError: Java heap space\", \"log\": \"logs/9e8d7c6b5a4f3e2d.log\"}\n");
        write(dir.resolve("ab/logs/9e8d7c6b5a4f3e2d.log"), "java.lang.OutOfMemoryError: Java heap space\n");
        write(dir.resolve("fast/run.json"), comparisonRun(14, 0.8, Map.of(), Set.of(BLOCKS_4)));
        write(dir.resolve("fast/knobs-env/env-1.json"), sidecar("2026-11-23T10:00:00Z"));
    }

    // The summarize extras: failure records and the noise profiler's metrics.

    /** values[fork][iteration], all {@code v}. */
    static double[][] filled(int forks, int iterations, double v) {
        double[][] m = new double[forks][iterations];
        for (double[] fork : m) {
            Arrays.fill(fork, v);
        }
        return m;
    }

    /**
     * Writes the summarize-extras data set (seed 20261127), 2 forks × 5 iterations of about one second:
     * <ul>
     *   <li>{@code run.json}: MoeTopK.forward topK=1 with the noise metrics, three iterations disturbed
     *       (GC 35 ms in fork 0 iteration 2, JIT 25 ms in fork 0 iteration 0, GC 12 + JIT 12 ms in fork 1
     *       iteration 4) and one below the threshold (GC 5 ms); topK=2 with the metrics, all small;
     *       OutputTokens.generate without them.</li>
     *   <li>{@code failed/}: two failure records of the sweep runner, one with a log in {@code logs/} and
     *       markup in its reason, one timed out without a log file.</li>
     * </ul>
     */
    static void writeExtrasInputs(Path dir) {
        Random random = new Random(20261127L);
        ArrayNode runs = MAPPER.createArrayNode();
        for (int k : new int[] {1, 2}) {
            double[][] latency = latencies(random, 20 + 2 * k, 0.02, 2, 5);
            double[][] ops = opsPerIteration(latency, 1e-3);
            double[][] gc = filled(2, 5, 0);
            double[][] jit = filled(2, 5, 0);
            double[][] gcCount = filled(2, 5, 0);
            if (k == 1) {
                gc[0][2] = 35;
                gcCount[0][2] = 2;
                jit[0][0] = 25;
                gc[1][4] = 12;
                gcCount[1][4] = 1;
                jit[1][4] = 12;
                gc[1][1] = 5;
                gcCount[1][1] = 1;
            } else {
                jit[0][0] = 3;
                gc[1][3] = 2;
                gcCount[1][3] = 1;
            }
            runs.add(run("knobs.benchmarks.MoeTopK.forward", "avgt", "ms/op").params("topK", Integer.toString(k))
                    .primary(latency).counter("ops", ops).counter("flops", scaled(ops, 1e9))
                    // Names and units as knobs.harness.NoiseProfiler writes them.
                    .metric(NoiseMetrics.GC_COUNT, "count", gcCount)
                    .metric(NoiseMetrics.GC_MS, "ms", gc).metric(NoiseMetrics.JIT_MS, "ms", jit).node);
        }
        double[][] latency = latencies(random, 30, 0.02, 2, 5);
        runs.add(run("knobs.benchmarks.OutputTokens.generate", "avgt", "ms/op").params("maxNewTokens", "1")
                .primary(latency).counter("ops", opsPerIteration(latency, 1e-3)).node);
        write(dir.resolve("run.json"), runs);
        write(dir.resolve("knobs-env/env-3001.json"), sidecar("2026-11-27T09:00:00Z"));
        write(dir.resolve("failed/5c0ffee5c0ffee51.json"), "{\"id\": \"5c0ffee5c0ffee51\","
                + " \"benchmark\": \"knobs.benchmarks.BlocksMask.forward\","
                + " \"params\": {\"activeBlocks\": \"8\", \"phase\": \"decode\", \"model\": \"dense-cpu\"},"
                + " \"reason\": \"java.lang.IllegalArgumentException: activeBlocks=8 <b>exceeds</b> the model's 4 blocks\","
                + " \"log\": \"logs/5c0ffee5c0ffee51.log\"}\n");
        write(dir.resolve("logs/5c0ffee5c0ffee51.log"), "java.lang.IllegalArgumentException: activeBlocks=8\n");
        write(dir.resolve("failed/0dd0dd0dd0dd0dd0.json"), "{\"id\": \"0dd0dd0dd0dd0dd0\","
                + " \"benchmark\": \"knobs.benchmarks.SeqLenScaling.prefill\", \"params\": {\"seqLen\": \"4096\"},"
                + " \"reason\": \"timed out after 30m\", \"log\": \"logs/0dd0dd0dd0dd0dd0.log\"}\n");
    }
}

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
import java.util.Random;

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
}

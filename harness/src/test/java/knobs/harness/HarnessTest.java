package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import knobs.kernels.CostModel;
import knobs.kernels.Natives;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HarnessTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void deviceNamesParseOrFailClearly() {
        assertEquals("cpu", ComputeDevice.parse("cpu").toString());
        assertEquals("cpu", ComputeDevice.parse(" CPU ").toString());
        ComputeDevice auto = ComputeDevice.parse("auto");
        assertEquals(torch.cuda_is_available(), auto.isCuda());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse("tpu"));
        assertTrue(bad.getMessage().contains("'tpu'") && bad.getMessage().contains("cpu, cuda, cuda:N, auto"), bad.getMessage());
        if (!torch.cuda_is_available()) {
            IllegalArgumentException noGpu = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse("cuda:0"));
            assertTrue(noGpu.getMessage().contains("no CUDA device"), noGpu.getMessage());
        }
        ComputeDevice.parse("cpu").sync(); // a no-op that must not touch CUDA on a CPU-only build
    }

    @Test
    void threadCountsAreAppliedToBothPoolsAndValidated() {
        Threads.Counts c = Threads.apply(1, 2);
        assertEquals(1, c.intraOp());
        assertEquals(2, c.blas());
        System.setProperty(Threads.BLAS_PROPERTY, "zero");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Threads::configuredBlas);
            assertTrue(e.getMessage().contains("knobs.threads=zero") && e.getMessage().contains("auto, all or"), e.getMessage());
            System.setProperty(Threads.BLAS_PROPERTY, "all");
            assertEquals(Runtime.getRuntime().availableProcessors(), Threads.configuredBlas());
            System.setProperty(Threads.BLAS_PROPERTY, "0");
            assertThrows(IllegalArgumentException.class, Threads::configuredBlas);
            System.setProperty(Threads.BLAS_PROPERTY, "1");
            assertEquals(1, Threads.configuredBlas());
        } finally {
            System.clearProperty(Threads.BLAS_PROPERTY);
        }
        assertEquals(Runtime.getRuntime().availableProcessors(), Threads.configuredBlas());
        assertEquals(1, Threads.configuredIntraOp());
    }

    @Test
    void threadParamsAreCheckedAndMustAgreeWithTheirAliases() {
        int cpus = Runtime.getRuntime().availableProcessors();
        assertEquals(new Threads.Request("auto", "auto"), Threads.Request.ofParams("auto", " auto "));
        assertEquals(new Threads.Request("all", "1"), Threads.Request.ofParams("all", "1"));
        assertEquals(1, Threads.chooseIntraOp("intraOpThreads", "auto", 8), "intra-op auto is 1: two spinning pools starve each other");
        assertEquals(8, Threads.chooseIntraOp("intraOpThreads", "all", 8));
        assertEquals(3, Threads.chooseIntraOp("intraOpThreads", "3", 8));
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> Threads.Request.ofParams("0", "auto"));
        assertTrue(zero.getMessage().startsWith("blasThreads=0 is out of range; allowed: auto, all or 1.." + 4 * cpus), zero.getMessage());
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class, () -> Threads.Request.ofParams("auto", "many"));
        assertTrue(word.getMessage().startsWith("intraOpThreads=many is not allowed; allowed: auto, all or a whole number 1.."), word.getMessage());
        System.setProperty(Threads.BLAS_PROPERTY, "1");
        try {
            assertEquals(new Threads.Request("1", "auto"), Threads.Request.ofParams("1", "auto"), "alias and param agree");
            IllegalArgumentException disagree = assertThrows(IllegalArgumentException.class, () -> Threads.Request.ofParams("auto", "auto"));
            assertTrue(disagree.getMessage().startsWith("-Dknobs.threads=1 and blasThreads=auto disagree"), disagree.getMessage());
            assertEquals(new Threads.Request("1", "auto"), Threads.Request.fromProperties());
        } finally {
            System.clearProperty(Threads.BLAS_PROPERTY);
        }
    }

    @Test
    void autoBlasPolicyLeavesOutTheCoresOthersKeptBusy() {
        assertEquals(2, Threads.chooseBlas(null, 2, 0.05).threads(), "quiet: every processor");
        assertEquals(2, Threads.chooseBlas("auto", 2, 0.4).threads(), "a little background load keeps both");
        assertEquals(1, Threads.chooseBlas("", 2, 1.02).threads(), "one busy neighbour: one thread");
        assertEquals(1, Threads.chooseBlas("auto", 2, 3.5).threads(), "never below 1");
        assertEquals(6, Threads.chooseBlas("auto", 8, 1.9).threads());
        assertEquals(8, Threads.chooseBlas("auto", 8, -0.2).threads(), "a negative estimate counts as none");
        assertEquals(8, Threads.chooseBlas("auto", 8, Double.NaN).threads(), "unknown: every processor");
        assertEquals("auto", Threads.chooseBlas("auto", 2, 1.02).policy());
        assertEquals(new Threads.Blas(2, "all"), Threads.chooseBlas("all", 2, 1.5), "all ignores others");
        assertEquals(new Threads.Blas(3, "fixed"), Threads.chooseBlas("3", 2, 1.5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Threads.chooseBlas("half", 2, 0));
        assertTrue(e.getMessage().contains("-Dknobs.threads=half is not allowed; allowed: auto, all or a whole number 1..8"),
                e.getMessage());
    }

    @Test
    void sidecarIsWrittenOncePerDistinctEnvironment(@TempDir Path dir) throws Exception {
        Environment env = Environment.capture(ComputeDevice.parse("cpu"), Threads.apply(1, 1));
        Path first = env.writeSidecar(dir);
        Path again = env.writeSidecar(dir);
        assertEquals(first, again, "same environment must map to the same file");
        Environment other = Environment.capture(ComputeDevice.parse("cpu"), Threads.apply(1, 2));
        assertFalse(first.equals(other.writeSidecar(dir)));
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
        assertEquals(2, names.size(), "no temp files may be left: " + names);
        JsonNode json = new ObjectMapper().readTree(first.toFile());
        assertEquals(Environment.SCHEMA, json.get("schema").asText());
        assertEquals("2.10.0", json.get("libtorch").asText());
        assertEquals("2.10.0-1.5.13", json.get("presets").asText());
        assertEquals(1, json.get("blas_threads").asInt());
        assertEquals("current", json.get("blas_policy").asText(), "counts read back from the pools carry no policy");
        assertTrue(json.hasNonNull("captured_at"));
        JsonNode contention = json.get("contention");
        assertEquals(Contention.SHARE, contention.get("contended_share").asDouble());
        assertTrue(contention.get("present").isArray() && contention.get("absent").isObject(), contention.toString());
        assertEquals(7, contention.get("present").size() + contention.get("absent").size(), "every counter is listed: " + contention);
        assertTrue(!json.has("fork_start"), "no snapshot unless Harness.setUp took one");
    }

    @Test
    void sidecarIsReadableLikeAnyOtherOutput(@TempDir Path dir) throws Exception {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions only");
        Path sidecar = Environment.capture(ComputeDevice.parse("cpu"), Threads.apply(1, 1)).writeSidecar(dir);
        Path other = Files.writeString(dir.resolve("result.json"), "[]"); // what any writer gets under this umask
        assertEquals(Files.getPosixFilePermissions(other), Files.getPosixFilePermissions(sidecar),
                "the sidecar follows the umask, as the results beside it do (not createTempFile's 0600)");
    }

    @Test
    void decodeStepRepeatsOverTheSameKvLength() {
        try (ModelStep step = new ModelStep(Presets.get("tiny-moe"), Phase.DECODE, 2, 12, ComputeDevice.parse("cpu"))) {
            float[] a;
            float[] b;
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                Tensor first = step.run();
                assertEquals(1, first.size(1));
                a = floats(first);
                b = floats(step.run());
            }
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 0.0, "decode must see the same cache every invocation");
            }
            assertEquals(CostModel.of(Presets.get("tiny-moe"), Phase.DECODE, 2, 12, Precision.FP32), step.cost());
            assertEquals(2, step.tokens());
        }
    }

    @Test
    void promptLongerThanTheModelIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelStep(Presets.get("tiny"), Phase.DECODE, 1, 128, ComputeDevice.parse("cpu")));
        assertTrue(e.getMessage().contains("promptLen=128") && e.getMessage().contains("maxSeq=128"), e.getMessage());
    }

    @Test
    void countersAccumulatePerInvocationAndReset() {
        WorkCounters w = new WorkCounters();
        CostModel.Cost cost = CostModel.of(Presets.get("tiny"), Phase.PREFILL, 1, 8, Precision.FP32);
        w.add(cost, 8);
        w.add(cost, 8);
        assertEquals(2, w.ops);
        assertEquals(2 * cost.flops(), w.flops);
        assertEquals(2 * cost.bytes(), w.bytes);
        assertEquals(16, w.tokens);
        w.reset();
        assertEquals(0, w.ops + w.flops + w.bytes + w.tokens);
    }

    private static float[] floats(Tensor t) {
        Tensor c = t.contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }
}

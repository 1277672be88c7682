package knobs.kernels.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import knobs.kernels.Gpt;
import knobs.kernels.Inputs;
import knobs.kernels.ModelConfig;
import knobs.kernels.Natives;
import knobs.kernels.Pass;
import knobs.kernels.PassRunner;
import knobs.kernels.Presets;
import knobs.kernels.Training;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A 2-rank data-parallel step on halves of a batch equals a single-process step on the whole
 * batch: the averaged gradients (forward_backward) and the parameters after AdamW (train_step).
 */
class DataParallelStepTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int BATCH = 4;
    private static final int T = 16;
    private static final long BUCKET_BYTES = 64 * 1024; // the tiny model's 0.4 MB of gradients in several buckets

    /** Each parameter's gradient (forward_backward) or value (train_step) after one step, by name. */
    private static Map<String, float[]> state(Gpt model, Pass pass) {
        Map<String, float[]> out = new HashMap<>();
        StringTensorDictItemVector items = model.named_parameters(true).items();
        for (long i = 0; i < items.size(); i++) {
            Tensor p = items.get(i).value();
            Tensor t = (pass == Pass.TRAIN_STEP ? p : p.grad()).contiguous();
            float[] v = new float[(int) t.numel()];
            t.data_ptr_float().get(v);
            out.put(items.get(i).key().getString(), v);
        }
        return out;
    }

    private static void assertClose(Map<String, float[]> expected, Map<String, float[]> actual, double tol, String what) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            float[] e = expected.get(k);
            float[] a = actual.get(k);
            double scale = 0;
            double diff = 0;
            for (int i = 0; i < e.length; i++) {
                scale = Math.max(scale, Math.abs(e[i]));
                diff = Math.max(diff, Math.abs(e[i] - a[i]));
            }
            assertTrue(diff <= tol * Math.max(scale, 1e-3), what + ": '" + k + "' differs by " + diff + " (max |value| " + scale + ")");
        }
    }

    private static void equalsSingleProcess(String preset, Pass pass, DataParallelStep.Overlap overlap) {
        Natives.load();
        ModelConfig c = Presets.get(preset);
        // Built one after another here: the ranks' threads would share libtorch's global generator.
        Tensor ids = Inputs.tokens(7, c.vocab(), BATCH, T);
        Tensor targets = Inputs.tokens(8, c.vocab(), BATCH, T);
        Gpt reference = Gpt.create(c, 42);
        List<Gpt> replicas = List.of(Gpt.create(c, 42), Gpt.create(c, 42));
        Map<String, float[]> expected;
        try (PointerScope scope = new PointerScope(); PassRunner runner = new PassRunner(pass, List.of(reference))) {
            runner.run(() -> reference.forward(ids, null), logits -> Training.loss(logits, targets));
            expected = state(reference, pass);
        }
        List<Object[]> got = LocalGroup.run(2, TIMEOUT, comm -> {
            int r = comm.rank();
            Gpt model = replicas.get(r);
            int half = BATCH / 2;
            Tensor myIds = ids.narrow(0, (long) r * half, half).contiguous();
            Tensor myTargets = targets.narrow(0, (long) r * half, half).contiguous();
            try (PointerScope scope = new PointerScope();
                 DataParallelStep step = new DataParallelStep(comm, model, pass, BUCKET_BYTES, overlap)) {
                step.run(() -> model.forward(myIds, null), logits -> Training.loss(logits, myTargets));
                return new Object[] {state(model, pass), step.lastTiming(), step.bucketParameters(), step.gradientBytes()};
            }
        });
        for (int r = 0; r < 2; r++) {
            @SuppressWarnings("unchecked")
            Map<String, float[]> actual = (Map<String, float[]>) got.get(r)[0];
            assertClose(expected, actual, 1e-4, preset + " " + pass.label() + " " + overlap.label() + " rank " + r);
            DataParallelStep.Timing timing = (DataParallelStep.Timing) got.get(r)[1];
            assertTrue(timing.stepNs() > 0 && timing.exposedNs() > 0 && timing.commNs() > 0
                    && timing.exposedNs() < timing.stepNs() && timing.commNs() < timing.stepNs(), timing.toString());
        }
        @SuppressWarnings("unchecked")
        List<List<String>> buckets = (List<List<String>>) got.get(0)[2];
        assertTrue(buckets.size() > 1, "several buckets expected: " + buckets);
        long params = 0;
        for (Tensor p : reference.parameters().get()) {
            params += p.numel();
        }
        assertEquals(params * 4, (long) (Long) got.get(0)[3], "every gradient all-reduced once");
    }

    @Test
    void hookedTrainStepEqualsOneProcessOnTheWholeBatch() {
        equalsSingleProcess("tiny", Pass.TRAIN_STEP, DataParallelStep.Overlap.HOOKS);
    }

    @Test
    void gradientsAveragedAfterBackwardEqualOneProcess() {
        equalsSingleProcess("tiny", Pass.FORWARD_BACKWARD, DataParallelStep.Overlap.AFTER_BACKWARD);
    }

    @Test
    void hookedGradientsOfAnMoeModelEqualOneProcess() {
        equalsSingleProcess("tiny-moe", Pass.FORWARD_BACKWARD, DataParallelStep.Overlap.HOOKS);
    }

    @Test
    void bucketsFollowReverseParameterOrderWithinTheCap() {
        Natives.load();
        ModelConfig c = Presets.get("tiny");
        List<Gpt> replicas = List.of(Gpt.create(c, 1), Gpt.create(c, 1));
        List<String> order = new ArrayList<>();
        StringTensorDictItemVector items = replicas.get(0).named_parameters(true).items();
        Map<String, Long> bytes = new HashMap<>();
        for (long i = 0; i < items.size(); i++) {
            order.add(items.get(i).key().getString());
            bytes.put(items.get(i).key().getString(), items.get(i).value().numel() * 4);
        }
        List<List<List<String>>> got = LocalGroup.run(2, TIMEOUT, comm -> {
            try (DataParallelStep step = new DataParallelStep(comm, replicas.get(comm.rank()), Pass.FORWARD_BACKWARD,
                    BUCKET_BYTES, DataParallelStep.Overlap.HOOKS)) {
                return step.bucketParameters();
            }
        });
        List<String> flat = new ArrayList<>();
        for (List<String> b : got.get(0)) {
            long sum = b.stream().mapToLong(bytes::get).sum();
            assertTrue(b.size() == 1 || sum <= BUCKET_BYTES, b + " holds " + sum + " bytes, over the cap");
            flat.addAll(b);
        }
        List<String> reversed = new ArrayList<>(order);
        java.util.Collections.reverse(reversed);
        assertEquals(reversed, flat);
    }

    @Test
    void aParameterWithoutGradientFailsNamingIt() {
        Natives.load();
        ModelConfig c = Presets.get("tiny");
        List<Gpt> replicas = List.of(Gpt.create(c, 1), Gpt.create(c, 1));
        Tensor ids = Inputs.tokens(7, c.vocab(), 1, 8);
        AssertionError e = assertThrows(AssertionError.class, () -> LocalGroup.run(2, Duration.ofSeconds(10), comm -> {
            Gpt model = replicas.get(comm.rank());
            model.setActiveBlocks(1); // block 1's parameters take no part in the loss
            try (PointerScope scope = new PointerScope();
                 DataParallelStep step = new DataParallelStep(comm, model, Pass.FORWARD_BACKWARD, BUCKET_BYTES,
                         DataParallelStep.Overlap.HOOKS)) {
                step.run(() -> model.forward(ids, null), logits -> Training.loss(logits, ids));
            }
            return null;
        }));
        assertTrue(e.getCause().getMessage().contains("received no gradient") && e.getCause().getMessage().contains("h1."),
                e.getCause().getMessage());
    }

    @Test
    void forwardOnlyIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DataParallelStep(null, Gpt.create(Presets.get("tiny"), 1), Pass.FORWARD, 1, DataParallelStep.Overlap.HOOKS));
        assertTrue(e.getMessage().contains("pass=forward is not allowed"), e.getMessage());
    }
}

package knobs.harness.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import knobs.harness.ComputeDevice;
import knobs.kernels.Natives;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The NCCL path (device=cuda): a one-rank NCCL group all-reduces a CUDA tensor; with two GPUs, a
 * whole two-rank Collectives trial (rank 1 a child JVM on cuda:1). Runs only with the -Pcuda build
 * on a GPU machine; elsewhere skipped with the reason.
 */
class NcclTest {
    private static void assumeGpus(int n) {
        Natives.load();
        assumeTrue(torch.cuda_is_available() && torch.cuda_device_count() >= n, "needs " + n + " CUDA device(s) and the -Pcuda"
                + " build (CPU-only natives or too few GPUs here): the NCCL path is checked only on a GPU machine");
    }

    @Test
    void aOneRankNcclGroupAllReducesOnTheGpu() {
        assumeGpus(1);
        DistEnv env = new DistEnv(0, 1, 0, "127.0.0.1", LocalRanks.freePort());
        try (DistGroup g = DistGroup.join(env, ComputeDevice.parse("cuda:0"), Duration.ofSeconds(60))) {
            assertEquals("nccl", g.backendName());
            Tensor t = torch.ones(new long[] {1024}, new TensorOptions(torch.ScalarType.Float)
                    .device(new DeviceOptional(ComputeDevice.parse("cuda:0").torchDevice())));
            g.comm().allReduce(t);
            torch.cuda_synchronize(0);
            assertEquals(1024.0, t.sum().item_double(), 0.0);
        }
    }

    @Test
    void aTwoRankNcclTrialVerifiesEveryCollective() {
        assumeGpus(2);
        for (Collective c : Collective.values()) {
            Map<String, String> params = new LinkedHashMap<>();
            params.put("collective", c.id());
            params.put("bytes", "8192");
            params.put("device", "cuda");
            try (DistTrial trial = DistTrial.start(2, "cuda", new CollectiveStep(), params)) {
                trial.lockstep().verify();
                trial.lockstep().prepare();
                trial.lockstep().step();
                assertTrue(trial.lockstep().gatherTimes()[1].length == 1);
                trial.lockstep().verify();
            }
        }
    }
}

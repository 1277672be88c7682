package knobs.harness.dist;

import java.util.Map;
import knobs.harness.ComputeDevice;
import knobs.kernels.dist.Comm;
import org.bytedeco.pytorch.global.torch;

/**
 * One collective on preallocated buffers, every rank's part of {@code Collectives}. Knobs:
 * {@code collective}, {@code bytes}, {@code device} (see docs/knobs.md). Each rank uses one
 * intra-op thread for the verification's tensor ops (the collective itself runs on the backend's
 * threads), so n ranks on one machine do not oversubscribe it.
 */
public final class CollectiveStep implements RankStep {
    private Comm comm;
    private Collective collective;
    private Collective.Buffers buffers;
    private ComputeDevice device;

    @Override
    public void setUp(Comm c, DistEnv env, Map<String, String> params) {
        this.comm = c;
        this.collective = Collective.parse(required(params, "collective"));
        long bytes = Long.parseLong(required(params, "bytes"));
        ComputeDevice d = ComputeDevice.parse(RankMain.rankDevice(params.getOrDefault("device", "cpu"), env));
        this.device = d;
        if (env.rank() != 0) {
            torch.set_num_threads(1);
        }
        buffers = collective.allocate(bytes, env.rank(), env.worldSize(), d.torchDevice());
    }

    private static String required(Map<String, String> params, String name) {
        String v = params.get(name);
        if (v == null) {
            throw new IllegalArgumentException("knob '" + name + "' missing from the step's parameters " + params);
        }
        return v;
    }

    /**
     * One collective. On CUDA, NCCL's wait only orders the streams: the device sync makes the own
     * time cover the transfer, as nccl-tests' timing does.
     */
    @Override
    public void step() {
        collective.run(comm, buffers);
        device.sync();
    }

    @Override
    public String verify() {
        return collective.verify(comm, buffers);
    }
}

package knobs.harness.dist;

import java.util.List;
import java.util.Map;
import knobs.harness.ComputeDevice;
import knobs.harness.ModelStep;
import knobs.kernels.Gpt;
import knobs.kernels.Inputs;
import knobs.kernels.ModelConfig;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.Pass;
import knobs.kernels.Precision;
import knobs.kernels.Training;
import knobs.kernels.dist.Comm;
import knobs.kernels.dist.DataParallelStep;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Every rank's part of {@code DataParallel}: a replica of the model (weights from {@link ModelStep#SEED},
 * then rank 0's broadcast), this rank's slice of the global batch (rows rank·B..(rank+1)·B of
 * worldSize·B sequences drawn from a fixed seed, so the global batch does not depend on the world
 * size's split), and a {@link DataParallelStep}. Knobs: {@code size}, {@code pass},
 * {@code batchSize} (per rank), {@code contextLength}, {@code bucketMiB}, {@code overlap},
 * {@code device} (docs/knobs.md).
 *
 * <p>Threads: on the CPU every rank runs libtorch's configured intra-op count (default 1) and
 * {@code cores / ranks on this machine} BLAS threads (LOCAL_WORLD_SIZE if a launcher set it, else
 * the world size), so n local ranks share the machine instead of oversubscribing it; Gloo's own
 * threads come on top.
 *
 * <p>Counters per step ({@link #counters}): own step time, exposed communication, communication
 * in flight (see {@link DataParallelStep}).
 */
public final class DataParallelRank implements RankStep {
    /** Indices of {@link #counters}. */
    public static final int STEPS = 0;
    public static final int STEP_NS = 1;
    public static final int EXPOSED_NS = 2;
    public static final int COMM_NS = 3;

    private Comm comm;
    private Gpt model;
    private Tensor inputs;
    private Tensor targets;
    private DataParallelStep step;
    private ComputeDevice device;
    private final long[] sums = new long[4];

    @Override
    public void setUp(Comm c, DistEnv env, Map<String, String> params) {
        this.comm = c;
        ModelSource source = Models.resolve(Params.required(params, "size"));
        ModelConfig config = source.config();
        Pass pass = Pass.parse(Params.required(params, "pass"));
        int batch = Params.integer(params, "batchSize");
        int context = Params.integer(params, "contextLength");
        double bucketMiB = Double.parseDouble(Params.required(params, "bucketMiB"));
        DataParallelStep.Overlap overlap = DataParallelStep.Overlap.parse(Params.required(params, "overlap"));
        device = ComputeDevice.parse(RankMain.rankDevice(params.getOrDefault("device", "cpu"), env));
        Params.shareCores(device, env);
        int w = env.worldSize();
        Tensor all = Inputs.tokens(ModelStep.SEED + 1, config.vocab(), (long) w * batch, context);
        Tensor allTargets = Inputs.tokens(ModelStep.SEED + 2, config.vocab(), (long) w * batch, context);
        inputs = pinned(all.narrow(0, (long) env.rank() * batch, batch).contiguous().to(device.torchDevice(), torch.ScalarType.Long));
        targets = pinned(allTargets.narrow(0, (long) env.rank() * batch, batch).contiguous()
                .to(device.torchDevice(), torch.ScalarType.Long));
        model = source.build(device.torchDevice(), Precision.FP32, ModelStep.SEED);
        step = new DataParallelStep(c, model, pass, Math.max(1, Math.round(bucketMiB * (1 << 20))), overlap);
    }

    private static Tensor pinned(Tensor t) {
        t.retainReference();
        return t;
    }

    @Override
    public void step() {
        try (PointerScope scope = new PointerScope()) {
            step.run(() -> model.forward(inputs, null), logits -> Training.loss(logits, targets));
            device.sync();
        }
        DataParallelStep.Timing t = step.lastTiming();
        sums[STEPS]++;
        sums[STEP_NS] += t.stepNs();
        sums[EXPOSED_NS] += t.exposedNs();
        sums[COMM_NS] += t.commNs();
    }

    /**
     * One step, then the replicas must still be equal: every rank's parameters (train_step) or
     * gradients (forward_backward) are all-gathered as (sum, sum of squares, first element) and
     * compared bit for bit with rank 0's, and the loss must be finite.
     */
    @Override
    public String verify() {
        try (PointerScope scope = new PointerScope()) {
            Tensor loss = step.run(() -> model.forward(inputs, null), logits -> Training.loss(logits, targets));
            double l = loss.item_double();
            double[] sig = signature();
            Tensor mine = torch.empty(4).to(torch.ScalarType.Double);
            mine.data_ptr_double().put(new double[] {sig[0], sig[1], sig[2], l});
            Tensor all = comm.allGather(mine.to(device.torchDevice(), torch.ScalarType.Double)); // NCCL needs device tensors
            double[] got = new double[(int) all.numel()];
            all.cpu().contiguous().data_ptr_double().get(got);
            if (!Double.isFinite(l)) {
                return "rank " + comm.rank() + ": loss " + l + " is not finite";
            }
            for (int i = 0; i < 3; i++) {
                if (got[i] != got[4 * comm.rank() + i]) {
                    return "rank " + comm.rank() + ": replica differs from rank 0's after a data-parallel step ("
                            + "signature " + java.util.Arrays.toString(sig)
                            + " vs " + java.util.Arrays.toString(java.util.Arrays.copyOf(got, 3)) + ")";
                }
            }
            return null;
        }
    }

    /** (Σx, Σx², x[0]) over every trained parameter (train_step) or gradient (forward_backward), in float64. */
    private double[] signature() {
        double s = 0;
        double q = 0;
        double first = Double.NaN;
        for (Tensor p : model.parameters().get()) {
            Tensor v = step.pass() == Pass.TRAIN_STEP ? p : p.grad();
            Tensor d = v.detach().to(torch.ScalarType.Double);
            s += d.sum().item_double();
            q += d.mul(d).sum().item_double();
            if (Double.isNaN(first)) {
                first = d.reshape(-1).select(0, 0).item_double();
            }
        }
        return new double[] {s, q, first};
    }

    /** [steps, Σ own step ns, Σ exposed communication ns, Σ communication-in-flight ns] since the last call. */
    @Override
    public long[] counters() {
        long[] out = sums.clone();
        java.util.Arrays.fill(sums, 0);
        return out;
    }

    /** Bytes of gradients all-reduced per step by each rank (0 with one rank). */
    public long gradientBytes() {
        return step.gradientBytes();
    }

    public int buckets() {
        return step.buckets();
    }

    /** The list form of the parameters' buckets, for tests. */
    List<List<String>> bucketParameters() {
        return step.bucketParameters();
    }
}

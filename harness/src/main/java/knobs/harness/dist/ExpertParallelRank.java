package knobs.harness.dist;

import java.util.Map;
import knobs.harness.ComputeDevice;
import knobs.harness.ModelStep;
import knobs.kernels.Inputs;
import knobs.kernels.ModelConfig;
import knobs.kernels.MoeFeedForward;
import knobs.kernels.Presets;
import knobs.kernels.RoutingMode;
import knobs.kernels.dist.Comm;
import knobs.kernels.dist.ExpertParallelMoe;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Every rank's part of {@code ExpertParallel}: the MoE layer of preset {@code model} at
 * {@code topK} with {@code routing} (weights from {@link ModelStep#SEED}, the same on every rank),
 * its experts sharded over the ranks ({@link ExpertParallelMoe}), and this rank's {@code tokens}
 * activations (rows rank·N..(rank+1)·N of worldSize·N drawn from a fixed seed). Forward only,
 * autograd off. Threads as {@link DataParallelRank}.
 */
public final class ExpertParallelRank implements RankStep {
    /** Indices of {@link #counters}. */
    public static final int STEPS = 0;
    public static final int STEP_NS = 1;
    public static final int DISPATCH_BYTES = 2;
    public static final int COMBINE_BYTES = 3;
    public static final int ALL_TO_ALL_NS = 4;
    public static final int COMPUTE_NS = 5;
    public static final int EXPERT_ROWS = 6;

    private Comm comm;
    private MoeFeedForward layer;
    private ExpertParallelMoe ep;
    private Tensor x;
    private ComputeDevice device;
    private final long[] sums = new long[7];

    @Override
    public void setUp(Comm c, DistEnv env, Map<String, String> params) {
        this.comm = c;
        ModelConfig config = Presets.getMoe(Params.required(params, "model")).withTopK(Params.integer(params, "topK"));
        RoutingMode routing = RoutingMode.parse(Params.required(params, "routing"));
        int tokens = Params.integer(params, "tokens");
        device = ComputeDevice.parse(RankMain.rankDevice(params.getOrDefault("device", "cpu"), env));
        Params.shareCores(device, env);
        torch.manual_seed(ModelStep.SEED);
        layer = new MoeFeedForward(config);
        layer.setRouting(routing);
        layer.toDevice(device.torchDevice());
        Tensor all = Inputs.activations(ModelStep.SEED + 1, 1, (long) env.worldSize() * tokens, config.dModel())
                .reshape(-1, config.dModel());
        x = all.narrow(0, (long) env.rank() * tokens, tokens).contiguous().to(device.torchDevice(), torch.ScalarType.Float);
        x.retainReference();
        ep = new ExpertParallelMoe(c, layer);
    }

    @Override
    public void step() {
        long t0 = System.nanoTime();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            ep.forward(x);
            device.sync();
        }
        long ns = System.nanoTime() - t0;
        ExpertParallelMoe.Stats s = ep.lastStats();
        sums[STEPS]++;
        sums[STEP_NS] += ns;
        sums[DISPATCH_BYTES] += s.dispatchBytes();
        sums[COMBINE_BYTES] += s.combineBytes();
        sums[ALL_TO_ALL_NS] += s.allToAllNs();
        sums[COMPUTE_NS] += s.computeNs();
        sums[EXPERT_ROWS] += s.rowsComputed();
    }

    /** The sharded layer's output for this rank's tokens against the whole layer's, run here on the same tokens. */
    @Override
    public String verify() {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor sharded = ep.forward(x);
            Tensor whole = layer.forward(x.view(1, x.size(0), x.size(1))).view(x.size(0), x.size(1));
            double diff = sharded.sub(whole).abs().max().item_double();
            double scale = whole.abs().max().item_double();
            if (!(diff <= 1e-4 * Math.max(scale, 1))) {
                return "rank " + comm.rank() + ": expert-parallel output differs from the single-process layer's by " + diff
                        + " (max |output| " + scale + ")";
            }
            return null;
        }
    }

    /** [steps, Σ own ns, Σ dispatch bytes off-rank, Σ combine bytes off-rank, Σ all_to_all ns, Σ compute ns, Σ expert rows] since the last call. */
    @Override
    public long[] counters() {
        long[] out = sums.clone();
        java.util.Arrays.fill(sums, 0);
        return out;
    }
}

package knobs.kernels.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import knobs.kernels.Inputs;
import knobs.kernels.ModelConfig;
import knobs.kernels.MoeFeedForward;
import knobs.kernels.Natives;
import knobs.kernels.Presets;
import knobs.kernels.RoutingMode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Experts sharded over 2 ranks, tokens moved by all_to_all: each rank's output equals the
 * single-process layer's output for its tokens, and the bytes it reports are the off-rank rows it
 * actually passed to all_to_all.
 */
class ExpertParallelMoeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int TOKENS = 24; // per rank

    private static float[] floats(Tensor t) {
        Tensor c = t.contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    private record RankResult(float[] out, ExpertParallelMoe.Stats stats, long[] sendRows, long[] recvRows) {
    }

    /** Runs the sharded layer on 2 ranks and checks outputs and bytes against one process. */
    private static void equalsSingleProcess(String preset, int topK, RoutingMode routing) {
        Natives.load();
        ModelConfig c = Presets.getMoe(preset).withTopK(topK);
        // Built one after another here: the ranks' threads would share libtorch's global generator.
        Tensor x = Inputs.activations(5, 1, 2 * TOKENS, c.dModel()).reshape(2 * TOKENS, c.dModel());
        MoeFeedForward[] layers = new MoeFeedForward[3];
        for (int i = 0; i < 3; i++) {
            torch.manual_seed(11);
            layers[i] = new MoeFeedForward(c);
            layers[i].setRouting(routing);
        }
        MoeFeedForward reference = layers[2];
        float[][] expected = new float[2][];
        long[][] offRankPairs = new long[2][1];
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (int r = 0; r < 2; r++) {
                // the single-process layer on the same call's tokens (balanced and skewed routing
                // assign experts by a token's position in the call)
                expected[r] = floats(reference.forward(x.narrow(0, (long) r * TOKENS, TOKENS).contiguous().view(1, TOKENS, c.dModel())));
                // independent count of the rank's pairs whose expert lives on the other rank
                Tensor e = reference.route(x.narrow(0, (long) r * TOKENS, TOKENS).contiguous()).experts().contiguous();
                long[] ids = new long[(int) e.numel()];
                e.data_ptr_long().get(ids);
                for (long id : ids) {
                    if (id / (c.experts() / 2) != r) {
                        offRankPairs[r][0]++;
                    }
                }
            }
        }
        List<RankResult> got = LocalGroup.run(2, TIMEOUT, comm -> {
            try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                ExpertParallelMoe ep = new ExpertParallelMoe(comm, layers[comm.rank()]);
                Tensor mine = x.narrow(0, (long) comm.rank() * TOKENS, TOKENS).contiguous().view(1, TOKENS, c.dModel());
                Tensor y = ep.forward(mine);
                assertArrayEquals(mine.sizes().vec().get(), y.sizes().vec().get());
                return new RankResult(floats(y), ep.lastStats(), ep.lastSendRows(), ep.lastRecvRows());
            }
        });
        long rowBytes = 4L * c.dModel();
        for (int r = 0; r < 2; r++) {
            RankResult g = got.get(r);
            double diff = 0;
            for (int i = 0; i < g.out.length; i++) {
                diff = Math.max(diff, Math.abs(g.out[i] - expected[r][i]));
            }
            assertTrue(diff < 1e-5, preset + " topK=" + topK + " " + routing + " rank " + r + ": differs by " + diff);
            // every pair was passed to the dispatch all_to_all exactly once
            assertEquals((long) TOKENS * topK, g.sendRows[0] + g.sendRows[1]);
            // what the other rank received from me is what I sent it, and the returned rows match
            assertEquals(g.sendRows[1 - r], got.get(1 - r).recvRows[r]);
            assertEquals(offRankPairs[r][0] * rowBytes, g.stats.dispatchBytes(), "rank " + r + " dispatch bytes");
            assertEquals(g.recvRows[1 - r] * rowBytes, g.stats.combineBytes(), "rank " + r + " combine bytes");
            assertEquals(g.recvRows[0] + g.recvRows[1], g.stats.rowsComputed());
            assertTrue(g.stats.allToAllNs() > 0 && g.stats.computeNs() > 0, g.stats.toString());
            if (routing == RoutingMode.BALANCED) {
                assertEquals(ExpertParallelMoe.balancedOffRankBytes(TOKENS, topK, c.dModel(), 4, 2), g.stats.dispatchBytes());
            }
        }
    }

    @Test
    void routerTopTwoEqualsOneProcessOnTheWholeBatch() {
        // the learned router routes each token on its own: both ranks' outputs are the rows of one
        // forward over all 2·TOKENS tokens
        Natives.load();
        ModelConfig c = Presets.getMoe("tiny-moe");
        Tensor x = Inputs.activations(5, 1, 2 * TOKENS, c.dModel()).reshape(2 * TOKENS, c.dModel());
        MoeFeedForward[] layers = new MoeFeedForward[3];
        for (int i = 0; i < 3; i++) {
            torch.manual_seed(11);
            layers[i] = new MoeFeedForward(c);
        }
        float[] whole;
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            whole = floats(layers[2].forward(x.view(1, 2 * TOKENS, c.dModel())));
        }
        List<float[]> got = LocalGroup.run(2, TIMEOUT, comm -> {
            try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                return floats(new ExpertParallelMoe(comm, layers[comm.rank()])
                        .forward(x.narrow(0, (long) comm.rank() * TOKENS, TOKENS).contiguous()));
            }
        });
        for (int r = 0; r < 2; r++) {
            for (int i = 0; i < got.get(r).length; i++) {
                assertEquals(whole[r * got.get(r).length + i], got.get(r)[i], 1e-5, "rank " + r + " element " + i);
            }
        }
    }

    @Test
    void theRanksTogetherExecuteTheSingleProcessLayersFlops() {
        Natives.load();
        for (int k : new int[] {1, 8}) {
            ModelConfig c = Presets.getMoe("tiny-qwen2-moe").withTopK(k);
            Tensor x = Inputs.activations(5, 1, 2 * TOKENS, c.dModel()).reshape(2 * TOKENS, c.dModel());
            MoeFeedForward[] layers = new MoeFeedForward[3];
            for (int i = 0; i < 3; i++) {
                torch.manual_seed(11);
                layers[i] = new MoeFeedForward(c);
            }
            long whole;
            try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard();
                 knobs.kernels.FlopCounter f = knobs.kernels.FlopCounter.open()) {
                layers[2].forward(x.view(1, 2 * TOKENS, c.dModel()));
                whole = f.total();
            }
            List<Long> perRank = LocalGroup.run(2, TIMEOUT, comm -> {
                try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                    ExpertParallelMoe ep = new ExpertParallelMoe(comm, layers[comm.rank()]);
                    try (knobs.kernels.FlopCounter f = knobs.kernels.FlopCounter.open()) {
                        ep.forward(x.narrow(0, (long) comm.rank() * TOKENS, TOKENS).contiguous());
                        return f.total();
                    }
                }
            });
            assertEquals(whole, perRank.get(0) + perRank.get(1), "topK=" + k + ": FLOPs of both ranks " + perRank);
        }
    }

    @Test
    void routerTopTwoEqualsOneProcess() {
        equalsSingleProcess("tiny-moe", 2, RoutingMode.ROUTER);
    }

    @Test
    void balancedTopFourMovesTheAnalyticBytes() {
        equalsSingleProcess("tiny-moe", 4, RoutingMode.BALANCED);
    }

    @Test
    void skewedTopOneLeavesSomeExpertsIdle() {
        equalsSingleProcess("tiny-moe", 1, RoutingMode.SKEWED);
    }

    @Test
    void topEightRoutesToEveryExpert() {
        equalsSingleProcess("tiny-moe", 8, RoutingMode.ROUTER);
    }

    @Test
    void sharedExpertsRunReplicated() {
        equalsSingleProcess("tiny-qwen2-moe", 2, RoutingMode.ROUTER);
    }

    @Test
    void expertsThatDoNotSplitOverTheRanksAreRejected() {
        Natives.load();
        ModelConfig c = Presets.getMoe("tiny-mixtral"); // 4 experts
        torch.manual_seed(1);
        MoeFeedForward layer = new MoeFeedForward(c);
        AssertionError e = assertThrows(AssertionError.class, () -> LocalGroup.run(3, TIMEOUT, comm -> new ExpertParallelMoe(comm, layer)));
        assertTrue(e.getCause().getMessage().contains("worldSize=3 is not allowed for a layer of 4 experts"), e.getCause().getMessage());
    }
}

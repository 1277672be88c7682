package knobs.harness.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import knobs.kernels.Natives;
import knobs.kernels.Presets;
import knobs.kernels.dist.LocalGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rank steps of DataParallel and ExpertParallel, two ranks on threads (LocalGroup), and one
 * ExpertParallel trial the way the benchmark runs it (rank 1 a child JVM) with the step counters
 * gathered through {@link Lockstep#gatherCounters}.
 */
class ModelParallelRanksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static String oldTimeout;

    @BeforeAll
    static void shortTimeout() {
        oldTimeout = System.getProperty(DistEnv.TIMEOUT_PROPERTY);
        System.setProperty(DistEnv.TIMEOUT_PROPERTY, "30");
        Natives.load();
    }

    @AfterAll
    static void restore() {
        if (oldTimeout == null) {
            System.clearProperty(DistEnv.TIMEOUT_PROPERTY);
        } else {
            System.setProperty(DistEnv.TIMEOUT_PROPERTY, oldTimeout);
        }
    }

    private static DistEnv env(int rank) {
        return new DistEnv(rank, 2, rank, "127.0.0.1", 29500);
    }

    static Map<String, String> dataParallel(String pass, String overlap) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("size", "tiny");
        m.put("pass", pass);
        m.put("batchSize", "1");
        m.put("contextLength", "16");
        m.put("bucketMiB", "0.1");
        m.put("overlap", overlap);
        m.put("device", "cpu");
        return m;
    }

    static Map<String, String> expertParallel(int topK, String routing) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model", "tiny-moe");
        m.put("topK", Integer.toString(topK));
        m.put("tokens", "32");
        m.put("routing", routing);
        m.put("device", "cpu");
        return m;
    }

    @Test
    void dataParallelRanksStayReplicasAndCountTheirTime() {
        for (String[] cfg : new String[][] {{"train_step", "hooks"}, {"forward_backward", "after_backward"}}) {
            List<long[]> counters = LocalGroup.run(2, TIMEOUT, comm -> {
                DataParallelRank r = new DataParallelRank();
                r.setUp(comm, env(comm.rank()), dataParallel(cfg[0], cfg[1]));
                assertNull(r.verify());
                assertEquals(0, r.counters()[DataParallelRank.STEPS], "a verification step is not counted");
                r.step();
                r.step();
                assertNull(r.verify());
                assertTrue(r.buckets() > 1 && r.gradientBytes() > 0);
                return r.counters();
            });
            for (long[] c : counters) {
                assertEquals(2, c[DataParallelRank.STEPS]);
                assertTrue(c[DataParallelRank.STEP_NS] > c[DataParallelRank.EXPOSED_NS] && c[DataParallelRank.EXPOSED_NS] > 0
                        && c[DataParallelRank.COMM_NS] > 0, java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void expertParallelRanksMatchTheWholeLayerAndCountBytes() {
        int d = Presets.get("tiny-moe").dModel();
        List<long[]> counters = LocalGroup.run(2, TIMEOUT, comm -> {
            ExpertParallelRank r = new ExpertParallelRank();
            r.setUp(comm, env(comm.rank()), expertParallel(4, "balanced"));
            assertNull(r.verify());
            r.counters();
            r.step();
            return r.counters();
        });
        for (long[] c : counters) {
            assertEquals(1, c[ExpertParallelRank.STEPS]);
            // balanced routing, 32 tokens × 4 experts over 8 experts on 2 ranks: half the pairs leave the rank
            assertEquals(32L * 4 * d * 4 / 2, c[ExpertParallelRank.DISPATCH_BYTES]);
            assertEquals(32L * 4 * d * 4 / 2, c[ExpertParallelRank.COMBINE_BYTES]);
            assertEquals(32L * 4, c[ExpertParallelRank.EXPERT_ROWS]);
            assertTrue(c[ExpertParallelRank.ALL_TO_ALL_NS] > 0 && c[ExpertParallelRank.COMPUTE_NS] > 0);
        }
    }

    @Test
    void anExpertParallelTrialWithAChildRankGathersEveryRanksCounters() {
        try (DistTrial trial = DistTrial.start(2, "cpu", new ExpertParallelRank(), expertParallel(2, "router"))) {
            Lockstep l = trial.lockstep();
            l.verify();
            l.gatherCounters();
            for (int i = 0; i < 3; i++) {
                l.prepare();
                l.step();
            }
            long[][] times = l.gatherTimes();
            long[][] counters = l.gatherCounters();
            assertEquals(2, counters.length);
            for (int r = 0; r < 2; r++) {
                assertEquals(3, times[r].length);
                assertEquals(3, counters[r][ExpertParallelRank.STEPS], "rank " + r);
                assertTrue(counters[r][ExpertParallelRank.ALL_TO_ALL_NS] > 0, "rank " + r);
            }
            // every pair is computed on exactly one rank: the ranks' rows add up to tokens × k per step
            assertEquals(2 * 3L * 32 * 2, counters[0][ExpertParallelRank.EXPERT_ROWS] + counters[1][ExpertParallelRank.EXPERT_ROWS]);
            l.verify();
        }
    }
}

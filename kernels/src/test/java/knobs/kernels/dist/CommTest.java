package knobs.kernels.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** Each collective of {@link Comm} on a 2-rank Gloo group over loopback, with values that tell ranks apart. */
class CommTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** (n) floats rank·100 + i, so every element says which rank and position it came from. */
    private static Tensor ramp(int rank, int n) {
        return torch.arange(new org.bytedeco.pytorch.Scalar((double) n)).to(torch.ScalarType.Float)
                .add(new org.bytedeco.pytorch.Scalar(rank * 100.0)).contiguous();
    }

    private static float[] floats(Tensor t) {
        Tensor c = t.contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    @Test
    void allReduceSumsInPlaceAndReportsItsGroup() {
        List<float[]> got = LocalGroup.run(2, TIMEOUT, comm -> {
            assertEquals(2, comm.worldSize());
            assertEquals("gloo", comm.backendName());
            Tensor t = ramp(comm.rank(), 4);
            comm.allReduce(t);
            return floats(t);
        });
        for (float[] g : got) {
            assertArrayEquals(new float[] {100, 102, 104, 106}, g); // (0+i) + (100+i)
        }
    }

    @Test
    void asyncAllReducesInFlightTogetherAllComplete() {
        List<float[]> got = LocalGroup.run(2, TIMEOUT, comm -> {
            Tensor a = ramp(comm.rank(), 3);
            Tensor b = ramp(comm.rank(), 2).mul(new org.bytedeco.pytorch.Scalar(2.0)).contiguous();
            Comm.Pending pa = comm.allReduceAsync(a);
            Comm.Pending pb = comm.allReduceAsync(b);
            pb.await();
            pa.await();
            pa.await(); // a second await returns at once
            assertTrue(pa.isCompleted());
            assertEquals("all_reduce", pa.op());
            return floats(torch.cat(new org.bytedeco.pytorch.TensorVector(a, b), 0));
        });
        for (float[] g : got) {
            assertArrayEquals(new float[] {100, 102, 104, 200, 204}, g);
        }
    }

    @Test
    void allGatherConcatenatesInRankOrder() {
        List<float[]> got = LocalGroup.run(2, TIMEOUT, comm -> floats(comm.allGather(ramp(comm.rank(), 3).view(3, 1))));
        for (float[] g : got) {
            assertArrayEquals(new float[] {0, 1, 2, 100, 101, 102}, g);
        }
    }

    @Test
    void reduceScatterGivesEachRankItsBlockOfTheSum() {
        List<float[]> got = LocalGroup.run(2, TIMEOUT, comm -> floats(comm.reduceScatter(ramp(comm.rank(), 4))));
        assertArrayEquals(new float[] {100, 102}, got.get(0));
        assertArrayEquals(new float[] {104, 106}, got.get(1));
    }

    @Test
    void allToAllEqualSplitsSwapsBlocks() {
        List<float[]> got = LocalGroup.run(2, TIMEOUT, comm -> floats(comm.allToAll(ramp(comm.rank(), 4).view(2, 2))));
        assertArrayEquals(new float[] {0, 1, 100, 101}, got.get(0));
        assertArrayEquals(new float[] {2, 3, 102, 103}, got.get(1));
    }

    @Test
    void allToAllUnequalSplitsAfterExchangingCounts() {
        // rank 0 sends 1 row to itself and 3 to rank 1; rank 1 sends 2 to rank 0 and none to itself
        long[][] send = {{1, 3}, {2, 0}};
        List<float[]> got = LocalGroup.run(2, TIMEOUT, comm -> {
            int r = comm.rank();
            long[] recv = comm.exchangeCounts(send[r]);
            assertArrayEquals(new long[] {send[0][r], send[1][r]}, recv);
            Tensor rows = ramp(r, (int) (send[r][0] + send[r][1]) * 2).view(-1, 2);
            Tensor out = comm.allToAll(rows, send[r], recv);
            assertEquals(recv[0] + recv[1], out.size(0));
            return floats(out);
        });
        assertArrayEquals(new float[] {0, 1, 100, 101, 102, 103}, got.get(0));
        assertArrayEquals(new float[] {2, 3, 4, 5, 6, 7}, got.get(1));
    }

    @Test
    void broadcastCopiesTheRootsTensor() {
        List<float[]> got = LocalGroup.run(2, TIMEOUT, comm -> {
            Tensor t = ramp(comm.rank(), 3);
            comm.broadcast(t, 1);
            return floats(t);
        });
        for (float[] g : got) {
            assertArrayEquals(new float[] {100, 101, 102}, g);
        }
    }

    @Test
    void barrierWaitsForTheSlowestRank() {
        long[] passed = new long[2];
        long sleepMs = 300;
        LocalGroup.run(2, TIMEOUT, comm -> {
            long t0 = System.nanoTime();
            if (comm.rank() == 1) {
                Thread.sleep(sleepMs);
            }
            comm.barrier();
            passed[comm.rank()] = (System.nanoTime() - t0) / 1_000_000;
            return null;
        });
        assertTrue(passed[0] >= sleepMs - 50, "rank 0 left the barrier after " + passed[0] + " ms, before rank 1 arrived");
    }

    @Test
    void badSplitsAreRejectedNamingTheRank() {
        AssertionError e = assertThrows(AssertionError.class, () -> LocalGroup.run(2, Duration.ofSeconds(5), comm -> {
            comm.allToAll(ramp(comm.rank(), 3), new long[] {1, 1}, new long[] {1, 1});
            return null;
        }));
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("send splits [1, 1] sum to 2 rows, the tensor has 3"),
                e.getCause().getMessage());
    }

    @Test
    void aCollectiveAPeerNeverJoinsTimesOutNamingOperationRankAndTimeout() {
        CountDownLatch timedOut = new CountDownLatch(1);
        AssertionError e = assertThrows(AssertionError.class, () -> LocalGroup.run(2, Duration.ofMillis(1500), comm -> {
            if (comm.rank() == 0) {
                try {
                    comm.allReduce(ramp(0, 4));
                } finally {
                    timedOut.countDown();
                }
            } else {
                assertTrue(timedOut.await(30, TimeUnit.SECONDS), "rank 0 never gave up");
            }
            return null;
        }));
        Throwable cause = e.getCause();
        assertTrue(cause instanceof Comm.CommTimeoutException, String.valueOf(cause));
        String m = cause.getMessage();
        assertTrue(m.contains("all_reduce on rank 0 of 2") && m.contains("1500 ms"), m);
    }

    @Test
    void aFailingRankFailsTheRunNamingIt() {
        AssertionError e = assertThrows(AssertionError.class, () -> LocalGroup.run(2, Duration.ofSeconds(3), comm -> {
            if (comm.rank() == 1) {
                throw new IllegalStateException("boom on purpose");
            }
            comm.barrier(); // rank 1 never arrives
            return null;
        }));
        assertTrue(e.getMessage().startsWith("rank 1 of 2 failed") && e.getMessage().contains("boom on purpose"), e.getMessage());
    }
}

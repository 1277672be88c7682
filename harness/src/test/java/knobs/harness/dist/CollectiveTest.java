package knobs.harness.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import knobs.kernels.dist.LocalGroup;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Each collective on two in-process Gloo ranks: the verification passes on the real result, and
 * fails, naming the rank and the element, when one output element is wrong; nccl-tests' bus
 * factors and the size rules.
 */
class CollectiveTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void everyCollectiveIsCorrectOnTwoRanksAndAWrongElementIsCaught() {
        for (Collective c : Collective.values()) {
            for (long bytes : new long[] {8, 4096 + 8}) {
                List<String> results = LocalGroup.run(2, TIMEOUT, comm -> {
                    Collective.Buffers b = c.allocate(bytes, comm.rank(), 2, new Device(torch.DeviceType.CPU));
                    String good = c.verify(comm, b);
                    c.fillPattern(b);
                    c.run(comm, b);
                    if (comm.rank() == 1) { // corrupts the last element of rank 1's output
                        c.output(b).get(c.output(b).numel() - 1).fill_(new Scalar(12345.0));
                    }
                    String bad = c.compare(b);
                    return good + "|" + bad;
                });
                for (int r = 0; r < 2; r++) {
                    String[] parts = results.get(r).split("\\|");
                    assertEquals("null", parts[0], c.id() + " " + bytes + " B on rank " + r + ": " + parts[0]);
                    if (r == 0) {
                        assertEquals("null", parts[1], c.id() + ": rank 0 was not corrupted");
                    } else {
                        assertTrue(parts[1].startsWith(c.id() + " of " + bytes + " bytes on rank 1 of 2: 1 of "), parts[1]);
                        assertTrue(parts[1].contains("elements wrong; first at index ") && parts[1].contains(": got 12345.0, expected "),
                                parts[1]);
                    }
                }
            }
        }
    }

    @Test
    void busFactorsAreNcclTests() {
        assertEquals(1.0, Collective.ALL_REDUCE.busFactor(2));
        assertEquals(1.5, Collective.ALL_REDUCE.busFactor(4));
        assertEquals(0.5, Collective.ALL_GATHER.busFactor(2));
        assertEquals(0.75, Collective.REDUCE_SCATTER.busFactor(4));
        assertEquals(7.0 / 8, Collective.ALL_TO_ALL.busFactor(8));
        assertEquals(1.0, Collective.BROADCAST.busFactor(8));
    }

    @Test
    void sizesAndNamesAreChecked() {
        assertEquals(Collective.ALL_TO_ALL, Collective.parse("all_to_all"));
        assertEquals("unknown collective 'allreduce'; allowed: all_reduce, all_gather, reduce_scatter, all_to_all, broadcast",
                assertThrows(IllegalArgumentException.class, () -> Collective.parse("allreduce")).getMessage());
        Collective.ALL_REDUCE.checkBytes(12, 3);
        assertEquals("bytes=12 is not allowed for collective=all_gather with worldSize=2: must be a positive multiple of 8"
                        + " (4-byte fp32 elements, an equal whole number per rank)",
                assertThrows(IllegalArgumentException.class, () -> Collective.ALL_GATHER.checkBytes(12, 2)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Collective.BROADCAST.checkBytes(0, 2));
        assertThrows(IllegalArgumentException.class, () -> Collective.ALL_REDUCE.checkBytes(6, 2));
    }
}

package knobs.harness.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** torchrun's variables: parsed, defaulted, and every bad one named with its value. */
class DistEnvTest {
    private static Map<String, String> vars(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, String> good() {
        return vars("RANK", "3", "WORLD_SIZE", "4", "LOCAL_RANK", "1", "MASTER_ADDR", "node0", "MASTER_PORT", "29500");
    }

    private static String error(Map<String, String> v) {
        return assertThrows(IllegalArgumentException.class, () -> DistEnv.parse(v)).getMessage();
    }

    @Test
    void parsesTorchrunsVariables() {
        DistEnv e = DistEnv.parse(good());
        assertEquals(new DistEnv(3, 4, 1, "node0", 29500), e);
        assertFalse(e.loopback());
        assertEquals(good(), e.toEnv());
        assertTrue(DistEnv.present(good()));
        assertFalse(DistEnv.present(vars("MASTER_PORT", "1")), "a lone MASTER_PORT is not a group");
    }

    @Test
    void localRankDefaultsToRank() {
        Map<String, String> v = good();
        v.remove("LOCAL_RANK");
        assertEquals(3, DistEnv.parse(v).localRank());
    }

    @Test
    void everyBadVariableIsNamedWithItsValue() {
        Map<String, String> v = good();
        v.put("RANK", "4");
        assertEquals("RANK=4 is not allowed with WORLD_SIZE=4: must be in 0..3", error(v));
        v = good();
        v.put("RANK", "x1");
        assertEquals("RANK='x1' is not an integer", error(v));
        v = good();
        v.put("WORLD_SIZE", "0");
        assertEquals("WORLD_SIZE=0 is not allowed: must be >= 1", error(v));
        v = good();
        v.put("MASTER_PORT", "70000");
        assertEquals("MASTER_PORT=70000 is not allowed: must be in 1..65535", error(v));
        v = good();
        v.put("MASTER_PORT", "");
        assertEquals("MASTER_PORT='' is not an integer", error(v));
        v = good();
        v.put("LOCAL_RANK", "-1");
        assertTrue(error(v).startsWith("LOCAL_RANK=-1 is not allowed with RANK=3"));
        v = good();
        v.put("MASTER_ADDR", "no de");
        assertTrue(error(v).startsWith("MASTER_ADDR='no de' is not allowed"));
        v = good();
        v.remove("MASTER_ADDR");
        assertTrue(error(v).startsWith("MASTER_ADDR is not set"));
        v = good();
        v.remove("WORLD_SIZE");
        assertTrue(error(v).startsWith("WORLD_SIZE is not set"));
    }

    @Test
    void timeoutComesFromThePropertyThenTheVariable() {
        String old = System.getProperty(DistEnv.TIMEOUT_PROPERTY);
        try {
            System.clearProperty(DistEnv.TIMEOUT_PROPERTY);
            assertEquals(Duration.ofSeconds(60), DistEnv.timeout(vars()));
            assertEquals(Duration.ofSeconds(7), DistEnv.timeout(vars("KNOBS_DIST_TIMEOUT", "7")));
            assertEquals("KNOBS_DIST_TIMEOUT=0 is not allowed: must be a whole number of seconds >= 1",
                    assertThrows(IllegalArgumentException.class, () -> DistEnv.timeout(vars("KNOBS_DIST_TIMEOUT", "0"))).getMessage());
            System.setProperty(DistEnv.TIMEOUT_PROPERTY, "abc");
            assertEquals("-Dknobs.dist.timeout=abc is not allowed: must be a whole number of seconds >= 1",
                    assertThrows(IllegalArgumentException.class, () -> DistEnv.timeout(vars("KNOBS_DIST_TIMEOUT", "7"))).getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(DistEnv.TIMEOUT_PROPERTY);
            } else {
                System.setProperty(DistEnv.TIMEOUT_PROPERTY, old);
            }
        }
    }

    @Test
    void rankZeroChecksTheVariablesAgainstTheWorldSizeKnob() {
        Map<String, String> v = good();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DistTrial.rankZeroCheck(4, v)).getMessage()
                .startsWith("RANK=3 is not allowed for benchmarks.jar: it is rank 0"));
        v.put("RANK", "0");
        v.put("LOCAL_RANK", "0");
        assertEquals("WORLD_SIZE=4 does not match worldSize=2: run -p worldSize=4, or unset the variables to start the ranks here",
                assertThrows(IllegalArgumentException.class, () -> DistTrial.rankZeroCheck(2, v)).getMessage());
        DistTrial.rankZeroCheck(4, v);
        assertEquals(new DistEnv(0, 4, 0, "node0", 29500), DistTrial.rankZero(4, v));
        assertEquals("MASTER_PORT='http' is not an integer", assertThrows(IllegalArgumentException.class,
                () -> DistTrial.rankZeroCheck(2, vars("MASTER_PORT", "http"))).getMessage());
        DistEnv local = DistTrial.rankZero(2, vars());
        assertTrue(local.loopback() && local.rank() == 0 && local.masterPort() > 0, local.toString());
        assertEquals(31234, DistTrial.rankZero(2, vars("MASTER_PORT", "31234")).masterPort());
    }
}

package knobs.harness.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.kernels.Natives;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rank 0 in this JVM, rank 1 a child JVM ({@link LocalRanks}), Gloo over 127.0.0.1: a whole trial;
 * a child killed mid-trial fails the next step within seconds, naming it, and leaves no process;
 * a rank that never joins, and a master that is not there, fail within the timeout naming them;
 * a child whose parent goes away exits by itself.
 */
class DistTrialTest {
    private static final int TIMEOUT_S = 20;
    private static String oldTimeout;

    @TempDir
    Path dir;

    @BeforeAll
    static void shortTimeout() {
        oldTimeout = System.getProperty(DistEnv.TIMEOUT_PROPERTY);
        System.setProperty(DistEnv.TIMEOUT_PROPERTY, Integer.toString(TIMEOUT_S));
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

    private static Map<String, String> params(String collective, long bytes) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("collective", collective);
        m.put("bytes", Long.toString(bytes));
        m.put("device", "cpu");
        return m;
    }

    private static List<ProcessHandle> rankChildren() {
        return ProcessHandle.current().children()
                .filter(h -> h.info().commandLine().orElse("").contains(RankMain.class.getName())).toList();
    }

    @Test
    void aWholeTrialRunsInLockstepAndLeavesNoProcess() {
        List<ProcessHandle> started;
        try (DistTrial trial = DistTrial.start(2, "cpu", new CollectiveStep(), params("all_reduce", 4096))) {
            Lockstep l = trial.lockstep();
            started = trial.children().processes();
            assertEquals(1, started.size());
            l.verify();
            for (int i = 0; i < 5; i++) {
                l.prepare();
                l.step();
            }
            long[][] times = l.gatherTimes();
            assertEquals(2, times.length);
            assertEquals(5, times[0].length);
            assertEquals(5, times[1].length, "rank 1 ran the same steps");
            for (long[] rank : times) {
                for (long t : rank) {
                    assertTrue(t > 0, "an own time is positive");
                }
            }
            assertEquals(0, l.gatherTimes()[1].length, "gathered times are reset");
            l.verify();
        }
        for (ProcessHandle h : started) {
            assertFalse(h.isAlive(), "rank 1 exited with its trial");
        }
        assertTrue(rankChildren().isEmpty());
    }

    @Test
    void aChildKilledMidTrialFailsTheNextStepNamingItAndLeavesNoProcess() {
        DistTrial trial = DistTrial.start(2, "cpu", new CollectiveStep(), params("all_gather", 1024));
        ProcessHandle child = trial.children().processes().get(0);
        long t0;
        DistException e;
        try {
            Lockstep l = trial.lockstep();
            l.prepare();
            l.step();
            child.destroyForcibly();
            t0 = System.nanoTime();
            e = assertThrows(DistException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    l.prepare();
                    l.step();
                }
            });
        } finally {
            trial.close();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.println("killed rank 1; rank 0 failed after " + s + " s: " + e.getMessage());
        assertTrue(s < TIMEOUT_S + 5, "failed within the timeout, not after: " + s + " s");
        assertTrue(e.getMessage().contains("rank 1 (pid " + child.pid() + ") exited with status 137 (killed by signal 9)"),
                e.getMessage());
        assertTrue(trial.lockstep().failed());
        assertFalse(child.isAlive());
        assertTrue(rankChildren().isEmpty(), "no rank process left: " + rankChildren());
    }

    @Test
    void aRankThatNeverJoinsFailsTheRendezvousNamingIt() {
        System.setProperty(DistEnv.TIMEOUT_PROPERTY, "3");
        try {
            DistEnv env = new DistEnv(0, 3, 0, "127.0.0.1", LocalRanks.freePort());
            long t0 = System.nanoTime();
            DistException e = assertThrows(DistException.class, () -> DistGroup.join(env, ComputeDevice.parse("cpu"),
                    DistEnv.timeout(Map.of())));
            double s = (System.nanoTime() - t0) / 1e9;
            assertEquals("ranks 1, 2 did not join the group at 127.0.0.1:" + env.masterPort() + " within 3 s (seen from rank 0)",
                    e.getMessage());
            assertTrue(s < 10, s + " s");
        } finally {
            System.setProperty(DistEnv.TIMEOUT_PROPERTY, Integer.toString(TIMEOUT_S));
        }
    }

    @Test
    void aMasterPortInUseIsAClearErrorOnRankZero() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            DistEnv env = new DistEnv(0, 2, 0, "127.0.0.1", taken.getLocalPort());
            DistException e = assertThrows(DistException.class, () -> DistGroup.join(env, ComputeDevice.parse("cpu"),
                    Duration.ofSeconds(3)));
            assertTrue(e.getMessage().startsWith("rank 0 cannot serve the store on MASTER_ADDR=127.0.0.1 MASTER_PORT="
                    + taken.getLocalPort() + " (port in use, or not an address of this host)"), e.getMessage());
        }
    }

    /** A rank started with the variables, as a launcher starts it. */
    private Process rank(Map<String, String> vars, boolean pipeStdin) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RankMain.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.equals("RANK") || k.equals("WORLD_SIZE") || k.startsWith("MASTER_"));
        pb.environment().putAll(vars);
        if (!pipeStdin) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        return pb.start();
    }

    private String output() throws IOException {
        return Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
    }

    @Test
    void aWrongMasterPortIsAClearErrorWithinTheTimeout() throws Exception {
        int port = LocalRanks.freePort(); // nobody listens there
        long t0 = System.nanoTime();
        Process p = rank(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", Integer.toString(port),
                "KNOBS_DIST_TIMEOUT", "3"), false);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the rank gave up");
        double s = (System.nanoTime() - t0) / 1e9;
        String out = output();
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("knobs: rank 1: rank 1 cannot reach the master at MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port
                + " (gave up after "), out);
        assertTrue(s < 30, "gave up within the 3 s timeout plus a JVM start: " + s + " s");
    }

    @Test
    void badVariablesAreStatusTwoNamingThem() throws Exception {
        Process p = rank(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "99999"), false);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertEquals("knobs: MASTER_PORT=99999 is not allowed: must be in 1..65535", output().strip());
    }

    @Test
    void aChildExitsWhenItsParentGoesAway() throws Exception {
        int port = LocalRanks.freePort();
        Map<String, String> vars = new LinkedHashMap<>(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1",
                "MASTER_PORT", Integer.toString(port), "KNOBS_DIST_TIMEOUT", "300"));
        // stdin closed: the parent is done with it
        vars.put(LocalRanks.PARENT_PID, Long.toString(ProcessHandle.current().pid()));
        Process p = rank(vars, true);
        Thread.sleep(500);
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exited on end-of-file on stdin");
        assertEquals(3, p.exitValue());
        // the parent's pid gone (killed: no chance to close anything)
        Process fakeParent = new ProcessBuilder("sleep", "300").start();
        vars.put(LocalRanks.PARENT_PID, Long.toString(fakeParent.pid()));
        Process q = rank(vars, true);
        Thread.sleep(500);
        fakeParent.destroyForcibly().waitFor();
        assertTrue(q.waitFor(30, TimeUnit.SECONDS), "exited when the parent's pid disappeared");
        assertEquals(3, q.exitValue());
    }

    /**
     * Multi-node mode on loopback: a rank started by a launcher ({@code RankMain --serve}) serves two
     * trials of rank 0 in a row on the same port, then exits with status 0 once rank 0 does not come back.
     */
    @Test
    void aServingRankJoinsTrialAfterTrialThenLeaves() throws Exception {
        int port = LocalRanks.freePort();
        Map<String, String> vars = Map.of("RANK", "1", "WORLD_SIZE", "2", "LOCAL_RANK", "0", "MASTER_ADDR", "127.0.0.1",
                "MASTER_PORT", Integer.toString(port), "KNOBS_DIST_TIMEOUT", "5");
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RankMain.class.getName(), "--serve"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
        pb.environment().putAll(vars);
        Process serving = pb.start();
        try {
            DistEnv env = new DistEnv(0, 2, 0, "127.0.0.1", port);
            for (String collective : List.of("broadcast", "reduce_scatter")) {
                try (DistTrial t = DistTrial.start(env, false, Duration.ofSeconds(TIMEOUT_S), "cpu", new CollectiveStep(),
                        params(collective, 64))) {
                    t.lockstep().verify();
                    t.lockstep().prepare();
                    t.lockstep().step();
                    assertEquals(1, t.lockstep().gatherTimes()[1].length);
                }
            }
            assertTrue(serving.waitFor(60, TimeUnit.SECONDS), "left once rank 0 stayed away");
            String out = output();
            assertEquals(0, serving.exitValue(), out);
            assertTrue(out.contains("knobs: rank 1: served 2 trial(s); rank 0 has not come back within 5 s: done"), out);
        } finally {
            serving.destroyForcibly();
        }
    }
}

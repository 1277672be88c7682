package knobs.harness.dist;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import knobs.harness.ComputeDevice;
import knobs.kernels.Natives;

/**
 * Entry point of ranks 1..n−1: {@code java -cp benchmarks.jar knobs.harness.dist.RankMain [--serve]}
 * with torchrun's variables ({@link DistEnv}). It joins rank 0's group, reads the benchmark's step
 * and knob values from the store, and follows rank 0's commands ({@link Lockstep#follow}) until
 * rank 0 stops it. Rank 0 is always {@code benchmarks.jar} (its JMH fork).
 *
 * <p>Without {@code --serve} it serves one trial and exits (how {@link LocalRanks} starts it:
 * one child per rank and trial). With {@code --serve} (multi-node, {@code scripts/run-dist.sh}) it
 * joins again after each trial, since every JMH fork of rank 0 opens a new group on the same
 * {@code MASTER_PORT}, and exits with status 0 once rank 0 has not come back within the timeout
 * after at least one trial.
 *
 * <p>When started by {@link LocalRanks} ({@code KNOBS_PARENT_PID} set) it exits as soon as its
 * parent does: end-of-file on stdin, or the parent's pid gone. Exit status: 0 done, 1 failed (one
 * line {@code knobs: rank R: ...} on stderr), 2 bad variables, 3 parent gone.
 */
public final class RankMain {
    private RankMain() {
    }

    public static void main(String[] args) {
        Map<String, String> vars = System.getenv();
        boolean serve = args.length > 0 && args[0].equals("--serve");
        if (args.length > (serve ? 1 : 0)) {
            System.err.println("knobs: usage: RankMain [--serve] (with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT set)");
            System.exit(2);
        }
        DistEnv env;
        Duration timeout;
        try {
            env = DistEnv.parse(vars);
            timeout = DistEnv.timeout(vars);
            if (env.rank() == 0) {
                throw new IllegalArgumentException(DistEnv.RANK + "=0 is not allowed here: rank 0 is benchmarks.jar itself"
                        + " (java -jar benchmarks.jar ... with the same variables); RankMain runs ranks 1.." + (env.worldSize() - 1));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("knobs: " + e.getMessage());
            System.exit(2);
            return;
        }
        String parent = vars.get(LocalRanks.PARENT_PID);
        if (parent != null) {
            watchParent(Long.parseLong(parent.trim()));
        }
        Natives.load();
        int served = 0;
        long lastEnd = System.nanoTime();
        while (true) {
            try {
                runTrial(env, timeout);
                served++;
                lastEnd = System.nanoTime();
                if (!serve) {
                    System.exit(0);
                }
            } catch (StaleStore e) {
                // the previous trial's store, not yet gone: try again shortly
                sleep(200);
            } catch (Throwable e) {
                boolean waiting = e instanceof DistException && e.getMessage().contains("cannot reach the master");
                if (serve && served > 0 && waiting) {
                    System.err.println("knobs: rank " + env.rank() + ": served " + served + " trial(s); rank 0 has not come back"
                            + " within " + timeout.toSeconds() + " s: done");
                    System.exit(0);
                }
                if (serve && served > 0 && System.nanoTime() - lastEnd < timeout.toNanos()) {
                    // between two trials rank 0's old store may vanish under us: join again while time is left
                    System.err.println("knobs: rank " + env.rank() + ": joining the next trial again after: " + e.getMessage());
                    sleep(200);
                    continue;
                }
                System.err.println("knobs: rank " + env.rank() + ": " + e.getMessage());
                if (Boolean.getBoolean("knobs.debug")) {
                    e.printStackTrace();
                }
                System.exit(1);
            }
        }
    }

    /** Connected to a store whose trial rank 0 has already closed. */
    private static final class StaleStore extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StaleStore() {
            super("the store's trial is closed");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            System.exit(1);
        }
    }

    private static void runTrial(DistEnv env, Duration timeout) throws ReflectiveOperationException {
        try (DistGroup g = DistGroup.join(env, timeout, store -> {
            if (Lockstep.closed(store)) {
                throw new StaleStore();
            }
            return ComputeDevice.parse(rankDevice(Lockstep.params(store).getOrDefault("device", "cpu"), env));
        }, () -> null)) {
            Lockstep.follow(g);
        }
    }

    /** {@code cuda} on rank r means {@code cuda:LOCAL_RANK}, one GPU per rank, as torchrun does. */
    public static String rankDevice(String device, DistEnv env) {
        return device.trim().equalsIgnoreCase("cuda") ? "cuda:" + env.localRank() : device;
    }

    /** Exits (status 3) when the parent closes our stdin or its pid disappears. */
    private static void watchParent(long pid) {
        Thread t = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) {
                    // nothing is sent; end-of-file means the parent is gone or done with us
                }
            } catch (IOException e) {
                // a broken pipe means the same as end-of-file
            }
            Runtime.getRuntime().halt(3);
        }, "knobs-parent-stdin");
        t.setDaemon(true);
        t.start();
        ProcessHandle.of(pid).ifPresentOrElse(
                h -> h.onExit().thenRun(() -> Runtime.getRuntime().halt(3)),
                () -> Runtime.getRuntime().halt(3));
    }
}

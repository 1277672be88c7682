package knobs.harness.dist;

import java.time.Duration;
import java.util.Map;
import knobs.harness.ComputeDevice;

/**
 * Rank 0's side of one distributed trial (a JMH trial of a distributed benchmark):
 * <ul>
 *   <li>with torchrun's variables set ({@code RANK}, {@code WORLD_SIZE}, ...), this process must be
 *       rank 0 of a group of {@code worldSize} whose other ranks a launcher started
 *       ({@code RankMain --serve}; {@code scripts/run-dist.sh});</li>
 *   <li>else the other ranks are started here, as child JVMs on 127.0.0.1 ({@link LocalRanks}), on
 *       {@code MASTER_PORT} if set, else on a free port.</li>
 * </ul>
 * Then the group is joined (the step and its knob values published in the store first) and the
 * step set up on every rank; {@link #lockstep} drives it. {@link #close} stops the other ranks and
 * leaves the group; with local ranks, no child outlives it.
 */
public final class DistTrial implements AutoCloseable {
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final DistGroup group;
    private final LocalRanks children;
    private final Lockstep lockstep;

    private DistTrial(DistGroup group, LocalRanks children, Lockstep lockstep) {
        this.group = group;
        this.children = children;
        this.lockstep = lockstep;
    }

    /**
     * The group rank 0 will run for a {@code worldSize} knob, from the environment: torchrun's
     * variables when set (checked against the knob), else this machine's loopback.
     *
     * @throws IllegalArgumentException naming a bad or inconsistent variable
     */
    public static DistEnv rankZero(int worldSize, Map<String, String> vars) {
        rankZeroCheck(worldSize, vars);
        if (DistEnv.present(vars)) {
            return DistEnv.parse(vars);
        }
        String port = vars.get(DistEnv.MASTER_PORT);
        return new DistEnv(0, worldSize, 0, "127.0.0.1", port == null ? LocalRanks.freePort() : Integer.parseInt(port.trim()));
    }

    /**
     * The checks of {@link #rankZero} that load nothing and bind nothing (benchmarks' pre-fork
     * check): torchrun's variables, when set, describe rank 0 of a {@code worldSize} group; a lone
     * {@code MASTER_PORT} is a port number; {@code KNOBS_DIST_TIMEOUT} / {@code -Dknobs.dist.timeout}
     * is a whole number of seconds.
     *
     * @throws IllegalArgumentException naming the variable and its bad value
     */
    public static void rankZeroCheck(int worldSize, Map<String, String> vars) {
        DistEnv.timeout(vars);
        if (DistEnv.present(vars)) {
            DistEnv e = DistEnv.parse(vars);
            if (e.worldSize() != worldSize) {
                throw new IllegalArgumentException(DistEnv.WORLD_SIZE + "=" + e.worldSize() + " does not match worldSize="
                        + worldSize + ": run -p worldSize=" + e.worldSize() + ", or unset the variables to start the ranks here");
            }
            if (e.rank() != 0) {
                throw new IllegalArgumentException(DistEnv.RANK + "=" + e.rank() + " is not allowed for benchmarks.jar: it is"
                        + " rank 0; start ranks 1.." + (worldSize - 1) + " with knobs.harness.dist.RankMain --serve"
                        + " (scripts/run-dist.sh)");
            }
            return;
        }
        String port = vars.get(DistEnv.MASTER_PORT);
        if (port != null) {
            int p;
            try {
                p = Integer.parseInt(port.trim());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(DistEnv.MASTER_PORT + "='" + port + "' is not an integer");
            }
            new DistEnv(0, worldSize, 0, "127.0.0.1", p); // validates the range
        }
    }

    /** Whether the other ranks will be started here (no torchrun variables set). */
    public static boolean local(Map<String, String> vars) {
        return !DistEnv.present(vars);
    }

    /**
     * Starts (or joins) the group and sets the step up on every rank.
     *
     * @param worldSize the number of ranks
     * @param device    the benchmark's {@code device} knob ({@code cuda} means {@code cuda:LOCAL_RANK})
     * @param step      rank 0's instance of the step; the others create theirs from its class
     * @param params    the knob values every rank's step is built from ({@code device} among them)
     * @throws DistException naming the rank that failed to start, join or set up
     */
    public static DistTrial start(int worldSize, String device, RankStep step, Map<String, String> params) {
        Map<String, String> vars = System.getenv();
        return start(rankZero(worldSize, vars), local(vars), DistEnv.timeout(vars), device, step, params);
    }

    /**
     * {@link #start(int, String, RankStep, Map)} for a given group: with {@code startLocal}, ranks
     * 1..n−1 are started here as child JVMs; else a launcher started them ({@code RankMain --serve}).
     */
    static DistTrial start(DistEnv env, boolean startLocal, Duration timeout, String device, RankStep step,
                           Map<String, String> params) {
        ComputeDevice d = ComputeDevice.parse(RankMain.rankDevice(device, env));
        LocalRanks children = startLocal ? LocalRanks.start(env, timeout) : null;
        DistGroup group = null;
        try {
            group = DistGroup.join(env, timeout, store -> {
                Lockstep.publish(store, step.getClass(), params);
                return d;
            }, children == null ? () -> null : children::deaths);
            Lockstep l = Lockstep.lead(group, step, params,
                    e -> children == null ? DistGroup.firstLine(e) : children.describeFailure(e, GRACE));
            return new DistTrial(group, children, l);
        } catch (RuntimeException e) {
            if (group != null) {
                group.close();
            }
            if (children != null) {
                RuntimeException described = e instanceof DistException ? e
                        : new DistException(children.describeFailure(e, GRACE), e);
                children.close();
                throw described;
            }
            throw e;
        }
    }

    /** The driver of the steps (rank 0's side). */
    public Lockstep lockstep() {
        return lockstep;
    }

    /** The local child ranks' processes, or null when a launcher started them. */
    public LocalRanks children() {
        return children;
    }

    /**
     * The end of a benchmark's trial: verifies every rank's result once more (unless a step failed:
     * the failure is already the trial's error), then {@link #close()}s whatever happened.
     */
    public void finish() {
        try {
            if (!lockstep.failed()) {
                lockstep.verify();
            }
        } finally {
            close();
        }
    }

    /**
     * Stops the other ranks (unless a step failed: they are then ended, not asked), leaves the
     * group, and waits for or ends the local children.
     */
    @Override
    public void close() {
        try {
            if (!lockstep.failed()) {
                lockstep.stop();
            }
        } finally {
            try {
                group.close();
            } finally {
                if (children != null) {
                    children.close();
                }
            }
        }
    }
}

package knobs.harness.dist;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where this process stands in a distributed run, from the environment variables torchrun sets
 * (so Slurm {@code srun}, Kubernetes or any torchrun-style wrapper can start Knobs ranks):
 * {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}.
 * Every value is validated; a bad one is an {@link IllegalArgumentException} naming the variable,
 * its value and what is allowed. docs/distributed.md lists them.
 *
 * @param rank       this process's rank, 0..worldSize-1 (rank 0 hosts the store)
 * @param worldSize  the number of ranks, at least 1
 * @param localRank  the rank on this node (picks {@code cuda:localRank} with {@code device=cuda})
 * @param masterAddr host name or address of rank 0's store
 * @param masterPort TCP port of rank 0's store, 1..65535
 */
public record DistEnv(int rank, int worldSize, int localRank, String masterAddr, int masterPort) {
    public static final String RANK = "RANK";
    public static final String WORLD_SIZE = "WORLD_SIZE";
    public static final String LOCAL_RANK = "LOCAL_RANK";
    public static final String MASTER_ADDR = "MASTER_ADDR";
    public static final String MASTER_PORT = "MASTER_PORT";

    /** {@code -Dknobs.dist.timeout=SECONDS}: the bound on every rendezvous and collective wait. */
    public static final String TIMEOUT_PROPERTY = "knobs.dist.timeout";
    /** The same bound as an environment variable, for ranks started by a cluster launcher. */
    public static final String TIMEOUT_ENV = "KNOBS_DIST_TIMEOUT";
    /** The default bound on every wait, in seconds. */
    public static final int DEFAULT_TIMEOUT_S = 60;

    public DistEnv {
        if (worldSize < 1) {
            throw new IllegalArgumentException(WORLD_SIZE + "=" + worldSize + " is not allowed: must be >= 1");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException(RANK + "=" + rank + " is not allowed with " + WORLD_SIZE + "=" + worldSize
                    + ": must be in 0.." + (worldSize - 1));
        }
        if (localRank < 0 || localRank > rank) {
            throw new IllegalArgumentException(LOCAL_RANK + "=" + localRank + " is not allowed with " + RANK + "=" + rank
                    + ": must be in 0.." + rank + " (a node's ranks are numbered from 0)");
        }
        if (masterAddr == null || masterAddr.isBlank() || masterAddr.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(MASTER_ADDR + "='" + masterAddr + "' is not allowed: must be a host name or an"
                    + " IP address, without spaces");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException(MASTER_PORT + "=" + masterPort + " is not allowed: must be in 1..65535");
        }
    }

    /** Whether any of torchrun's variables is set: this process was started as one rank of a group. */
    public static boolean present(Map<String, String> env) {
        return env.containsKey(RANK) || env.containsKey(WORLD_SIZE);
    }

    /**
     * Reads the variables. {@code RANK}, {@code WORLD_SIZE}, {@code MASTER_ADDR} and
     * {@code MASTER_PORT} are required; {@code LOCAL_RANK} defaults to {@code RANK} (one node).
     *
     * @throws IllegalArgumentException naming the missing or bad variable and its value
     */
    public static DistEnv parse(Map<String, String> env) {
        int world = integer(env, WORLD_SIZE, null);
        int rank = integer(env, RANK, null);
        int local = integer(env, LOCAL_RANK, rank);
        String addr = env.get(MASTER_ADDR);
        if (addr == null) {
            throw new IllegalArgumentException(MASTER_ADDR + " is not set: every rank needs rank 0's host"
                    + " (torchrun's variables: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; docs/distributed.md)");
        }
        int port = integer(env, MASTER_PORT, null);
        return new DistEnv(rank, world, local, addr.trim(), port);
    }

    private static int integer(Map<String, String> env, String name, Integer fallback) {
        String v = env.get(name);
        if (v == null) {
            if (fallback != null) {
                return fallback;
            }
            throw new IllegalArgumentException(name + " is not set (torchrun's variables: RANK, WORLD_SIZE, LOCAL_RANK,"
                    + " MASTER_ADDR, MASTER_PORT; docs/distributed.md)");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + v + "' is not an integer");
        }
    }

    /** The variables a process of this rank is started with (the inverse of {@link #parse}). */
    public Map<String, String> toEnv() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(RANK, Integer.toString(rank));
        m.put(WORLD_SIZE, Integer.toString(worldSize));
        m.put(LOCAL_RANK, Integer.toString(localRank));
        m.put(MASTER_ADDR, masterAddr);
        m.put(MASTER_PORT, Integer.toString(masterPort));
        return m;
    }

    /** This group's view from another rank of the same node. */
    public DistEnv withRank(int r) {
        return new DistEnv(r, worldSize, r, masterAddr, masterPort);
    }

    /** Whether the master is this machine's loopback (every rank on one machine, traffic on 127.0.0.1). */
    public boolean loopback() {
        return masterAddr.equals("127.0.0.1") || masterAddr.equals("localhost") || masterAddr.equals("::1");
    }

    /**
     * The bound on every wait: {@code -Dknobs.dist.timeout}, else {@code KNOBS_DIST_TIMEOUT}, else
     * 60 s; in whole seconds, at least 1.
     *
     * @throws IllegalArgumentException naming a bad value
     */
    public static Duration timeout(Map<String, String> env) {
        String p = System.getProperty(TIMEOUT_PROPERTY);
        String name = "-D" + TIMEOUT_PROPERTY;
        if (p == null) {
            p = env.get(TIMEOUT_ENV);
            name = TIMEOUT_ENV;
        }
        if (p == null) {
            return Duration.ofSeconds(DEFAULT_TIMEOUT_S);
        }
        try {
            int s = Integer.parseInt(p.trim());
            if (s >= 1) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException e) {
            // falls through to the error naming the value
        }
        throw new IllegalArgumentException(name + "=" + p + " is not allowed: must be a whole number of seconds >= 1");
    }

    @Override
    public String toString() {
        return "rank " + rank + " of " + worldSize + " (local rank " + localRank + ", master " + masterAddr + ":" + masterPort + ")";
    }
}

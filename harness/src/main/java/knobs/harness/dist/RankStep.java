package knobs.harness.dist;

import java.util.Map;
import knobs.kernels.dist.Comm;

/**
 * The part of a distributed benchmark every rank runs: built from the benchmark's knob values (the
 * same on every rank, sent by rank 0 through the store), then driven in lockstep by rank 0
 * ({@link Lockstep}). Implementations have a public no-argument constructor: ranks other than 0
 * create them by class name ({@link RankMain}).
 */
public interface RankStep {
    /**
     * Allocates this rank's state. Called on every rank, after the group is joined.
     *
     * @param comm   this rank's collectives
     * @param env    this rank's place in the group
     * @param params the benchmark's knob values by name
     */
    void setUp(Comm comm, DistEnv env, Map<String, String> params);

    /** One timed step; every rank issues the same collectives in the same order. */
    void step();

    /**
     * One untimed step on known inputs, its result compared with what it must be. Every rank
     * issues the same collectives.
     *
     * @return null when right, else what is wrong (naming this rank)
     */
    String verify();

    /**
     * This rank's counters accumulated since the last call, then reset (for example nanoseconds of
     * communication, bytes sent), gathered by {@link Lockstep#gatherCounters} outside the timed
     * region. Every rank of one step class returns the same number of counters. Default: none.
     */
    default long[] counters() {
        return new long[0];
    }
}

package knobs.harness.dist;

/** The per-step extremes over ranks of gathered own times, shared by the distributed counters. */
final class RankSums {
    private RankSums() {
    }

    /** Receives one step's largest and smallest own time over ranks. */
    interface Extremes {
        void add(long max, long min);
    }

    /**
     * Passes each step's slowest and fastest rank time of {@code times[rank][step]} to {@code sink};
     * returns the number of steps.
     */
    static long addExtremes(long[][] times, Extremes sink) {
        int steps = times.length == 0 ? 0 : times[0].length;
        for (int s = 0; s < steps; s++) {
            long max = Long.MIN_VALUE;
            long min = Long.MAX_VALUE;
            for (long[] rank : times) {
                max = Math.max(max, rank[s]);
                min = Math.min(min, rank[s]);
            }
            sink.add(max, min);
        }
        return steps;
    }
}

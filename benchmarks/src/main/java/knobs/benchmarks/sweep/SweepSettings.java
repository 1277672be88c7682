package knobs.benchmarks.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;

/**
 * How a sweep runs, recorded in {@code sweep.json} so that {@code --resume} continues it exactly:
 * its shard, interleaving (repetitions per configuration and the seed of their order), how often a
 * noisy or contended configuration is re-run, the per-run time-out, and whether a report is made.
 *
 * @param interleave repetitions per configuration, each one JMH fork; null runs each configuration
 *                   once with its own fork count
 * @param seed       the seed of the interleaved order (null when not interleaved)
 */
public record SweepSettings(int shardI, int shardN, Integer interleave, Long seed, int retryNoisy, Duration timeout, boolean report) {

    ObjectNode toJson() {
        ObjectNode s = SweepStore.JSON.createObjectNode();
        s.put("shard", shardI + "/" + shardN);
        if (interleave != null) {
            s.put("interleave", interleave);
            s.put("seed", seed);
        } else {
            s.putNull("interleave");
        }
        s.put("retry_noisy", retryNoisy);
        s.put("timeout", format(timeout));
        s.put("report", report);
        return s;
    }

    /** The settings stored by {@link #toJson()}; a sweep folder of an older runner stored none (defaults). */
    static SweepSettings fromJson(JsonNode s) {
        String shard = s.path("shard").asText("1/1");
        int slash = shard.indexOf('/');
        return new SweepSettings(Integer.parseInt(shard.substring(0, slash)), Integer.parseInt(shard.substring(slash + 1)),
                s.path("interleave").isInt() ? s.get("interleave").asInt() : null,
                s.path("seed").isIntegralNumber() ? s.get("seed").asLong() : null,
                s.path("retry_noisy").asInt(0),
                SweepMain.duration(s.path("timeout").asText("30m")),
                s.path("report").asBoolean(true));
    }

    static String format(Duration d) {
        long s = d.getSeconds();
        return s % 3600 == 0 && s > 0 ? s / 3600 + "h" : s % 60 == 0 && s > 0 ? s / 60 + "m" : s + "s";
    }
}

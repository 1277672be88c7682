package knobs.reports.regression;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code merge}: the shards of a sweep as one run, with their sidecars, failure records and logs; overlaps refused. */
class MergeTest {

    @TempDir
    Path dir;

    /** Splits base/run.json (8 configurations) into two shard folders: results 0, 2, 4, … and 1, 3, 5, …; shard 2 with a failure. */
    private void writeShards() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        JsonNode all = JmhFixture.MAPPER.readTree(dir.resolve("base/run.json").toFile());
        for (int i = 0; i < all.size(); i++) {
            ArrayNode one = JmhFixture.MAPPER.createArrayNode().add(all.get(i));
            JmhFixture.write(dir.resolve("shard" + (i % 2 + 1) + "/results/c" + i + ".json"), one);
        }
        JmhFixture.write(dir.resolve("shard1/results/knobs-env/env-1.json"), JmhFixture.sidecar("2026-11-20T10:00:00Z"));
        JmhFixture.write(dir.resolve("shard2/results/knobs-env/env-1.json"), JmhFixture.sidecar("2026-11-20T10:05:00Z"));
        JmhFixture.write(dir.resolve("shard2/failed/dead.json"), "{\"id\": \"dead\", \"benchmark\": \"knobs.benchmarks.BlocksMask.forward\","
                + " \"params\": {\"activeBlocks\": \"4\", \"phase\": \"decode\"}, \"reason\": \"timed out\", \"log\": \"logs/dead.log\"}\n");
        JmhFixture.write(dir.resolve("shard2/logs/dead.log"), "timed out\n");
    }

    @Test
    void mergedShardsAreTheWholeRun() throws IOException {
        writeShards();
        Cli merge = Cli.run(dir, "merge", "shard1", "shard2", "--out", "merged");
        assertEquals(0, merge.exit(), merge.err());
        assertTrue(merge.out().contains("merged 2 shards into merged: 8 configurations"), merge.out());
        assertTrue(Files.isRegularFile(dir.resolve("merged/results/knobs-env/env-s1-env-1.json")));
        assertTrue(Files.isRegularFile(dir.resolve("merged/results/knobs-env/env-s2-env-1.json")), "both shards' sidecars kept");
        assertTrue(Files.isRegularFile(dir.resolve("merged/failed/dead.json")));
        assertTrue(Files.isRegularFile(dir.resolve("merged/logs/dead.log")));
        JsonNode record = JmhFixture.MAPPER.readTree(dir.resolve("merged/merge.json").toFile());
        assertEquals("knobs-merge/1", record.get("schema").asText());
        assertEquals(4, record.at("/shards/0/configurations").asInt());
        assertEquals(1, record.at("/shards/1/failed").asInt());

        // The merged folder is a run: the same configurations and samples as the unsharded one.
        Cli compare = Cli.run(dir, "compare", "base", "merged", "--out", "cmp");
        assertEquals(0, compare.exit(), compare.err());
        JsonNode cmp = JmhFixture.MAPPER.readTree(dir.resolve("cmp/comparison.json").toFile());
        assertEquals(0, cmp.at("/counts/baseline_only").asInt());
        assertEquals(0, cmp.at("/counts/regression").asInt());
        for (JsonNode c : cmp.get("comparisons")) {
            assertEquals(1.0, c.get("ratio").asDouble(), 1e-12, c.toString());
        }
        assertEquals(0, cmp.at("/counts/current_only").asInt());
        assertEquals(8, cmp.get("comparisons").size() + cmp.get("skipped").size());
        // And it exports like the unsharded run.
        assertEquals(Cli.run(dir, "export", "base", "--format", "bencher").out(), Cli.run(dir, "export", "merged", "--format", "bencher").out());
    }

    @Test
    void aConfigurationInTwoShardsIsRefused() throws IOException {
        writeShards();
        Files.copy(dir.resolve("shard1/results/c0.json"), dir.resolve("shard2/results/again.json"));
        Cli cli = Cli.run(dir, "merge", "shard1", "shard2", "--out", "merged");
        cli.assertBadInput(List.of("is in both shard1 and shard2", "each configuration once"), false);
        assertFalse(Files.exists(dir.resolve("merged")), "nothing written");
    }

    @Test
    void badShardsAndOutputsAreRefused() throws IOException {
        writeShards();
        Cli.run(dir, "merge", "shard1", "base", "--out", "m").assertBadInput(List.of("base: not a sweep folder"), false);
        Files.createDirectories(dir.resolve("taken"));
        Files.writeString(dir.resolve("taken/x"), "x");
        Cli.run(dir, "merge", "shard1", "--out", "taken").assertBadInput(List.of("--out taken: already holds files"), false);
        Cli.run(dir, "merge", "--out", "m").assertBadInput(List.of("SHARD"), true);
    }
}

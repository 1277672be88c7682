package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import knobs.kernels.Presets;
import knobs.kernels.RoutingMode;
import knobs.kernels.RoutingTrace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trace file format: written and read back, and every malformed file a clear error naming file and line. */
class RoutingTraceFileTest {
    private static final String HEADER = "{\"schema\":\"knobs-routing-trace/1\",\"layers\":2,\"experts\":8,\"k\":2,\"sequences\":1,\"positions\":2}";
    private static final String L0 = "{\"layer\":0,\"experts\":[[0,1],[2,3]]}";
    private static final String L1 = "{\"layer\":1,\"experts\":[[4,5],[6,7]]}";

    @Test
    void writesAndReadsBack(@TempDir Path dir) throws IOException {
        RoutingTrace t = new RoutingTrace("mem", 8, 2, 2, 3, new int[][] {
                {0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 1, 3}, {7, 6, 5, 4, 3, 2, 1, 0, 7, 5, 6, 4}});
        Path file = dir.resolve("t.jsonl");
        RoutingTraceFile.write(t, file, "tiny-moe", "random");
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size());
        assertEquals("{\"schema\":\"knobs-routing-trace/1\",\"model\":\"tiny-moe\",\"layers\":2,\"experts\":8,\"k\":2,"
                + "\"sequences\":2,\"positions\":3,\"tokens\":\"random\"}", lines.get(0));
        assertEquals("{\"layer\":0,\"experts\":[[0,1],[2,3],[4,5],[6,7],[0,2],[1,3]]}", lines.get(1));
        RoutingTrace back = RoutingTraceFile.read(file, "t.jsonl");
        assertEquals(2, back.layers());
        assertEquals(2, back.sequences());
        assertEquals(3, back.positions());
        for (int l = 0; l < 2; l++) {
            for (int s = 0; s < 2; s++) {
                for (int p = 0; p < 3; p++) {
                    assertArrayEquals(t.experts(l, s, p), back.experts(l, s, p));
                }
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void everyMalformedFileNamesTheProblem(@TempDir Path dir) throws IOException {
        bad(dir, "no such file", null);
        bad(dir, "empty; a routing trace starts with a header line", "");
        bad(dir, "line 1 is not JSON", "not json\n" + L0);
        bad(dir, "line 1 is not a routing trace header", "{\"schema\":\"other/1\"}\n" + L0 + "\n" + L1);
        bad(dir, "header field \"k\" must be a whole number >= 1, got 0", HEADER.replace("\"k\":2", "\"k\":0"));
        bad(dir, "header field \"experts\" must be a whole number >= 1, got nothing", HEADER.replace("\"experts\":8,", ""));
        bad(dir, "ends after 1 layer lines; the header says layers=2", HEADER + "\n" + L0);
        bad(dir, "line 3: expected {\"layer\":1", HEADER + "\n" + L0 + "\n" + L0);
        bad(dir, "\"experts\" must be an array of 2 tokens", HEADER + "\n" + L0 + "\n{\"layer\":1,\"experts\":[[4,5]]}");
        bad(dir, "token 1: expected an array of k=2 expert ids, got [6]", HEADER + "\n" + L0 + "\n{\"layer\":1,\"experts\":[[4,5],[6]]}");
        bad(dir, "expert id \"a\" is not an integer", HEADER + "\n" + L0 + "\n{\"layer\":1,\"experts\":[[4,5],[6,\"a\"]]}");
        bad(dir, "layer 1, sequence 0, position 1: expert id 8 is not allowed: must be in 0..7",
                HEADER + "\n" + L0 + "\n{\"layer\":1,\"experts\":[[4,5],[6,8]]}");
        bad(dir, "layer 0, sequence 0, position 0: expert 1 is chosen twice", HEADER + "\n{\"layer\":0,\"experts\":[[1,1],[2,3]]}\n" + L1);
        bad(dir, "has more than the header's 2 layer lines", HEADER + "\n" + L0 + "\n" + L1 + "\n" + L1);
        Path ok = dir.resolve("ok.jsonl");
        Files.writeString(ok, HEADER + "\n\n" + L0 + "\n" + L1 + "\n");
        assertEquals(2, RoutingTraceFile.read(ok, "ok.jsonl").layers(), "blank lines are skipped");
    }

    @Test
    void theRoutingKnobAcceptsModesAndTraces(@TempDir Path dir) throws IOException {
        assertEquals(RoutingMode.SKEWED, RoutingSource.parse("skewed").mode());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> RoutingSource.parse("uniform"));
        assertEquals("unknown routing 'uniform'; allowed: router, balanced, skewed, trace:FILE (a recorded routing trace)",
                unknown.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RoutingSource.parse("trace:")).getMessage()
                .contains("routing=trace:FILE"));
        Path file = dir.resolve("t.jsonl");
        Files.writeString(file, HEADER + "\n" + L0 + "\n" + L1 + "\n");
        RoutingSource r = RoutingSource.parse("trace:" + file);
        assertEquals(2, r.trace().k());
        r.check(Presets.get("tiny-moe"), 2, 1, 2);
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                () -> r.check(Presets.get("tiny-moe"), 2, 1, 3));
        assertTrue(tooFew.getMessage().startsWith("routing=trace:" + file + ": the step needs 3 positions"), tooFew.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> RoutingSource.parse("trace:" + dir.resolve("none.jsonl")));
        assertEquals("routing=trace:" + dir.resolve("none.jsonl") + ": no such file", missing.getMessage());
    }

    private static void bad(Path dir, String expected, String content) throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.deleteIfExists(file);
        if (content != null) {
            Files.writeString(file, content);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RoutingTraceFile.read(file, "bad.jsonl"));
        assertTrue(e.getMessage().startsWith("bad.jsonl: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
    }
}

package knobs.reports.regression;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code history add} and {@code history show} on the seeded scenarios. */
class HistoryTest {

    @TempDir
    Path dir;

    private Cli add(String run, String commit, String... more) {
        String[] args = new String[5 + more.length];
        System.arraycopy(new String[] {"history", "add", run, "--store", "store"}, 0, args, 0, 5);
        System.arraycopy(more, 0, args, 5, more.length);
        Cli cli = Cli.run(dir, concat(args, "--commit", commit));
        assertEquals(0, cli.exit(), cli.err());
        return cli;
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private List<String> store() throws IOException {
        return OutputFolder.listing(dir.resolve("store"));
    }

    @Test
    void addingTheSameRunTwiceStoresItOnce() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        Cli first = add("base", "c1");
        assertTrue(first.out().startsWith("added base to store as "), first.out());
        assertTrue(first.out().contains("(commit c1, 2026-11-20T10:00:00Z, 8 configurations)"), "date from the sidecar: " + first.out());
        assertEquals(1, store().size());
        Cli again = add("base", "c9", "--date", "2027-01-01T00:00:00Z");
        assertTrue(again.out().startsWith("already in store as "), again.out());
        assertTrue(again.out().contains("(commit c1, 2026-11-20T10:00:00Z); not added again"), again.out());
        // The same measurements read from a summary.json are the same run too.
        assertEquals(0, Cli.run(dir, "summarize", "base/run.json", "--out", "base-report", "--no-plots").exit());
        assertTrue(add("base-report/summary.json", "c1").out().startsWith("already in store"));
        assertEquals(1, store().size());
        add("aa", "c2");
        assertEquals(2, store().size());
    }

    @Test
    void showMarksTheRegressionAndSkipsDamagedEntries() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        add("base", "c1");
        String aa = add("aa", "c2").out().replaceAll("(?s).* as ([0-9a-f]{16}) .*", "$1");
        add("ab", "c3");
        add("fast", "c4", "--date", "2026-11-19T00:00:00+01:00");
        assertEquals(4, store().size());
        // One entry edited by hand (its content no longer matches its id), one file that is not JSON.
        Path edited = dir.resolve("store").resolve(aa + ".json");
        String text = Files.readString(edited);
        Files.writeString(edited, text.replaceFirst("(\"seconds\": \\[\n\\s*)0\\.0", "$11.0"));
        assertFalse(text.equals(Files.readString(edited)), "the edit must change the entry");
        Files.writeString(dir.resolve("store/notes.json"), "{ half");

        Cli show = Cli.run(dir, "history", "show", "--store", "store", "--out", "hist");
        assertEquals(0, show.exit(), show.err());
        List<String> warnings = show.err().lines().toList();
        assertEquals(2, warnings.size(), show.err());
        assertTrue(warnings.get(0).startsWith("reports: warning: skipped store/" + aa + ".json: not a history entry:"
                + " its measurements hash to "), warnings.get(0));
        assertTrue(warnings.get(1).startsWith("reports: warning: skipped store/notes.json: not valid JSON"), warnings.get(1));

        JsonNode h = JmhFixture.MAPPER.readTree(dir.resolve("hist/history.json").toFile());
        assertEquals(2, h.get("skipped").size());
        // Dates order the runs: fast (c4) at 23:00 UTC on the 18th comes first; the edited c2 is left out.
        assertEquals(List.of("c4", "c1", "c3"), h.get("runs").findValuesAsText("commit"));
        // Same-machine runs c1 → c3: only the 20 % step of MoeTopK decode topK=8 is a change. (c4 → c1 moves
        // every row: c4 ran on a machine 25 % faster.)
        List<JsonNode> c3 = new java.util.ArrayList<>();
        h.get("changes").forEach(c -> {
            if (c.get("commit").asText().equals("c3")) {
                c3.add(c);
            }
        });
        assertEquals(1, c3.size(), h.get("changes").toString());
        assertEquals("MoeTopK.forward", c3.get(0).get("benchmark").asText());
        assertEquals(8, c3.get(0).at("/params/topK").asInt());
        assertEquals("decode", c3.get(0).at("/params/phase").asText());
        assertEquals("regression", c3.get(0).get("verdict").asText());
        assertEquals(2, c3.get(0).get("against_run").asInt());

        String html = Files.readString(dir.resolve("hist/index.html"));
        assertTrue(html.contains("2 store files skipped"), html);
        assertTrue(html.contains("<tr class=\"v-regression\"><td>regression</td><td>MoeTopK.forward {phase=decode, topK=8} (avgt)</td>"), html);
        // One trend figure per configuration, every link of the page resolves.
        assertEquals(9, h.get("series").size());
        for (String link : OutputFolder.links(html)) {
            assertTrue(Files.exists(dir.resolve("hist").resolve(link)), link);
        }
        assertEquals(2 * 9, OutputFolder.plotFiles(dir.resolve("hist")).size());
        assertFalse(html.contains("<script"));
    }

    @Test
    void aMostlyContendedRunIsNotComparedAndItsFlagsAreStored() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        JmhFixture.writeContendedRun(dir, "aa", "busy");
        add("base", "c1");
        add("busy", "c2");
        String entry = Files.readString(dir.resolve("store").resolve(store().stream()
                .filter(f -> {
                    try {
                        return Files.readString(dir.resolve("store").resolve(f)).contains("\"c2\"");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).findFirst().orElseThrow()));
        assertTrue(entry.contains("\"contended\""), "the flags are stored with the samples");

        Cli show = Cli.run(dir, "history", "show", "--store", "store", "--out", "hist", "--no-plots");
        assertEquals(0, show.exit(), show.err());
        JsonNode h = JmhFixture.MAPPER.readTree(dir.resolve("hist/history.json").toFile());
        // DECODE_8 is 50 % slower in c2, but 12 of its 17 known iterations were contended: withheld, not a change.
        assertEquals(0, h.get("changes").size(), h.get("changes").toString());
        assertEquals(1, h.get("withheld").size(), h.get("withheld").toString());
        JsonNode w = h.get("withheld").get(0);
        assertEquals("decode", w.at("/params/phase").asText());
        assertEquals(8, w.at("/params/topK").asInt());
        assertEquals("unreliable", w.get("verdict").asText());
        assertTrue(w.get("ratio").asDouble() > 1.4, w.toString());
        assertTrue(w.get("reason").asText().startsWith("contended: not captured in the baseline, 70.6% of the current run's"),
                w.get("reason").asText());
        for (JsonNode series : h.get("series")) {
            JsonNode second = series.get("points").get(series.get("points").size() - 1);
            boolean busy = series.at("/params/phase").asText().equals("decode") && series.at("/params/topK").asInt() == 8;
            if (second.get("commit").asText().equals("c2")) {
                assertEquals(busy ? 12 / 17.0 : 0.0, second.get("contended_share").asDouble(), 1e-12, series.toString());
            }
            assertTrue(series.get("points").get(0).get("contended_share").isNull(), "c1 did not capture contention");
        }
        String html = Files.readString(dir.resolve("hist/index.html"));
        assertTrue(html.contains("<h2>Not compared (contended)</h2>"), html);
        assertTrue(html.contains("<td>not compared (contended)</td>"), html);
        assertTrue(html.contains("<td class=\"n\">70.6%</td>"), html);
    }

    @Test
    void aDamagedCopyOfTheSameRunIsReplaced() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        add("base", "c1");
        Path entry = dir.resolve("store").resolve(store().get(0));
        String good = Files.readString(entry);
        Files.writeString(entry, good.substring(0, good.length() / 2));
        Cli again = Cli.run(dir, "history", "add", "base", "--store", "store", "--commit", "c1");
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().startsWith("added base"), again.out());
        assertTrue(again.err().contains("reports: warning: replacing a corrupt entry: store/" + store().get(0)
                + ": not valid JSON"), again.err());
        assertEquals(good, Files.readString(entry));
    }
}

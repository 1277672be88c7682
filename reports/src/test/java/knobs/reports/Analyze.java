package knobs.reports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs {@code summarize --no-plots} on runs written to a temporary folder and reads back an
 * analysis file: the harness of the analysis and rule tests.
 */
final class Analyze {

    private Analyze() {
    }

    /** Writes {@code runs} to {@code in.json} in {@code dir}, summarizes into {@code out/}, and returns the CLI result. */
    static Cli run(Path dir, JmhFixture.Run... runs) {
        JmhFixture.write(dir.resolve("in.json"), JmhFixture.file(runs));
        return Cli.run(dir, "summarize", "in.json", "--out", "out", "--no-plots");
    }

    /** {@link #run}, which must succeed, then the named output file. */
    static JsonNode json(Path dir, String file, JmhFixture.Run... runs) {
        Cli cli = run(dir, runs);
        assertEquals(0, cli.exit(), cli.err());
        return read(dir, file);
    }

    static JsonNode read(Path dir, String file) {
        try {
            return JmhFixture.MAPPER.readTree(dir.resolve("out").resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String readText(Path dir, String file) {
        try {
            return java.nio.file.Files.readString(dir.resolve("out").resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The runs of several arrays as one. */
    static JmhFixture.Run[] concat(JmhFixture.Run[] a, JmhFixture.Run... b) {
        List<JmhFixture.Run> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(JmhFixture.Run[]::new);
    }

    /** The findings of one rule. */
    static List<JsonNode> findings(JsonNode findingsJson, String rule) {
        List<JsonNode> out = new ArrayList<>();
        ((ArrayNode) findingsJson.get("findings")).forEach(f -> {
            if (f.get("rule").asText().equals(rule)) {
                out.add(f);
            }
        });
        return out;
    }
}

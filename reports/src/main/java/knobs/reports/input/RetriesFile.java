package knobs.reports.input;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import knobs.reports.ReportException;
import knobs.reports.summary.Params;

/**
 * Reads the sweep runner's {@code retries.json} ({@code --retry-noisy}, docs/running.md): which
 * configurations were noisy or contended, how often they were re-run, and whether their latest
 * attempt settled. The report shows it beside each row's own quality.
 */
public final class RetriesFile {

    /** The schema tag the sweep runner writes. */
    public static final String SCHEMA = "knobs-retries/1";
    /** The file's name in a sweep folder. */
    public static final String NAME = "retries.json";

    /**
     * One configuration of the file.
     *
     * @param benchmark  {@code ClassName.method}
     * @param params     its params
     * @param retried    re-runs made (attempts − 1)
     * @param settled    true when the latest attempt (the result the report reads) is neither noisy nor contended
     * @param firstWhy   why the first attempt was re-run (the runner's reasons), empty when it was not
     */
    public record Retry(String benchmark, Params params, int retried, boolean settled, List<String> firstWhy) {
        public Retry {
            firstWhy = List.copyOf(firstWhy);
        }
    }

    private RetriesFile() {
    }

    /** The sweep folder's {@code retries.json}, or an empty list when the folder has none (no sweep runner). */
    public static List<Retry> readIfPresent(Path sweepDir, String display) throws ReportException {
        Path file = sweepDir.resolve(NAME);
        return Files.exists(file) ? read(file, display) : List.of();
    }

    /** Reads one file; a malformed one is an error naming the file and the field. */
    public static List<Retry> read(Path file, String display) throws ReportException {
        JsonNode root = JsonFields.read(file, display);
        String bad = display + ": not the sweep runner's retries file";
        if (!root.isObject()) {
            throw new ReportException(bad + ": expected a JSON object with \"schema\": \"" + SCHEMA + "\"");
        }
        JsonFields.schema(root, SCHEMA, bad);
        JsonNode configurations = JsonFields.optionalArray(root, "configurations", bad);
        List<Retry> retries = new ArrayList<>();
        if (configurations == null) {
            return retries;
        }
        for (int i = 0; i < configurations.size(); i++) {
            String where = bad + ": configurations[" + i + "]";
            JsonNode c = JsonFields.element(configurations.get(i), where);
            String fullName = JsonFields.text(c, "benchmark", where);
            String[] parts = fullName.split("\\.");
            if (parts.length < 2 || parts[parts.length - 1].isEmpty() || parts[parts.length - 2].isEmpty()) {
                throw new ReportException(where + ": 'benchmark' is '" + fullName + "', expected package.Class.method");
            }
            Params params = Params.of(JsonFields.params(c, where));
            int retried = JsonFields.integer(c, "retried", where, 0, "a count of re-runs, 0 or more");
            JsonNode settled = c.get("settled");
            if (settled == null || !settled.isBoolean()) {
                throw JsonFields.wrong(where, "settled", settled, "true or false");
            }
            List<String> why = new ArrayList<>();
            JsonNode attempts = JsonFields.optionalArray(c, "attempts", where);
            if (attempts != null && attempts.size() > 0) {
                JsonNode reasons = JsonFields.optionalArray(JsonFields.element(attempts.get(0), where + ".attempts[0]"),
                        "reasons", where + ".attempts[0]");
                if (reasons != null) {
                    for (JsonNode r : reasons) {
                        why.add(r.asText());
                    }
                }
            }
            retries.add(new Retry(parts[parts.length - 2] + "." + parts[parts.length - 1], params, retried,
                    settled.asBoolean(), why));
        }
        return retries;
    }
}

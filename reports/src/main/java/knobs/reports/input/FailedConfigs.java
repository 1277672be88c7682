package knobs.reports.input;

import knobs.reports.CommandContext;
import knobs.reports.ReportException;
import knobs.reports.summary.Params;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reads the failure records of a sweep ({@code DIR/failed/ID.json}, written by the sweep runner's
 * {@code SweepStore}): {@code {"id", "benchmark": "pkg.Class.method", "params": {name: "value"},
 * "reason", "log"}}. Each is checked like any input: a record that is not one is an error naming
 * the file, never silently dropped, since a failure that vanishes from the report reads as a
 * configuration that was never asked for.
 */
public final class FailedConfigs {

    /** Failed configurations are listed like summary rows: by benchmark, then params. */
    public static final Comparator<FailedConfig> ORDER = Comparator.comparing(FailedConfig::benchmark)
            .thenComparing(FailedConfig::params)
            .thenComparing(FailedConfig::file);

    private FailedConfigs() {
    }

    /**
     * Reads every {@code *.json} record of a folder (hidden temporary files excluded), sorted.
     *
     * @param given the folder as given on the command line
     * @param option the option that named it, for messages ({@code --failed}), or null when it was found
     *               rather than given
     */
    public static List<FailedConfig> read(String given, String option, CommandContext context) throws ReportException {
        Path dir = context.resolve(given);
        String named = option == null ? given : option + " " + given;
        if (!Files.exists(dir)) {
            throw new ReportException(named + ": no such folder");
        }
        if (!Files.isDirectory(dir)) {
            throw new ReportException(named + ": not a folder; expected the sweep's failed/ folder of ID.json records");
        }
        List<Path> files = JsonFields.files(dir, "*.json", named);
        List<FailedConfig> failed = new ArrayList<>();
        for (Path file : files) {
            failed.add(readOne(file, Path.of(given).resolve(file.getFileName()).toString()));
        }
        failed.sort(ORDER);
        return failed;
    }

    static FailedConfig readOne(Path file, String display) throws ReportException {
        JsonNode root = JsonFields.read(file, display);
        String bad = display + ": not a failure record of the sweep runner";
        if (!root.isObject()) {
            throw new ReportException(bad + ": expected a JSON object {\"id\", \"benchmark\", \"params\", \"reason\", \"log\"}");
        }
        JsonFields.optionalText(root, "id", bad, "a string");
        String fullName = JsonFields.text(root, "benchmark", bad);
        String[] parts = fullName.split("\\.");
        if (parts.length < 2 || parts[parts.length - 1].isEmpty() || parts[parts.length - 2].isEmpty()) {
            throw new ReportException(bad + ": 'benchmark' is '" + fullName + "', expected package.Class.method");
        }
        return record(root, parts[parts.length - 2] + "." + parts[parts.length - 1], bad, display);
    }

    /**
     * The fields of a failure record that the sweep runner's files and {@code summary.json}'s
     * {@code failed} list share: params, reason, log.
     *
     * @param benchmark {@code ClassName.method}, already read
     * @param where     names the record in messages
     * @param file      the record as {@link FailedConfig#file()} shows it
     */
    static FailedConfig record(JsonNode node, String benchmark, String where, String file) throws ReportException {
        Params params = Params.of(JsonFields.params(node, where));
        String reason = JsonFields.text(node, "reason", where);
        String log = JsonFields.optionalText(node, "log", where, "a path");
        return new FailedConfig(benchmark, params, reason, log, file);
    }
}

package knobs.reports.input;

import knobs.reports.CommandContext;
import knobs.reports.ReportException;
import knobs.reports.summary.Environment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds and reads the environment sidecars ({@code knobs-env/env-*.json}) that each benchmark fork
 * writes: JVM, libtorch and presets versions, device, thread counts. JMH's JSON does not carry
 * them, and a result without its environment cannot be compared with another.
 */
public final class Sidecars {

    /** The only sidecar schema this version reads. */
    public static final String SCHEMA = "knobs-env/1";

    /** The folder name benchmark forks write sidecars into. */
    public static final String FOLDER = "knobs-env";

    /**
     * One sidecar file.
     *
     * @param display the path as shown in outputs and messages
     * @param fields  its top-level fields
     */
    public record Sidecar(String display, ObjectNode fields) {
    }

    /**
     * The outcome of a lookup.
     *
     * @param sidecars the sidecars read, sorted by file name; empty when none was found
     * @param lookedIn the folders searched, as shown in messages
     */
    public record Lookup(List<Sidecar> sidecars, List<String> lookedIn) {
    }

    private Sidecars() {
    }

    /**
     * Reads the sidecars the user named with {@code --env}: one file, or every {@code env-*.json}
     * in a folder. Either must exist and hold at least one sidecar, since the user asked for it.
     */
    public static Lookup fromOption(String given, CommandContext context) throws ReportException {
        Path path = context.resolve(given);
        if (Files.isRegularFile(path)) {
            return new Lookup(List.of(read(path, given)), List.of(given));
        }
        if (!Files.isDirectory(path)) {
            throw new ReportException("--env " + given + ": no such file or folder");
        }
        List<Sidecar> found = readFolder(path, given);
        if (found.isEmpty()) {
            throw new ReportException("--env " + given + ": folder holds no env-*.json sidecar");
        }
        return new Lookup(found, List.of(given));
    }

    /**
     * Default lookup: the {@code knobs-env} folder beside each input file in turn, then
     * {@code ./knobs-env}; the first folder that exists is read. An empty result is not an error
     * (results from plain JMH runs have no sidecar) but the caller warns.
     *
     * @param inputs the input files as given on the command line
     */
    public static Lookup locate(List<String> inputs, CommandContext context) throws ReportException {
        Map<Path, String> candidates = new LinkedHashMap<>();
        for (String input : inputs) {
            Path parent = Path.of(input).getParent();
            String display = parent == null ? FOLDER : parent.resolve(FOLDER).toString();
            candidates.putIfAbsent(context.resolve(display), display);
        }
        candidates.putIfAbsent(context.resolve(FOLDER), FOLDER);
        for (Map.Entry<Path, String> candidate : candidates.entrySet()) {
            if (Files.isDirectory(candidate.getKey())) {
                return new Lookup(readFolder(candidate.getKey(), candidate.getValue()), List.of(candidate.getValue()));
            }
        }
        return new Lookup(List.of(), List.copyOf(candidates.values()));
    }

    private static List<Sidecar> readFolder(Path folder, String display) throws ReportException {
        List<Sidecar> sidecars = new ArrayList<>();
        for (Path file : JsonFields.files(folder, "env-*.json", display)) {
            sidecars.add(read(file, Path.of(display).resolve(file.getFileName()).toString()));
        }
        return sidecars;
    }

    /** Reads one sidecar; it must be a JSON object with {@code "schema": "knobs-env/1"}. */
    static Sidecar read(Path file, String display) throws ReportException {
        JsonNode root = JsonFields.read(file, display);
        if (!root.isObject()) {
            throw new ReportException(display + ": not an environment sidecar: expected a JSON object");
        }
        JsonFields.schema(root, SCHEMA, display + ": not an environment sidecar");
        for (String reserved : Environment.RESERVED) {
            if (root.has(reserved)) {
                throw new ReportException(display + ": sidecar field '" + reserved
                        + "' is reserved for the report's own environment fields");
            }
        }
        return new Sidecar(display, (ObjectNode) root);
    }
}

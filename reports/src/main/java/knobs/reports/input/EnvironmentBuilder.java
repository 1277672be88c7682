package knobs.reports.input;

import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Environment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Merges JMH's per-run fields and the sidecars into one {@link Environment}. A field with one
 * value everywhere is reported as-is; a field that differs is reported under {@code varies}
 * with a warning, because results measured under different conditions should not be silently
 * presented as one environment.
 */
public final class EnvironmentBuilder {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The sidecar field with the machine's state while each fork started (docs/metrics.md, "Contention"). */
    static final String FORK_START = "fork_start";

    private final Map<String, List<JsonNode>> values = new LinkedHashMap<>();

    private EnvironmentBuilder() {
    }

    /**
     * Builds the environment.
     *
     * @param runs          all runs, for the JMH fields {@code jmh}, {@code jvm}, {@code jdk},
     *                      {@code jvm_args}, {@code threads}
     * @param inputs        the input files as given, first in {@code sources}
     * @param sidecars      the sidecar lookup; no sidecars means {@code sidecar: null} and a warning
     * @param ceilings      the ceilings, or null
     * @param ceilingsFile  the {@code --ceilings} file as given, or null
     * @param warnings      receives one line per varying field and for a missing sidecar
     */
    public static Environment build(List<JmhRun> runs, List<String> inputs, Sidecars.Lookup sidecars,
                                    Ceilings ceilings, String ceilingsFile, List<String> warnings) {
        EnvironmentBuilder b = new EnvironmentBuilder();
        for (JmhRun run : runs) {
            b.add("jmh", NODES.textNode(run.jmhVersion()));
            b.add("threads", NODES.numberNode(run.threads()));
            if (run.jvm() != null) {
                b.add("jvm", NODES.textNode(run.jvm()));
            }
            if (run.jdk() != null) {
                b.add("jdk", NODES.textNode(run.jdk()));
            }
            if (run.jvmArgs() != null) {
                ArrayNode args = NODES.arrayNode();
                run.jvmArgs().forEach(a -> args.add(withoutArchivePath(a)));
                b.add("jvm_args", args);
            }
        }

        // A field missing from some sidecars differs from one present in all: record it as null.
        TreeSet<String> sidecarFields = new TreeSet<>();
        for (Sidecars.Sidecar s : sidecars.sidecars()) {
            s.fields().fieldNames().forEachRemaining(sidecarFields::add);
        }
        sidecarFields.remove("schema");
        sidecarFields.remove("captured_at");
        // Each fork measures how busy the machine was while it started: that differs by nature, so
        // it is summarized (the busiest start) rather than reported as an environment that varies.
        sidecarFields.remove(FORK_START);
        List<String> capturedAt = new ArrayList<>();
        SortedMap<String, Double> busiestStart = new TreeMap<>();
        int forkStarts = 0;
        for (Sidecars.Sidecar s : sidecars.sidecars()) {
            for (String field : sidecarFields) {
                b.add(field, s.fields().has(field) ? s.fields().get(field) : NODES.nullNode());
            }
            if (s.fields().path("captured_at").isTextual()) {
                capturedAt.add(s.fields().get("captured_at").asText());
            }
            JsonNode start = s.fields().path(FORK_START);
            if (start.isObject()) {
                forkStarts++;
                start.fields().forEachRemaining(e -> {
                    if (e.getValue().isNumber()) {
                        busiestStart.merge(e.getKey() + "_max", e.getValue().asDouble(), Math::max);
                    }
                });
            }
        }
        capturedAt.sort(null);
        if (forkStarts > 0) {
            ObjectNode summary = NODES.objectNode();
            summary.put("sidecars", forkStarts);
            busiestStart.forEach(summary::put);
            b.add(FORK_START, summary);
        }

        SortedMap<String, JsonNode> fields = new TreeMap<>();
        SortedMap<String, List<JsonNode>> varies = new TreeMap<>();
        for (Map.Entry<String, List<JsonNode>> e : b.values.entrySet()) {
            if (e.getValue().size() == 1) {
                fields.put(e.getKey(), e.getValue().get(0));
            } else {
                varies.put(e.getKey(), e.getValue());
                warnings.add("environment field '" + e.getKey() + "' differs between sources: " + e.getValue()
                        + " (see environment.varies)");
            }
        }

        Environment.SidecarSummary sidecar = null;
        if (sidecars.sidecars().isEmpty()) {
            warnings.add("no environment sidecar (env-*.json) found; looked in " + String.join(", ", sidecars.lookedIn())
                    + ". The report lacks libtorch/device/thread details; pass --env PATH to point at them");
        } else {
            sidecar = new Environment.SidecarSummary(Sidecars.SCHEMA, sidecars.sidecars().size(),
                    capturedAt.isEmpty() ? null : capturedAt.get(0),
                    capturedAt.isEmpty() ? null : capturedAt.get(capturedAt.size() - 1));
        }

        List<String> sources = new ArrayList<>(inputs);
        sidecars.sidecars().forEach(s -> sources.add(s.display()));
        if (ceilingsFile != null) {
            sources.add(ceilingsFile);
        }
        return new Environment(fields, varies, sidecar, ceilings, sources);
    }

    private void add(String field, JsonNode value) {
        List<JsonNode> distinct = values.computeIfAbsent(field, k -> new ArrayList<>());
        if (!distinct.contains(value)) {
            distinct.add(value);
        }
    }

    /** The launcher's class-data archive flag, whose value names a cache file that changes with every build. */
    static final String ARCHIVE_FLAG = "-XX:SharedArchiveFile=";

    /**
     * A JVM argument as the environment records it: the class-data archive's path (a file in the
     * launcher's cache, named by the jar's build and the JVM; docs/architecture.md) is replaced by
     * {@code <class-data archive>}, so that runs of different builds do not read as a varying
     * environment; whether forks used an archive stays visible.
     */
    static String withoutArchivePath(String arg) {
        return arg.startsWith(ARCHIVE_FLAG) ? ARCHIVE_FLAG + "<class-data archive>" : arg;
    }
}

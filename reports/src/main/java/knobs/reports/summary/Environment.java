package knobs.reports.summary;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where the results were measured: JMH's own fields, the fields of the environment sidecars the
 * benchmark forks wrote, the ceilings, and the files all of it came from.
 *
 * @param fields   fields with one value across every source, e.g. {@code jvm}, {@code libtorch}, {@code device}
 * @param varies   fields whose value differs between sources: field → distinct values (null = absent there)
 * @param sidecar  summary of the sidecars read, or null when none was found
 * @param ceilings machine ceilings, or null when neither calibration nor a ceilings file gave any
 * @param sources  input files, then sidecar files, then the ceilings file, as given/found
 */
public record Environment(SortedMap<String, JsonNode> fields, SortedMap<String, List<JsonNode>> varies,
                          SidecarSummary sidecar, Ceilings ceilings, List<String> sources) {

    /** Names the environment itself writes; a sidecar may not use them. */
    public static final List<String> RESERVED = List.of("ceilings", "sidecar", "sources", "varies");

    public Environment {
        fields = Collections.unmodifiableSortedMap(new TreeMap<>(fields));
        varies = Collections.unmodifiableSortedMap(new TreeMap<>(varies));
        sources = List.copyOf(sources);
    }

    /**
     * What was read from the sidecars.
     *
     * @param schema          the sidecar schema, {@code knobs-env/1}
     * @param files           number of sidecar files merged
     * @param firstCapturedAt earliest {@code captured_at}, or null when none had one
     * @param lastCapturedAt  latest {@code captured_at}, or null
     */
    public record SidecarSummary(String schema, int files, String firstCapturedAt, String lastCapturedAt) {
    }
}

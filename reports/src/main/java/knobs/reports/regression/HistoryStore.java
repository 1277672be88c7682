package knobs.reports.regression;

import knobs.reports.ReportException;
import knobs.reports.format.Json;
import knobs.reports.input.JsonFields;
import knobs.reports.format.SummaryJsonWriter;
import knobs.reports.input.RunData;
import knobs.reports.summary.Params;
import knobs.reports.summary.Statistics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A history of runs kept as plain files, one JSON entry per run: {@code STORE/<id>.json}, where the
 * id is a hash of the run's measurements. Adding the same run twice therefore finds its file and adds
 * nothing; an entry whose content no longer matches its id (edited, truncated, half-copied) is
 * recognised as corrupt. Files are plain so that CI can carry the store from one job to the next as
 * an artifact, and people can delete a bad run by deleting its file.
 */
public final class HistoryStore {

    /** The entry format this version writes and reads. */
    public static final String SCHEMA = "knobs-history/1";

    /**
     * One stored run.
     *
     * @param id          hash of the measurements (16 hex digits); the file is {@code <id>.json}
     * @param commit      the code version it measured
     * @param date        when it ran (ISO-8601 instant)
     * @param run         the run as given to {@code history add}
     * @param sources     the files it was read from
     * @param environment its environment, as {@code summary.json} writes it (may be null)
     * @param series      per configuration: the samples as seconds per op with the samples per fork, sorted by key
     * @param file        the entry file as shown in messages
     */
    public record Entry(String id, String commit, Instant date, String run, List<String> sources, JsonNode environment,
                        List<Point> series, String file) {

        public Entry {
            sources = List.copyOf(sources);
            series = List.copyOf(series);
        }
    }

    /**
     * One configuration of a stored run.
     *
     * @param key     benchmark, params, mode
     * @param unit      the unit it was measured in
     * @param forkSizes samples per fork, in order
     * @param seconds   the samples as seconds per operation, fork by fork
     * @param contended per sample: 1 contended, 0 not, NaN unknown (docs/metrics.md "Contention"); null
     *                  when the run did not capture contention (entries written before it was stored)
     */
    public record Point(RunData.Key key, String unit, int[] forkSizes, double[] seconds, double[] contended) {

        public Point {
            forkSizes = forkSizes.clone();
            seconds = seconds.clone();
            if (contended != null && contended.length != seconds.length) {
                throw new IllegalArgumentException(contended.length + " contention flags for " + seconds.length + " samples");
            }
            contended = contended == null ? null : contended.clone();
        }

        /** A point without contention flags. */
        public Point(RunData.Key key, String unit, int[] forkSizes, double[] seconds) {
            this(key, unit, forkSizes, seconds, null);
        }

        @Override
        public double[] contended() {
            return contended == null ? null : contended.clone();
        }

        /** The contended share of its samples, or null when not captured. */
        public Contention contention() {
            return Contention.of(contended);
        }

        @Override
        public int[] forkSizes() {
            return forkSizes.clone();
        }

        @Override
        public double[] seconds() {
            return seconds.clone();
        }
    }

    /**
     * A file of the store that could not be read as an entry.
     *
     * @param file   the file as shown in messages
     * @param reason what is wrong with it
     */
    public record Corrupt(String file, String reason) {
    }

    /**
     * The readable entries of a store, oldest first, and the files that were not.
     *
     * @param entries sorted by date, then commit, then id
     * @param corrupt files that are not valid entries, sorted by name
     */
    public record Contents(List<Entry> entries, List<Corrupt> corrupt) {
    }

    /** Entries are shown oldest first; same-date runs by commit and id, so the order is stable. */
    static final Comparator<Entry> ORDER = Comparator.comparing(Entry::date).thenComparing(Entry::commit)
            .thenComparing(Entry::id);

    private HistoryStore() {
    }

    /** An entry for a run (not yet written). */
    public static Entry entry(RunData run, String commit, Instant date) {
        List<Point> points = new ArrayList<>();
        for (RunData.Series s : run.series()) {
            points.add(new Point(s.key(), s.unit(), s.forkSizes(), s.seconds(), s.contended()));
        }
        return new Entry(id(points), commit, date, run.display(), run.sources(), run.environment(), points, null);
    }

    /**
     * The id: 16 hex digits of SHA-256 over every configuration's key, unit and samples. Doubles are
     * hashed in their shortest round-trip text ({@link Double#toString}), which is also what the JSON
     * holds, so an entry read back hashes to the same id.
     */
    static String id(List<Point> points) {
        StringBuilder sb = new StringBuilder();
        for (Point p : points) {
            sb.append(p.key().benchmark()).append('|');
            p.key().params().values().forEach((name, v) -> sb.append(name).append('=').append(v.render()).append(';'));
            sb.append('|').append(p.key().mode()).append('|').append(p.unit()).append('|')
                    .append(java.util.Arrays.toString(p.forkSizes())).append('|');
            for (double s : p.seconds()) {
                sb.append(Double.toString(s)).append(',');
            }
            if (p.contended != null) {
                // Only when stored, so that entries written before the flags were kept keep their ids.
                sb.append("|contended:");
                for (double c : p.contended) {
                    sb.append(Double.isNaN(c) ? "?" : c >= 0.5 ? "1" : "0");
                }
            }
            sb.append('\n');
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** The entry file's name. */
    public static String fileName(String id) {
        return id + ".json";
    }

    /** The entry as JSON. */
    public static byte[] write(Entry e) {
        ObjectNode root = Json.NODES.objectNode();
        root.put("schema", SCHEMA);
        root.put("id", e.id());
        root.put("commit", e.commit());
        root.put("date", e.date().toString());
        root.put("run", e.run());
        ArrayNode sources = root.putArray("sources");
        e.sources().forEach(sources::add);
        root.set("environment", e.environment() == null ? Json.NODES.nullNode() : e.environment());
        ArrayNode series = root.putArray("series");
        for (Point p : e.series()) {
            ObjectNode node = SummaryJsonWriter.configuration(p.key().benchmark(), p.key().params(), p.key().mode());
            series.add(node);
            node.put("unit", p.unit());
            ArrayNode forks = node.putArray("fork_sizes");
            for (int size : p.forkSizes()) {
                forks.add(size);
            }
            // For people reading the file; the samples below are what is used.
            node.set("median_seconds", Json.number(Statistics.median(p.seconds())));
            ArrayNode seconds = node.putArray("seconds");
            for (double s : p.seconds()) {
                seconds.add(Json.number(s));
            }
            if (p.contended != null) {
                // Per sample: 1 contended, 0 not, null where the counters could not be read.
                ArrayNode flags = node.putArray("contended");
                for (double c : p.contended) {
                    if (Double.isNaN(c)) {
                        flags.addNull();
                    } else {
                        flags.add(c >= 0.5 ? 1 : 0);
                    }
                }
            }
        }
        return Json.write(root);
    }

    /**
     * Reads one entry file.
     *
     * @throws ReportException naming the file and what is wrong when it is not a valid entry
     */
    public static Entry read(Path file, String display) throws ReportException {
        JsonNode root = JsonFields.read(file, display);
        String bad = display + ": not a history entry";
        if (!root.isObject()) {
            throw new ReportException(bad + ": expected a JSON object");
        }
        JsonFields.schema(root, SCHEMA, bad);
        String id = JsonFields.nonEmptyText(root, "id", bad);
        String commit = JsonFields.nonEmptyText(root, "commit", bad);
        Instant date;
        try {
            date = Instant.parse(JsonFields.nonEmptyText(root, "date", bad));
        } catch (DateTimeParseException e) {
            throw new ReportException(bad + ": 'date' is " + root.get("date") + ", expected an ISO-8601 instant", e);
        }
        String run = JsonFields.nonEmptyText(root, "run", bad);
        List<String> sources = new ArrayList<>();
        JsonNode src = root.path("sources");
        if (!src.isArray()) {
            throw JsonFields.wrong(bad, "sources", src, "an array of file names");
        }
        for (JsonNode s : src) {
            if (!s.isTextual()) {
                throw new ReportException(bad + ": 'sources' holds " + s + ", expected file names");
            }
            sources.add(s.asText());
        }
        JsonNode env = root.path("environment");
        if (!env.isObject() && !env.isNull()) {
            throw JsonFields.wrong(bad, "environment", env, "an object or null");
        }
        JsonNode series = root.path("series");
        if (!series.isArray() || series.isEmpty()) {
            throw JsonFields.wrong(bad, "series", series, "a non-empty array");
        }
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < series.size(); i++) {
            points.add(point(series.get(i), bad + ": series[" + i + "]"));
        }
        String expected = id(points);
        if (!expected.equals(id)) {
            throw new ReportException(bad + ": its measurements hash to " + expected + ", not to its id " + id
                    + " (the file was changed or damaged)");
        }
        String name = file.getFileName().toString();
        if (!name.equals(fileName(id))) {
            throw new ReportException(bad + ": entry " + id + " is stored under the name " + name + ", expected " + fileName(id));
        }
        return new Entry(id, commit, date, run, sources, env.isNull() ? null : env, points, display);
    }

    private static Point point(JsonNode node, String where) throws ReportException {
        JsonFields.element(node, where);
        String benchmark = JsonFields.nonEmptyText(node, "benchmark", where);
        String mode = JsonFields.mode(node, where);
        Map<String, String> raw = JsonFields.params(node, where);
        String unit = JsonFields.unit(node, "unit", where);
        JsonNode forks = node.path("fork_sizes");
        if (!forks.isArray() || forks.isEmpty()) {
            throw JsonFields.wrong(where, "fork_sizes", forks, "a non-empty array");
        }
        int[] forkSizes = new int[forks.size()];
        int total = 0;
        for (int i = 0; i < forkSizes.length; i++) {
            if (!forks.get(i).isIntegralNumber() || forks.get(i).intValue() < 1) {
                throw new ReportException(where + ": fork_sizes[" + i + "] is " + forks.get(i) + ", expected a positive integer");
            }
            forkSizes[i] = forks.get(i).intValue();
            total += forkSizes[i];
        }
        JsonNode seconds = node.path("seconds");
        if (!seconds.isArray() || seconds.size() != total) {
            throw new ReportException(where + ": 'seconds' is " + (seconds.isArray() ? "an array of " + seconds.size() : JsonFields.shown(seconds))
                    + ", expected an array of " + total + " samples (the sum of fork_sizes)");
        }
        double[] s = new double[seconds.size()];
        for (int i = 0; i < s.length; i++) {
            JsonNode v = seconds.get(i);
            if (!v.isNumber() || !(v.doubleValue() > 0) || !Double.isFinite(v.doubleValue())) {
                throw new ReportException(where + ": seconds[" + i + "] is " + v + ", expected a positive number");
            }
            s[i] = v.doubleValue();
        }
        double[] contended = null;
        JsonNode flags = node.path("contended");
        if (!flags.isMissingNode()) {
            if (!flags.isArray() || flags.size() != total) {
                throw new ReportException(where + ": 'contended' is " + (flags.isArray() ? "an array of " + flags.size() : JsonFields.shown(flags))
                        + ", expected an array of " + total + " flags (1, 0 or null), one per sample");
            }
            contended = new double[total];
            for (int i = 0; i < total; i++) {
                JsonNode f = flags.get(i);
                if (f.isNull()) {
                    contended[i] = Double.NaN;
                } else if (f.isIntegralNumber() && (f.intValue() == 0 || f.intValue() == 1)) {
                    contended[i] = f.intValue();
                } else {
                    throw new ReportException(where + ": contended[" + i + "] is " + f + ", expected 1, 0 or null");
                }
            }
        }
        return new Point(RunData.Key.of(benchmark, Params.of(raw), mode), unit, forkSizes, s, contended);
    }

    /**
     * Reads every {@code *.json} of a store. A file that is not a valid entry is listed as corrupt with
     * the reason and left out, so that one damaged file does not hide the rest of the history.
     *
     * @throws ReportException when the store folder itself is missing or unreadable
     */
    public static Contents readAll(Path dir, String display) throws ReportException {
        if (!Files.isDirectory(dir)) {
            throw new ReportException("--store " + display + ": " + (Files.exists(dir) ? "not a folder" : "no such folder"));
        }
        List<Path> files = JsonFields.files(dir, "*.json", "--store " + display);
        List<Entry> entries = new ArrayList<>();
        List<Corrupt> corrupt = new ArrayList<>();
        for (Path file : files) {
            String shown = Path.of(display).resolve(file.getFileName()).toString();
            try {
                entries.add(read(file, shown));
            } catch (ReportException e) {
                // Reported by the caller and skipped: one damaged entry must not hide the history.
                corrupt.add(new Corrupt(shown, e.getMessage()));
            }
        }
        entries.sort(ORDER);
        return new Contents(entries, corrupt);
    }
}

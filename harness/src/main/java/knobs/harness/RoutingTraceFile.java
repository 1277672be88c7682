package knobs.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import knobs.kernels.RoutingTrace;

/**
 * The routing-trace file: JSON lines, one header line, then one line per MoE layer in order.
 *
 * <pre>
 * {"schema":"knobs-routing-trace/1","model":"moe-cpu","layers":4,"experts":64,"k":8,"sequences":1,"positions":129,"tokens":"prompts.txt"}
 * {"layer":0,"experts":[[12,40,3,...],[7,12,55,...],...]}
 * {"layer":1,"experts":[...]}
 * </pre>
 *
 * Each layer's {@code experts} holds one array of k expert ids per token, sequence-major
 * (sequence 0's positions 0..positions-1, then sequence 1's, ...), most probable expert first.
 * {@code model} and {@code tokens} say where the trace came from and are not checked. Written by
 * {@code Inspect --record-routing}; any other tool can write one (docs/knobs.md shows a Python
 * snippet for a Hugging Face model).
 */
public final class RoutingTraceFile {
    /** The only schema this version reads and writes. */
    public static final String SCHEMA = "knobs-routing-trace/1";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The last trace read: a sweep's pre-fork check reads one file per configuration. */
    private static final LastFile<RoutingTrace> LAST = new LastFile<>();

    private RoutingTraceFile() {
    }

    /**
     * Reads and validates a trace.
     *
     * @param display the file as the user named it, for messages
     * @throws IllegalArgumentException naming the file, the line and what is wrong
     */
    public static RoutingTrace read(Path file, String display) {
        return LAST.get(file, display, RoutingTraceFile::parse);
    }

    private static RoutingTrace parse(Path file, String display) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(display + ": is a folder, not a routing trace file");
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = nextLine(in);
            if (first == null) {
                throw new IllegalArgumentException(display + ": empty; a routing trace starts with a header line {\"schema\":\""
                        + SCHEMA + "\",...}");
            }
            JsonNode header = json(first, display, 1);
            if (!header.isObject() || !SCHEMA.equals(header.path("schema").asText(null))) {
                throw new IllegalArgumentException(display + ": line 1 is not a routing trace header: expected \"schema\": \""
                        + SCHEMA + "\"");
            }
            int layers = positive(header, "layers", display);
            int experts = positive(header, "experts", display);
            int k = positive(header, "k", display);
            int sequences = positive(header, "sequences", display);
            int positions = positive(header, "positions", display);
            long rows = (long) sequences * positions;
            if (rows * k * layers > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(display + ": " + layers + " layers × " + rows + " tokens × k=" + k
                        + " expert ids is more than this reader holds");
            }
            int[][] choices = new int[layers][];
            for (int l = 0; l < layers; l++) {
                String line = nextLine(in);
                int lineNo = l + 2;
                if (line == null) {
                    throw new IllegalArgumentException(display + ": ends after " + l + " layer lines; the header says layers="
                            + layers);
                }
                JsonNode node = json(line, display, lineNo);
                if (!node.isObject() || !node.path("layer").canConvertToInt() || node.path("layer").asInt() != l) {
                    throw new IllegalArgumentException(display + ": line " + lineNo + ": expected {\"layer\":" + l
                            + ",\"experts\":[...]} (layers in order from 0)");
                }
                JsonNode tokens = node.path("experts");
                if (!tokens.isArray() || tokens.size() != rows) {
                    throw new IllegalArgumentException(display + ": line " + lineNo + " (layer " + l + "): \"experts\" must be"
                            + " an array of " + rows + " tokens (sequences=" + sequences + " × positions=" + positions + "); has "
                            + (tokens.isArray() ? tokens.size() : "none"));
                }
                int[] flat = new int[(int) (rows * k)];
                for (int row = 0; row < rows; row++) {
                    JsonNode token = tokens.get(row);
                    if (!token.isArray() || token.size() != k) {
                        throw new IllegalArgumentException(display + ": line " + lineNo + " (layer " + l + "), token " + row
                                + ": expected an array of k=" + k + " expert ids, got " + abbreviate(token));
                    }
                    for (int j = 0; j < k; j++) {
                        JsonNode e = token.get(j);
                        if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                            throw new IllegalArgumentException(display + ": line " + lineNo + " (layer " + l + "), token " + row
                                    + ": expert id " + e + " is not an integer");
                        }
                        flat[row * k + j] = e.intValue();
                    }
                }
                choices[l] = flat;
            }
            if (nextLine(in) != null) {
                throw new IllegalArgumentException(display + ": has more than the header's " + layers + " layer lines");
            }
            return new RoutingTrace(display, experts, k, sequences, positions, choices);
        } catch (IOException e) {
            throw new IllegalArgumentException(display + ": cannot read: " + e.getMessage());
        }
    }

    /**
     * Writes a trace atomically (a temporary file beside it, then a rename): an interrupted recording
     * leaves no half-written trace.
     *
     * @param model  the model it was recorded from, for the header
     * @param tokens where its token ids came from, for the header
     */
    public static void write(RoutingTrace t, Path file, String model, String tokens) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.createDirectories(dir);
            try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ObjectNode header = JSON.createObjectNode();
                header.put("schema", SCHEMA);
                header.put("model", model);
                header.put("layers", t.layers());
                header.put("experts", t.experts());
                header.put("k", t.k());
                header.put("sequences", t.sequences());
                header.put("positions", t.positions());
                header.put("tokens", tokens);
                out.write(JSON.writeValueAsString(header));
                out.newLine();
                for (int l = 0; l < t.layers(); l++) {
                    ObjectNode line = JSON.createObjectNode();
                    line.put("layer", l);
                    ArrayNode rows = line.putArray("experts");
                    for (int s = 0; s < t.sequences(); s++) {
                        for (int p = 0; p < t.positions(); p++) {
                            ArrayNode row = rows.addArray();
                            for (int e : t.experts(l, s, p)) {
                                row.add(e);
                            }
                        }
                    }
                    out.write(JSON.writeValueAsString(line));
                    out.newLine();
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the routing trace " + file + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + tmp, e);
            }
        }
    }

    private static String nextLine(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
        } while (line != null && line.isBlank());
        return line;
    }

    private static JsonNode json(String line, String display, int lineNo) {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(display + ": line " + lineNo + " is not JSON: " + e.getOriginalMessage());
        }
    }

    private static int positive(JsonNode header, String field, String display) {
        JsonNode v = header.path(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
            throw new IllegalArgumentException(display + ": header field \"" + field + "\" must be a whole number >= 1, got "
                    + (v.isMissingNode() ? "nothing" : v.toString()));
        }
        return v.intValue();
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}

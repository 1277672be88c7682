package knobs.reports.format;

import knobs.reports.ReportException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one JSON configuration of the module: strict reading (duplicate keys and trailing garbage
 * are errors, since both mean a corrupted file) and deterministic pretty writing (two-space
 * indent, {@code \n} line ends on every OS, trees built in a fixed field order by the writers).
 */
public final class Json {

    public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static final ObjectMapper MAPPER = new ObjectMapper(
            JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final ObjectWriter WRITER;

    static {
        DefaultIndenter lf = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        printer.indentObjectsWith(lf);
        printer.indentArraysWith(lf);
        WRITER = MAPPER.writer(printer);
    }

    private Json() {
    }

    /**
     * Reads a whole JSON file.
     *
     * @param display the path as the user gave it, used in messages
     * @throws ReportException when the file is missing, unreadable, empty or not valid JSON
     */
    public static JsonNode read(Path file, String display) throws ReportException {
        if (!Files.exists(file)) {
            throw new ReportException(display + ": no such file");
        }
        if (Files.isDirectory(file)) {
            throw new ReportException(display + ": is a directory, expected a JSON file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ReportException(display + ": cannot read: " + e.getMessage(), e);
        }
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            throw new ReportException(display + ": file is empty");
        }
        try {
            return MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new ReportException(display + ": not valid JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ReportException(display + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Pretty-prints a tree, with a final newline, as UTF-8. */
    public static byte[] write(JsonNode tree) {
        try {
            return (WRITER.writeValueAsString(tree) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            // Trees are built in memory from plain values; failing to print one is a bug.
            throw new IllegalStateException("cannot serialize JSON", e);
        }
    }

    /** A JSON number for a computed value; non-finite values never reach the outputs. */
    public static JsonNode number(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalStateException("non-finite value " + value + " reached the output");
        }
        return NODES.numberNode(value);
    }

    /** {@link #number(double)}, or JSON null for an absent value. */
    static JsonNode numberOrNull(Double value) {
        return value == null ? NODES.nullNode() : number(value);
    }

    /**
     * The params object of a record written by Knobs (failure records, history entries): each value
     * a string or a number, kept as its text. {@code where} names the file or entry for messages.
     */
    public static java.util.Map<String, String> paramValues(JsonNode params, String where) throws ReportException {
        if (!params.isObject()) {
            throw new ReportException(where + ": 'params' is " + (params.isMissingNode() ? "missing" : params.toString())
                    + ", expected an object of param values");
        }
        java.util.Map<String, String> raw = new java.util.LinkedHashMap<>();
        for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = params.fields(); it.hasNext(); ) {
            java.util.Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual() && !e.getValue().isNumber()) {
                throw new ReportException(where + ": param '" + e.getKey() + "' is " + e.getValue() + ", expected a number or a string");
            }
            raw.put(e.getKey(), e.getValue().asText());
        }
        return raw;
    }
}

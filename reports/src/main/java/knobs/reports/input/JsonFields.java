package knobs.reports.input;

import knobs.reports.ReportException;
import knobs.reports.summary.Units;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How every reader of the module reads JSON: a strict parse of a whole file (duplicate keys and
 * trailing garbage are errors, since both mean a corrupted file), then field getters that check
 * the type of what they return. A wrong field is one message in one shape,
 * {@code <file or element>: '<field>' is <what it is>, expected <what is allowed>}, so that a user
 * can find the bad value whichever file it is in.
 */
public final class JsonFields {

    private static final ObjectMapper MAPPER = new ObjectMapper(
            JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** JMH's benchmark modes by their short labels, in the order messages list them. */
    private static final List<String> MODES = List.of("avgt", "thrpt", "ss", "sample");

    private JsonFields() {
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
            throw new ReportException(display + ": not valid JSON" + where + ": " + problem(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new ReportException(display + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Jackson's words for a bare {@code NaN} or {@code Infinity}, which name a parser feature to turn on. */
    private static final Pattern NON_NUMERIC = Pattern.compile("^Non-standard token '([^']*)'");

    /**
     * What is wrong, for the user. A bare {@code NaN} is not JSON; Jackson's message would advise enabling
     * {@code ALLOW_NON_NUMERIC_NUMBERS}, a setting of the reader the user cannot change.
     */
    private static String problem(String jackson) {
        Matcher m = NON_NUMERIC.matcher(jackson);
        if (m.find()) {
            return "bare " + m.group(1) + " is not a JSON value; a number that is not finite must be a string (\""
                    + m.group(1) + "\"), as JMH writes it";
        }
        return jackson;
    }

    /** The error for a field that is not what it should be. */
    public static ReportException wrong(String where, String field, JsonNode value, String expected) {
        return new ReportException(where + ": '" + field + "' is " + shown(value) + ", expected " + expected);
    }

    /** A string field. */
    public static String text(JsonNode node, String field, String where) throws ReportException {
        JsonNode v = node.path(field);
        if (!v.isTextual()) {
            throw wrong(where, field, v, "a string");
        }
        return v.asText();
    }

    /** A string field that holds more than white space. */
    public static String nonEmptyText(JsonNode node, String field, String where) throws ReportException {
        JsonNode v = node.path(field);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw wrong(where, field, v, "a non-empty string");
        }
        return v.asText();
    }

    /**
     * A string field that may be missing or null.
     *
     * @param noun what the string is, for the message ({@code "a path"})
     * @return the string, or null
     */
    public static String optionalText(JsonNode node, String field, String where, String noun) throws ReportException {
        JsonNode v = node.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrong(where, field, v, noun + " or null");
        }
        return v.asText();
    }

    /** Checks the {@code schema} field that names a file kind and its version, e.g. {@code knobs-env/1}. */
    public static void schema(JsonNode node, String expected, String where) throws ReportException {
        JsonNode v = node.path("schema");
        if (!v.isTextual() || !v.asText().equals(expected)) {
            throw wrong(where, "schema", v, "\"" + expected + "\"");
        }
    }

    /** A JMH mode field: {@code avgt}, {@code thrpt}, {@code ss} or {@code sample}. */
    public static String mode(JsonNode node, String where) throws ReportException {
        String mode = text(node, "mode", where);
        if (!MODES.contains(mode)) {
            throw new ReportException(where + ": unknown mode '" + mode + "'; allowed: " + String.join(", ", MODES));
        }
        return mode;
    }

    /** A unit field whose unit converts to a time per operation ({@link Units}). */
    public static String unit(JsonNode node, String field, String where) throws ReportException {
        return knownUnit(text(node, field, where), where);
    }

    /** A unit read elsewhere, checked like {@link #unit}; {@code where} names the result it belongs to. */
    public static String knownUnit(String unit, String where) throws ReportException {
        if (!Units.isKnown(unit)) {
            throw new ReportException(where + ": unknown unit '" + unit + "'; allowed: " + Units.allowed());
        }
        return unit;
    }

    /** A finite number field. */
    public static double number(JsonNode node, String field, String where) throws ReportException {
        JsonNode v = node.path(field);
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw wrong(where, field, v, "a number");
        }
        return v.doubleValue();
    }

    /** A finite number field that may be missing or null. */
    public static Double optionalNumber(JsonNode node, String field, String where) throws ReportException {
        return optionalNumber(node, field, where, false);
    }

    /** A positive finite number field that may be missing or null. */
    public static Double positiveOrNull(JsonNode node, String field, String where) throws ReportException {
        return optionalNumber(node, field, where, true);
    }

    private static Double optionalNumber(JsonNode node, String field, String where, boolean positive) throws ReportException {
        JsonNode v = node.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue()) || positive && !(v.doubleValue() > 0)) {
            throw wrong(where, field, v, positive ? "a positive number or null" : "a number or null");
        }
        return v.doubleValue();
    }

    /** An integer field at least {@code min}. */
    public static int integer(JsonNode node, String field, String where, int min, String expected) throws ReportException {
        JsonNode v = node.path(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min) {
            throw wrong(where, field, v, expected);
        }
        return v.intValue();
    }

    /** An object field. */
    public static JsonNode object(JsonNode node, String field, String where) throws ReportException {
        return typed(node, field, where, false, true);
    }

    /** An object field that may be missing (then an empty object node), never null. */
    public static JsonNode optionalObject(JsonNode node, String field, String where) throws ReportException {
        return typed(node, field, where, true, true);
    }

    /** An array field that may be missing (then an empty array node). */
    public static JsonNode optionalArray(JsonNode node, String field, String where) throws ReportException {
        return typed(node, field, where, true, false);
    }

    private static JsonNode typed(JsonNode node, String field, String where, boolean optional, boolean object)
            throws ReportException {
        JsonNode v = node.path(field);
        if (optional && v.isMissingNode()) {
            return object ? MAPPER.createObjectNode() : MAPPER.createArrayNode();
        }
        if (object ? !v.isObject() : !v.isArray()) {
            throw wrong(where, field, v, object ? "an object" : "an array");
        }
        return v;
    }

    /**
     * The files of a folder that match a glob ({@code *.json}), hidden (temporary) files left out,
     * sorted: directory order depends on the file system, and the outputs must not.
     *
     * @param named the folder as messages name it
     */
    public static List<Path> files(Path dir, String glob, String named) throws ReportException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, glob)) {
            for (Path p : stream) {
                if (!p.getFileName().toString().startsWith(".")) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            throw new ReportException(named + ": cannot list: " + e.getMessage(), e);
        }
        files.sort(Path::compareTo);
        return files;
    }

    /** An element of an array that must be an object; {@code where} names the element ({@code file: summary[3]}). */
    public static JsonNode element(JsonNode node, String where) throws ReportException {
        if (!node.isObject()) {
            throw new ReportException(where + " is not an object");
        }
        return node;
    }

    /**
     * The params object of a record written by Knobs (summaries, failure records, history entries):
     * each value a number or a string, kept as its text.
     */
    public static Map<String, String> params(JsonNode node, String where) throws ReportException {
        JsonNode params = node.path("params");
        if (!params.isObject()) {
            throw wrong(where, "params", params, "an object of param values");
        }
        Map<String, String> raw = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = params.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual() && !e.getValue().isNumber()) {
                throw new ReportException(where + ": param '" + e.getKey() + "' is " + e.getValue()
                        + ", expected a number or a string");
            }
            raw.put(e.getKey(), e.getValue().asText());
        }
        return raw;
    }

    /** A value as messages show it: {@code missing}, or its JSON. */
    public static String shown(JsonNode v) {
        return v == null || v.isMissingNode() ? "missing" : v.toString();
    }

    /** The JSON type of a value, for messages: {@code an object}, {@code a string}, ... */
    public static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase(Locale.ROOT);
        };
    }
}

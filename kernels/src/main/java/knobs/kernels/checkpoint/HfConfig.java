package knobs.kernels.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A checkpoint's {@code config.json}: its {@code model_type} (which names the {@link Family}) and
 * typed access to the fields the family reads, each missing or mistyped field an error naming the
 * file and the key. No native library.
 */
public final class HfConfig {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path file;
    private final JsonNode root;
    private final String modelType;
    private final Family family;

    private HfConfig(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
        JsonNode mt = root.get("model_type");
        if (mt == null || !mt.isTextual()) {
            throw new CheckpointException(file + ": no \"model_type\" string; supported: " + Family.supportedModelTypes());
        }
        this.modelType = mt.asText();
        this.family = Family.of(modelType, file);
    }

    /** Reads and parses {@code file}; a missing file or invalid JSON is an error naming it. */
    public static HfConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file.getParent() + ": no config.json: a Hugging Face model folder holds config.json"
                    + " and model.safetensors (or model.safetensors.index.json with its shards)");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(file, text);
    }

    /** Parses {@code text} as the contents of {@code file} (tests). */
    static HfConfig parse(Path file, String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": must hold a JSON object");
        }
        return new HfConfig(file, root);
    }

    public Path file() {
        return file;
    }

    /** {@code model_type} as written, e.g. {@code mistral}. */
    public String modelType() {
        return modelType;
    }

    public Family family() {
        return family;
    }

    /** True when {@code key} is present and not JSON null. */
    public boolean has(String key) {
        JsonNode v = root.get(key);
        return v != null && !v.isNull();
    }

    /** A required positive integer. */
    public int positiveInt(String key) {
        if (!has(key)) {
            throw new CheckpointException(file + ": missing \"" + key + "\" (needed for model_type " + modelType + ")");
        }
        return positive(key, root.get(key));
    }

    /** An optional positive integer; {@code fallback} when absent or null. */
    public int positiveInt(String key, int fallback) {
        return has(key) ? positive(key, root.get(key)) : fallback;
    }

    private int positive(String key, JsonNode v) {
        if (!v.canConvertToExactIntegral() || !v.canConvertToInt() || v.asInt() < 1) {
            throw new CheckpointException(file + ": \"" + key + "\" is " + v + "; must be a positive integer");
        }
        return v.asInt();
    }

    /** An optional positive number; {@code fallback} when absent or null. */
    public double positiveDouble(String key, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = root.get(key);
        if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
            throw new CheckpointException(file + ": \"" + key + "\" is " + v + "; must be a positive number");
        }
        return v.asDouble();
    }

    /** An optional boolean; {@code fallback} when absent or null. */
    public boolean bool(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = root.get(key);
        if (!v.isBoolean()) {
            throw new CheckpointException(file + ": \"" + key + "\" is " + v + "; must be true or false");
        }
        return v.asBoolean();
    }

    /** An optional string; {@code fallback} when absent or null. */
    public String string(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = root.get(key);
        if (!v.isTextual()) {
            throw new CheckpointException(file + ": \"" + key + "\" is " + v + "; must be a string");
        }
        return v.asText();
    }

    /** An optional list of non-negative integers; empty when absent or null. */
    public List<Integer> intList(String key) {
        List<Integer> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        JsonNode v = root.get(key);
        if (!v.isArray()) {
            throw new CheckpointException(file + ": \"" + key + "\" is " + v + "; must be a list of integers");
        }
        for (Iterator<JsonNode> it = v.elements(); it.hasNext(); ) {
            JsonNode e = it.next();
            if (!e.canConvertToExactIntegral() || !e.canConvertToInt() || e.asInt() < 0) {
                throw new CheckpointException(file + ": \"" + key + "\" is " + v + "; must be a list of non-negative integers");
            }
            out.add(e.asInt());
        }
        return out;
    }

    /**
     * The field names of the object at {@code key}, in file order; empty when absent or null, an
     * error when {@code key} holds something other than an object.
     */
    public List<String> objectKeys(String key) {
        List<String> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        JsonNode v = root.get(key);
        if (!v.isObject()) {
            throw new CheckpointException(file + ": \"" + key + "\" is " + v + "; must be an object or null");
        }
        v.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** A required number {@code key.field} (the object at {@code key} must exist). */
    public double objectNumber(String key, String field) {
        JsonNode v = member(key, field);
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new CheckpointException(file + ": \"" + key + "\"." + field + " is " + v + "; must be a number");
        }
        return v.asDouble();
    }

    /** A required positive integer {@code key.field}. */
    public int objectPositiveInt(String key, String field) {
        JsonNode v = member(key, field);
        if (!v.canConvertToExactIntegral() || !v.canConvertToInt() || v.asInt() < 1) {
            throw new CheckpointException(file + ": \"" + key + "\"." + field + " is " + v + "; must be a positive integer");
        }
        return v.asInt();
    }

    /** A required string {@code key.field}. */
    public String objectString(String key, String field) {
        JsonNode v = member(key, field);
        if (!v.isTextual()) {
            throw new CheckpointException(file + ": \"" + key + "\"." + field + " is " + v + "; must be a string");
        }
        return v.asText();
    }

    private JsonNode member(String key, String field) {
        objectKeys(key); // an error unless an object
        JsonNode v = has(key) ? root.get(key).get(field) : null;
        if (v == null || v.isNull()) {
            throw new CheckpointException(file + ": missing \"" + key + "\"." + field + " (needed for model_type " + modelType + ")");
        }
        return v;
    }

    /** The raw value of {@code key} as JSON text, for messages; {@code null} when absent. */
    public String raw(String key) {
        JsonNode v = root.get(key);
        return v == null ? null : v.toString();
    }
}

package knobs.kernels.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Hugging Face model folder as the user brings it: {@code config.json} plus the weights, either
 * one {@code model.safetensors} or a {@code model.safetensors.index.json} whose {@code weight_map}
 * names the shard of every tensor. {@link #open} reads the config and every header (no tensor data,
 * no native library) and checks that the index and the shards agree; nothing is downloaded.
 */
public final class Checkpoint {
    public static final String CONFIG = "config.json";
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path dir;
    private final HfConfig config;
    private final Map<String, TensorInfo> tensors;
    private final List<Path> files;

    private Checkpoint(Path dir, HfConfig config, Map<String, TensorInfo> tensors, List<Path> files) {
        this.dir = dir;
        this.config = config;
        this.tensors = tensors;
        this.files = files;
    }

    /**
     * Opens the folder {@code dir}: not a directory, no config.json, no weights, an unknown
     * {@code model_type}, an unreadable header, or an index that disagrees with its shards is an
     * error naming the file (and the tensor).
     */
    public static Checkpoint open(Path dir) {
        if (!Files.exists(dir)) {
            throw new CheckpointException(dir + ": no such directory; a model is a preset name or a Hugging Face model folder"
                    + " (config.json + model.safetensors or model.safetensors.index.json)");
        }
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": not a directory; a checkpoint is a Hugging Face model folder"
                    + " (config.json + model.safetensors or model.safetensors.index.json), not a file");
        }
        HfConfig config = HfConfig.read(dir.resolve(CONFIG));
        Path single = dir.resolve(SINGLE);
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(single)) { // as transformers: the single file wins over an index
            Safetensors s = Safetensors.open(single);
            return new Checkpoint(dir, config, s.tensors(), List.of(single));
        }
        if (Files.isRegularFile(index)) {
            return sharded(dir, config, index);
        }
        throw new CheckpointException(dir + ": no weights: expected " + SINGLE + " or " + INDEX
                + " (only safetensors are read; convert .bin/.pt checkpoints first)");
    }

    private static Checkpoint sharded(Path dir, HfConfig config, Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(index));
        } catch (IOException e) {
            throw new CheckpointException(index + ": cannot read the shard index: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new CheckpointException(index + ": no \"weight_map\" object mapping tensor names to shard files");
        }
        Map<String, String> shardOf = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText();
            if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                throw new CheckpointException(index + ": tensor '" + e.getKey() + "' maps to " + e.getValue()
                        + "; a shard must be a file name in the same folder");
            }
            shardOf.put(e.getKey(), shard);
        }
        Map<String, Safetensors> shards = new TreeMap<>();
        for (String shard : new java.util.TreeSet<>(shardOf.values())) {
            Path f = dir.resolve(shard);
            if (!Files.isRegularFile(f)) {
                throw new CheckpointException(index + ": shard " + shard + " is missing from " + dir
                        + " (named for tensor '" + firstTensorOf(shardOf, shard) + "')");
            }
            shards.put(shard, Safetensors.open(f));
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : shardOf.entrySet()) {
            Safetensors s = shards.get(e.getValue());
            TensorInfo t = s.tensors().get(e.getKey());
            if (t == null) {
                throw new CheckpointException(s.file() + ": tensor '" + e.getKey() + "' is missing: " + INDEX
                        + " puts it in this shard, which does not hold it");
            }
            tensors.put(e.getKey(), t);
        }
        for (Safetensors s : shards.values()) {
            for (String name : s.tensors().keySet()) {
                if (!s.file().getFileName().toString().equals(shardOf.get(name))) {
                    throw new CheckpointException(s.file() + ": holds tensor '" + name + "', which " + INDEX
                            + (shardOf.containsKey(name) ? " puts in " + shardOf.get(name) : " does not list"));
                }
            }
        }
        return new Checkpoint(dir, config, Collections.unmodifiableMap(tensors),
                shards.values().stream().map(Safetensors::file).toList());
    }

    private static String firstTensorOf(Map<String, String> shardOf, String shard) {
        return shardOf.entrySet().stream().filter(e -> e.getValue().equals(shard)).findFirst().map(Map.Entry::getKey).orElseThrow();
    }

    public Path dir() {
        return dir;
    }

    public HfConfig config() {
        return config;
    }

    /** Every tensor of the checkpoint by name. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The safetensors files, one or the shards. */
    public List<Path> files() {
        return files;
    }

    /** Bytes of tensor data on disk (what loading reads). */
    public long dataBytes() {
        return tensors.values().stream().mapToLong(TensorInfo::bytes).sum();
    }
}

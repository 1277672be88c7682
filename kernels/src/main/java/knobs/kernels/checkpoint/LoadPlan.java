package knobs.kernels.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import knobs.kernels.Gpt;
import knobs.kernels.ModelConfig;
import knobs.kernels.Precision;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDictItem;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.bytedeco.pytorch.Tensor;

/**
 * A checkpoint checked against the model it describes: the {@link ModelConfig} from its
 * config.json, and for every tensor the model needs its place ({@link NameTables.Slot}) and its
 * bytes on disk ({@link TensorInfo}). Building a plan reads headers only (no data, no natives), and
 * every problem a load could hit — a missing or unexpected tensor, a shape mismatch, an unsupported
 * dtype, a truncated file — is found here, before a model is allocated. {@link #load} then builds
 * the model and copies every tensor into its place.
 */
public final class LoadPlan {
    /** Names listed in a "missing tensors" message before "and N more". */
    private static final int LISTED = 8;

    private final Checkpoint checkpoint;
    private final ModelConfig config;
    private final List<Assignment> assignments;

    /** One checkpoint tensor and where it goes. */
    public record Assignment(TensorInfo source, NameTables.Slot slot) {
    }

    private LoadPlan(Checkpoint checkpoint, ModelConfig config, List<Assignment> assignments) {
        this.checkpoint = checkpoint;
        this.config = config;
        this.assignments = assignments;
    }

    /** Opens {@code dir} and plans its load; the model is named {@code name} (e.g. the directory as the user wrote it). */
    public static LoadPlan open(Path dir, String name) {
        return of(Checkpoint.open(dir), name);
    }

    /**
     * Checks {@code ck} against its family's name table.
     *
     * @throws CheckpointException naming the folder or file and the tensor
     */
    public static LoadPlan of(Checkpoint ck, String name) {
        Family family = ck.config().family();
        ModelConfig config = family.modelConfig(ck.config(), name);
        List<NameTables.Slot> slots = NameTables.slots(family, config);
        Map<String, TensorInfo> tensors = ck.tensors();
        List<Assignment> out = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Set<String> used = new LinkedHashSet<>();
        for (NameTables.Slot s : slots) {
            TensorInfo t = tensors.get(s.checkpoint());
            if (t == null) {
                missing.add(s.checkpoint());
                continue;
            }
            if (!Arrays.equals(t.shape(), s.shape())) {
                throw new CheckpointException(t.file() + ": tensor '" + t.name() + "' has shape " + t.shapeString() + " but "
                        + ck.config().modelType() + " with this config.json needs " + Arrays.toString(s.shape())
                        + " (Knobs parameter " + s.parameter() + (s.expert() >= 0 ? ", expert " + s.expert() : "") + ")");
            }
            used.add(t.name());
            out.add(new Assignment(t, s));
        }
        if (!missing.isEmpty()) {
            throw new CheckpointException(ck.dir() + ": " + missing.size() + " tensor(s) that model_type " + ck.config().modelType()
                    + " with this config.json needs are missing from " + describeFiles(ck) + ": "
                    + String.join(", ", missing.subList(0, Math.min(LISTED, missing.size())))
                    + (missing.size() > LISTED ? " and " + (missing.size() - LISTED) + " more" : ""));
        }
        for (TensorInfo t : tensors.values()) {
            boolean tiedCopy = config.tiedEmbeddings() && t.name().equals("lm_head.weight"); // transformers ties it over
            if (!used.contains(t.name()) && !tiedCopy && !NameTables.IGNORED.matcher(t.name()).matches()) {
                throw new CheckpointException(t.file() + ": unexpected tensor '" + t.name() + "': model_type "
                        + ck.config().modelType() + " with this config.json has no place for it (a config.json that does not"
                        + " match the weights, e.g. num_hidden_layers, num_experts or a bias flag?)");
            }
        }
        return new LoadPlan(ck, config, List.copyOf(out));
    }

    private static String describeFiles(Checkpoint ck) {
        return ck.files().size() == 1 ? ck.files().get(0).getFileName().toString()
                : ck.files().size() + " shards of " + Checkpoint.INDEX;
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /** The model's config, read from config.json. */
    public ModelConfig config() {
        return config;
    }

    public List<Assignment> assignments() {
        return assignments;
    }

    /**
     * Builds the model of {@link #config()} on {@code device} in {@code precision} and fills every
     * parameter from the checkpoint. The model is built by {@link Gpt#forLoading}: parameters
     * allocated uninitialised, directly in the precision's dtype (the plan covers every element of
     * every parameter, see {@link NameTables#slots}), so a bf16/fp16 load never holds an fp32 copy
     * of the weights and draws no random values: it needs the weights' bytes in that dtype, which is
     * what the memory check counts. Each tensor is copied straight into its parameter, so every value
     * is rounded once, from the checkpoint's dtype to the precision's (a bf16 checkpoint loads
     * bit-exact in bf16); int8 loads fp32 weights, then quantizes them.
     *
     * @param variant {@link #config()} or the same model with another {@code topK} (a knob); any other
     *                difference is an error
     */
    public Gpt load(ModelConfig variant, Device device, Precision precision) {
        if (!variant.equals(config) && !(config.isMoe() && variant.equals(config.withTopK(variant.topK())))) {
            throw new IllegalArgumentException("checkpoint " + checkpoint.dir() + " holds " + config + "; it cannot be loaded as "
                    + variant + " (only topK may differ)");
        }
        precision.requireModel(variant);
        Gpt model = Gpt.forLoading(variant, precision == Precision.INT8 ? Precision.FP32 : precision).toDevice(device);
        copyInto(model);
        if (precision == Precision.INT8) {
            model.toPrecision(precision);
        }
        return model;
    }

    /** {@link #load(ModelConfig, Device, Precision)} of {@link #config()}. */
    public Gpt load(Device device, Precision precision) {
        return load(config, device, precision);
    }

    /** Copies every tensor into {@code model}'s parameters, file by file in file order (sequential reads). */
    void copyInto(Gpt model) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Map<String, Tensor> params = new HashMap<>();
            StringTensorDictItemVector items = model.named_parameters(true).items();
            for (long i = 0; i < items.size(); i++) {
                StringTensorDictItem item = items.get(i);
                params.put(item.key().getString(), item.value());
            }
            Map<Path, List<Assignment>> byFile = new LinkedHashMap<>();
            for (Assignment a : assignments) {
                byFile.computeIfAbsent(a.source().file(), f -> new ArrayList<>()).add(a);
            }
            for (Map.Entry<Path, List<Assignment>> e : byFile.entrySet()) {
                List<Assignment> list = new ArrayList<>(e.getValue());
                list.sort(Comparator.comparingLong(a -> a.source().offset()));
                try (FileChannel ch = FileChannel.open(e.getKey(), StandardOpenOption.READ)) {
                    for (Assignment a : list) {
                        try (PointerScope inner = new PointerScope()) {
                            Safetensors.copy(ch, a.source(), destination(params, a.slot()));
                        }
                    }
                } catch (IOException ex) {
                    throw new CheckpointException(e.getKey() + ": cannot read: " + ex.getMessage(), ex);
                }
            }
        }
    }

    private static Tensor destination(Map<String, Tensor> params, NameTables.Slot s) {
        Tensor p = params.get(s.parameter());
        if (p == null) {
            throw new IllegalStateException("the model has no parameter " + s.parameter() + " (ParameterShapes and Gpt disagree)");
        }
        Tensor d = s.expert() >= 0 ? p.select(0, s.expert()) : p;
        return d.narrow(0, s.rowStart(), s.shape()[0]);
    }
}

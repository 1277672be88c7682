package knobs.kernels;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named vision encoders. {@code vit-l-336} has the shape of CLIP ViT-L/14 at 336 px (the LLaVA-1.5
 * encoder) with 2×2 pooling, 144 tokens per crop; {@code vit-cpu} keeps its patch size but is sized
 * for a 2-core CPU (16 tokens per crop); {@code vit-tiny} is for tests.
 */
public final class VisionPresets {
    private static final Map<String, VisionConfig> PRESETS = new LinkedHashMap<>();

    static {
        add(new VisionConfig("vit-tiny", 28, 14, 32, 1, 2, 64, 1));
        add(new VisionConfig("vit-cpu", 112, 14, 256, 4, 4, 1024, 2));
        add(new VisionConfig("vit-l-336", 336, 14, 1024, 24, 16, 4096, 2));
    }

    private VisionPresets() {
    }

    private static void add(VisionConfig c) {
        PRESETS.put(c.name(), c);
    }

    /** The vision preset called {@code name}; an unknown name is an error listing the known ones. */
    public static VisionConfig get(String name) {
        VisionConfig c = PRESETS.get(name);
        if (c == null) {
            throw new IllegalArgumentException("unknown vision preset '" + name + "'; known vision presets: "
                    + String.join(", ", PRESETS.keySet()));
        }
        return c;
    }

    /** All vision presets by name, in declaration order. */
    public static Map<String, VisionConfig> all() {
        return Collections.unmodifiableMap(PRESETS);
    }
}

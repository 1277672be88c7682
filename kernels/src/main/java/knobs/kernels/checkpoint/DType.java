package knobs.kernels.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.bytedeco.pytorch.global.torch;

/**
 * The safetensors element types Knobs reads: the float types that models are published in. Integer,
 * fp64 and fp8 tensors are refused with the list of these (none of the supported families stores
 * one). Little-endian on disk, as the format specifies.
 */
public enum DType {
    F32(4, torch.ScalarType.Float),
    BF16(2, torch.ScalarType.BFloat16),
    F16(2, torch.ScalarType.Half);

    private final int bytes;
    private final torch.ScalarType scalarType;

    DType(int bytes, torch.ScalarType scalarType) {
        this.bytes = bytes;
        this.scalarType = scalarType;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** libtorch's type of the same bits. */
    public torch.ScalarType scalarType() {
        return scalarType;
    }

    /** The dtype called {@code name} in {@code file}'s header for {@code tensor}; anything else is an error naming both. */
    static DType parse(String name, Path file, String tensor) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new CheckpointException(file + ": tensor '" + tensor + "' has dtype " + name + ", which is not supported;"
                + " supported: " + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}

package knobs.kernels.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one tensor of a checkpoint lies: its file, dtype, shape and the absolute byte range of its
 * data in the file (already checked to lie inside the file and to match shape × dtype).
 *
 * @param name   the tensor's name in the header, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param file   the safetensors file holding it
 * @param dtype  element type on disk
 * @param shape  dimensions, row-major
 * @param offset first byte of the data, from the start of the file
 */
public record TensorInfo(String name, Path file, DType dtype, long[] shape, long offset) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    /** Bytes of data on disk. */
    public long bytes() {
        return Math.multiplyExact(numel(), dtype.bytes());
    }

    /** The shape as {@code [a, b]}, for messages. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && file.equals(t.file) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + file.hashCode()) + Arrays.hashCode(shape) + Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeString() + " in " + file.getFileName();
    }
}

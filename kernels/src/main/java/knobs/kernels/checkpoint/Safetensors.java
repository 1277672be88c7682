package knobs.kernels.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}},
 * offsets relative to the data that follows), then the tensors' bytes.
 *
 * <p>{@link #open} reads and checks the header only, with no native library: the launcher can check
 * a checkpoint before it starts a fork. {@link #copy} then memory-maps one tensor's bytes and copies
 * them straight into a libtorch tensor of any dtype and device, converting on the way: the only copy
 * is the one into the model's parameter. Large tensors are mapped in slices of whole rows (a Java
 * mapping holds at most 2 GiB), and each slice is unmapped as soon as it has been copied, so a
 * checkpoint larger than memory never counts twice in the process's resident size.
 */
public final class Safetensors {
    /** Largest header accepted, as in the reference implementation (guards against reading garbage as a length). */
    static final long MAX_HEADER_BYTES = 100L << 20;
    /** Bytes mapped at once; package-private and mutable so tests can force slicing on tiny tensors. */
    static long chunkBytes = 1L << 30;

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Unmapper UNMAPPER = Unmapper.find();

    private final Path file;
    private final long size;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private Safetensors(Path file, long size, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.size = size;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Reads and checks {@code file}'s header: the length within the file, valid JSON, every entry
     * with a supported dtype, a shape of non-negative dimensions and a data range that matches
     * shape × dtype and lies inside the file.
     *
     * @throws CheckpointException naming the file (and the tensor) on any problem
     */
    public static Safetensors open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(file + ": truncated: " + size + " bytes, shorter than the 8-byte header length"
                        + " that starts a safetensors file");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > size - 8) {
                throw new CheckpointException(file + ": header length " + Long.toUnsignedString(n)
                        + " is beyond the file, which has " + (size - 8) + " bytes after the 8-byte length"
                        + " (truncated, or not a safetensors file)");
            }
            if (n > MAX_HEADER_BYTES) {
                throw new CheckpointException(file + ": header length " + n + " exceeds the format's limit of "
                        + MAX_HEADER_BYTES + " bytes (not a safetensors file?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8);
            return parse(file, size, 8 + n, new String(header.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Safetensors parse(Path file, long size, long dataStart, String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": the header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": the header must be a JSON object of tensors");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw new CheckpointException(file + ": __metadata__ must be an object of strings");
                }
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(name, entry(file, size, dataStart, name, v));
        }
        return new Safetensors(file, size, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo entry(Path file, long size, long dataStart, String name, JsonNode v) {
        String where = file + ": tensor '" + name + "'";
        if (!v.isObject() || !v.path("dtype").isTextual() || !v.path("shape").isArray() || !v.path("data_offsets").isArray()
                || v.path("data_offsets").size() != 2) {
            throw new CheckpointException(where + ": header entry must be {\"dtype\": .., \"shape\": [..], \"data_offsets\": [begin, end]}");
        }
        DType dtype = DType.parse(v.get("dtype").asText(), file, name);
        long[] shape = new long[v.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = v.get("shape").get(i);
            if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new CheckpointException(where + ": shape " + v.get("shape") + " must hold non-negative integers");
            }
            shape[i] = d.asLong();
        }
        JsonNode b = v.get("data_offsets").get(0);
        JsonNode en = v.get("data_offsets").get(1);
        if (!b.canConvertToExactIntegral() || !en.canConvertToExactIntegral() || !b.canConvertToLong() || !en.canConvertToLong()
                || b.asLong() < 0 || en.asLong() < b.asLong()) {
            throw new CheckpointException(where + ": data_offsets " + v.get("data_offsets") + " must be [begin, end] with 0 <= begin <= end");
        }
        long begin = b.asLong();
        long end = en.asLong();
        TensorInfo t = new TensorInfo(name, file, dtype, shape, dataStart + begin);
        long expected;
        try {
            expected = t.bytes();
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": shape " + t.shapeString() + " overflows a 64-bit byte count", e);
        }
        if (end - begin != expected) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + ") hold " + (end - begin)
                    + " bytes, but " + dtype + t.shapeString() + " needs " + expected);
        }
        if (dataStart + end > size) {
            throw new CheckpointException(file + ": truncated: tensor '" + name + "' needs bytes up to " + (dataStart + end)
                    + " but the file has " + size);
        }
        return t;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    /** The file this header came from. */
    public Path file() {
        return file;
    }

    /** Size of the file in bytes. */
    public long size() {
        return size;
    }

    /** The tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The header's {@code __metadata__} (e.g. {@code format: pt}); empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Copies tensor {@code t}'s bytes into {@code dest}, converting to {@code dest}'s dtype and device
     * on the way ({@code copy_}); {@code dest} may be a strided view (a slice of a fused or stacked
     * parameter) but must have exactly {@code t}'s shape. Runs with autograd off, so {@code dest} may
     * be a parameter.
     *
     * @param ch an open channel of {@code t.file()}
     * @throws CheckpointException naming file and tensor when the shapes differ or the bytes cannot be mapped
     */
    public static void copy(FileChannel ch, TensorInfo t, Tensor dest) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new CheckpointException(t.file() + ": safetensors data is little-endian and this machine is not");
        }
        long[] shape = t.shape();
        long[] destShape = dest.sizes().vec().get();
        if (!Arrays.equals(shape, destShape)) {
            throw new CheckpointException(t.file() + ": tensor '" + t.name() + "' has shape " + t.shapeString()
                    + " but its place in the model has shape " + Arrays.toString(destShape));
        }
        long numel = t.numel();
        if (numel == 0) {
            return;
        }
        long elem = t.dtype().bytes();
        long rows = shape.length == 0 ? 1 : shape[0];
        long rowBytes = numel / rows * elem;
        boolean flat = shape.length <= 1 || rowBytes > chunkBytes;
        if (flat && !dest.is_contiguous()) {
            throw new IllegalStateException("tensor '" + t.name() + "': a row of " + rowBytes + " bytes does not fit one mapping of "
                    + chunkBytes + " bytes, and its destination is not contiguous");
        }
        try (PointerScope outer = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor d = flat ? dest.view(-1) : dest;
            long units = flat ? numel : rows;       // rows, or elements in flat mode
            long unitBytes = flat ? elem : rowBytes;
            long perChunk = Math.max(1, chunkBytes / unitBytes);
            for (long u0 = 0; u0 < units; u0 += perChunk) {
                long n = Math.min(perChunk, units - u0);
                long[] chunkShape = flat ? new long[] {n} : shape.clone();
                chunkShape[0] = n;
                MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, t.offset() + u0 * unitBytes, n * unitBytes);
                try (PointerScope inner = new PointerScope()) {
                    d.narrow(0, u0, n).copy_(view(buf, t.dtype(), chunkShape));
                } finally {
                    UNMAPPER.unmap(buf);
                }
            }
        } catch (IOException e) {
            throw new CheckpointException(t.file() + ": cannot map tensor '" + t.name() + "' (bytes " + t.offset() + ".."
                    + (t.offset() + t.bytes()) + "): " + e.getMessage(), e);
        }
    }

    /**
     * A tensor over the mapped bytes (no copy). The mapping starts at the file offset's position
     * within its page, so its address is as aligned as the tensor's offset in the file; the format
     * does not promise element alignment, and an unaligned {@code float*} may not be read by
     * vectorised code, so an unaligned slice is first copied as bytes into aligned memory.
     */
    private static Tensor view(MappedByteBuffer buf, DType dtype, long[] shape) {
        BytePointer p = new BytePointer(buf);
        if (p.address() % dtype.bytes() == 0) {
            return torch.from_blob(p, shape, new TensorOptions(dtype.scalarType()));
        }
        Tensor bytes = torch.from_blob(p, new long[] {buf.capacity()}, new TensorOptions(torch.ScalarType.Byte)).clone();
        return bytes.view(dtype.scalarType()).view(shape);
    }

    /**
     * Frees a mapping now instead of at some later GC ({@code sun.misc.Unsafe.invokeCleaner}, the
     * JDK's supported way for Java 9+ until the FFM API). On a JVM without it, mappings are released
     * by the GC, which only delays when the pages leave the resident size.
     */
    private record Unmapper(Object unsafe, Method invokeCleaner) {
        static Unmapper find() {
            try {
                Class<?> c = Class.forName("sun.misc.Unsafe");
                java.lang.reflect.Field f = c.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                return new Unmapper(f.get(null), c.getMethod("invokeCleaner", ByteBuffer.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return new Unmapper(null, null); // documented fallback: GC unmaps
            }
        }

        void unmap(MappedByteBuffer buf) {
            if (invokeCleaner == null) {
                return;
            }
            try {
                invokeCleaner.invoke(unsafe, buf);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot unmap a safetensors slice", e);
            }
        }
    }
}

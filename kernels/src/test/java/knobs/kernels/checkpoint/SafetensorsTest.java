package knobs.kernels.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import knobs.kernels.Natives;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Safetensors}: header parsing and its errors (no natives), and the memory-mapped copy into
 * libtorch tensors: every dtype, sliced mappings, strided destinations, unaligned data.
 */
class SafetensorsTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        Natives.load();
    }

    @AfterEach
    void resetChunk() {
        Safetensors.chunkBytes = 1L << 30;
    }

    private static float[] ramp(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(0.7 * i + 0.3) * scale; // distinct, signed, not representable exactly in 16 bits
        }
        return v;
    }

    private static float[] floats(Tensor t) {
        Tensor c = t.contiguous().to(torch.ScalarType.Float);
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    /** What a 16-bit dtype stores for {@code v}: the writer's rounding, decoded. */
    private static float[] stored(DType dtype, float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = switch (dtype) {
                case F32 -> v[i];
                case BF16 -> SafetensorsWriter.fromBf16(SafetensorsWriter.bf16(v[i]));
                case F16 -> SafetensorsWriter.fromF16(SafetensorsWriter.f16(v[i]));
            };
        }
        return out;
    }

    private void copy(Path file, String name, Tensor dest) {
        Safetensors s = Safetensors.open(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Safetensors.copy(ch, s.tensors().get(name), dest);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void headerListsTensorsInOrderWithShapesDtypesAndOffsets() {
        Path f = dir.resolve("a.safetensors");
        new SafetensorsWriter().add("w", DType.F32, new long[] {2, 3}, ramp(6, 1))
                .add("b", DType.BF16, new long[] {3}, ramp(3, 1)).add("s", DType.F16, new long[] {}, new float[] {1.5f}).write(f);
        Safetensors s = Safetensors.open(f);
        assertEquals(List.of("w", "b", "s"), List.copyOf(s.tensors().keySet()));
        TensorInfo w = s.tensors().get("w");
        assertEquals(DType.F32, w.dtype());
        assertArrayEquals(new long[] {2, 3}, w.shape());
        assertEquals(24, w.bytes());
        assertEquals(s.tensors().get("w").offset() + 24, s.tensors().get("b").offset());
        assertEquals(1, s.tensors().get("s").numel());
        assertEquals("pt", s.metadata().get("format"));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void copiesEachDtypeIntoFp32Exactly(DType dtype) {
        Path f = dir.resolve("t.safetensors");
        float[] v = ramp(4 * 5, 3);
        new SafetensorsWriter().add("x", dtype, new long[] {4, 5}, v).write(f);
        try (PointerScope scope = new PointerScope()) {
            Tensor dest = torch.zeros(4, 5);
            copy(f, "x", dest);
            assertArrayEquals(stored(dtype, v), floats(dest), 0f); // the conversion to fp32 is exact
        }
    }

    @Test
    void copiesIntoAnotherDtypeWithOneRounding() {
        Path f = dir.resolve("t.safetensors");
        float[] v = ramp(8, 2);
        new SafetensorsWriter().add("x", DType.F32, new long[] {8}, v).write(f);
        try (PointerScope scope = new PointerScope()) {
            Tensor dest = torch.zeros(new long[] {8}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.BFloat16));
            copy(f, "x", dest);
            assertArrayEquals(stored(DType.BF16, v), floats(dest), 0f);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {4, 12, 20, 28, 44})
    void slicedMappingsGiveTheSameTensor(long chunk) {
        Path f = dir.resolve("t.safetensors");
        float[] m = ramp(7 * 3, 1);
        float[] v = ramp(37, 5);
        new SafetensorsWriter().add("m", DType.F32, new long[] {7, 3}, m).add("v", DType.BF16, new long[] {37}, v).write(f);
        Safetensors.chunkBytes = chunk; // rows of 12 bytes: 1..3 rows per slice, or element-wise when a row does not fit
        try (PointerScope scope = new PointerScope()) {
            Tensor dm = torch.zeros(7, 3);
            copy(f, "m", dm);
            assertArrayEquals(m, floats(dm), 0f);
            Tensor dv = torch.zeros(37);
            copy(f, "v", dv);
            assertArrayEquals(stored(DType.BF16, v), floats(dv), 0f);
        }
    }

    @Test
    void copiesIntoStridedViewsOfALargerTensor() {
        Path f = dir.resolve("t.safetensors");
        float[] k = ramp(2 * 3, 1);
        new SafetensorsWriter().add("k", DType.F32, new long[] {2, 3}, k).write(f);
        Safetensors.chunkBytes = 12; // one row per slice
        try (PointerScope scope = new PointerScope()) {
            Tensor fused = torch.zeros(5, 3);
            copy(f, "k", fused.narrow(0, 2, 2));        // rows 2..3 of a fused matrix
            float[] got = floats(fused);
            assertArrayEquals(new float[6], Arrays.copyOfRange(got, 0, 6), 0f);
            assertArrayEquals(k, Arrays.copyOfRange(got, 6, 12), 0f);
            assertArrayEquals(new float[3], Arrays.copyOfRange(got, 12, 15), 0f);
            Tensor transposed = torch.zeros(3, 2);
            copy(f, "k", transposed.t());               // a (2, 3) view with strides (1, 2)
            assertArrayEquals(floats(transposed.t()), k, 0f);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void unalignedDataIsReadCorrectly(int pad) {
        Path f = dir.resolve("t.safetensors");
        float[] v = ramp(9, 1);
        new SafetensorsWriter().add("x", DType.F32, new long[] {3, 3}, v).pad(pad).write(f);
        assertTrue(Safetensors.open(f).tensors().get("x").offset() % 4 != 0);
        try (PointerScope scope = new PointerScope()) {
            Tensor dest = torch.zeros(3, 3);
            copy(f, "x", dest);
            assertArrayEquals(v, floats(dest), 0f);
        }
    }

    @Test
    void shapeMismatchNamesFileTensorAndBothShapes() {
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("x", DType.F32, new long[] {2, 3}, ramp(6, 1)).write(f);
        try (PointerScope scope = new PointerScope()) {
            Tensor dest = torch.zeros(3, 2);
            CheckpointException e = assertThrows(CheckpointException.class, () -> copy(f, "x", dest));
            assertMessage(e, f.toString(), "'x'", "[2, 3]", "[3, 2]");
            assertArrayEquals(new float[6], floats(dest), 0f); // nothing written
        }
    }

    // ---- header errors: no natives needed, each names the file ----

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        Path f = dir.resolve("t.safetensors");
        byte[] b = new SafetensorsWriter().add("x", DType.F32, new long[] {2}, ramp(2, 1)).bytes();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, b.length); // claims more than there is
        Files.write(f, b);
        assertMessage(assertThrows(CheckpointException.class, () -> Safetensors.open(f)), f.toString(), "header length "
                + b.length, "beyond the file");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -5); // > 2^63 as unsigned
        Files.write(f, b);
        assertMessage(assertThrows(CheckpointException.class, () -> Safetensors.open(f)), "header length 18446744073709551611",
                "beyond the file");
    }

    @Test
    void truncatedData() throws IOException {
        Path f = dir.resolve("t.safetensors");
        byte[] b = new SafetensorsWriter().add("a", DType.F32, new long[] {2}, ramp(2, 1))
                .add("b", DType.F32, new long[] {4}, ramp(4, 1)).bytes();
        Files.write(f, Arrays.copyOf(b, b.length - 3));
        assertMessage(assertThrows(CheckpointException.class, () -> Safetensors.open(f)), f.toString(), "truncated", "'b'",
                "file has " + (b.length - 3));
    }

    @Test
    void shorterThanTheLengthField() throws IOException {
        Path f = dir.resolve("t.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertMessage(assertThrows(CheckpointException.class, () -> Safetensors.open(f)), f.toString(), "truncated", "3 bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"F64", "I64", "U8", "F8_E4M3", "BOOL"})
    void unsupportedDtypeNamesItAndTheSupportedOnes(String dtype) {
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("ok", DType.F32, new long[] {1}, new float[] {1})
                .addRaw("bad.weight", dtype, new long[] {2}, new byte[2 * ("F64".equals(dtype) || "I64".equals(dtype) ? 8 : 1)]).write(f);
        assertMessage(assertThrows(CheckpointException.class, () -> Safetensors.open(f)), f.toString(), "'bad.weight'",
                "dtype " + dtype, "supported: F32, BF16, F16");
    }

    @Test
    void offsetsThatDisagreeWithTheShape() {
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().addRaw("x", "F32", new long[] {2, 2}, new byte[12]).write(f);
        assertMessage(assertThrows(CheckpointException.class, () -> Safetensors.open(f)), f.toString(), "'x'", "12 bytes",
                "F32[2, 2] needs 16");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json at all", "[1, 2]", "{\"x\": {\"dtype\": \"F32\", \"shape\": [1]}}",
            "{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 0]}}",
            "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}",
            "{\"x\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [0, 0]}, \"x\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [0, 0]}}"})
    void malformedHeaders(String header) throws IOException {
        Path f = dir.resolve("t.safetensors");
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(f, b.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
        }
    }
}

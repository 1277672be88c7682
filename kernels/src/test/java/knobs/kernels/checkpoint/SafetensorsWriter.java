package knobs.kernels.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test-side safetensors writer: tensors given as floats, stored as F32, BF16 (round to nearest
 * even) or F16 (IEEE half, round to nearest even), header padded with spaces to a multiple of 8
 * as the reference implementation does (or to {@link #pad(int)} bytes, to test unaligned data).
 * Deterministic: the same calls give the same bytes.
 */
final class SafetensorsWriter {
    private record Entry(String dtype, long[] shape, byte[] data) {
    }

    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private int extraPad;

    SafetensorsWriter() {
        metadata.put("format", "pt");
    }

    /** Adds {@code values} (row-major, as many as the shape holds) as {@code dtype}. */
    SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> b.putFloat(v);
                case BF16 -> b.putShort(bf16(v));
                case F16 -> b.putShort(f16(v));
                default -> throw new IllegalArgumentException(dtype.name());
            }
        }
        tensors.put(name, new Entry(dtype.name(), shape.clone(), b.array()));
        return this;
    }

    /** Adds raw bytes under any dtype name (for unsupported-dtype tests). */
    SafetensorsWriter addRaw(String name, String dtype, long[] shape, byte[] data) {
        tensors.put(name, new Entry(dtype, shape.clone(), data.clone()));
        return this;
    }

    /** Adds this many spaces past the 8-byte alignment, so the data starts unaligned. */
    SafetensorsWriter pad(int extra) {
        this.extraPad = extra;
        return this;
    }

    byte[] bytes() {
        StringBuilder h = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            Entry t = e.getValue();
            h.append('"').append(e.getKey()).append("\":{\"dtype\":\"").append(t.dtype).append("\",\"shape\":[");
            for (int i = 0; i < t.shape.length; i++) {
                h.append(i == 0 ? "" : ",").append(t.shape[i]);
            }
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + t.data.length).append("]},");
            offset += t.data.length;
        }
        h.append("\"__metadata__\":{");
        int i = 0;
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            h.append(i++ == 0 ? "" : ",").append('"').append(m.getKey()).append("\":\"").append(m.getValue()).append('"');
        }
        h.append("}}");
        while (h.length() % 8 != 0) {
            h.append(' ');
        }
        h.append(" ".repeat(extraPad));
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate((int) (8 + header.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header);
        for (Entry t : tensors.values()) {
            out.put(t.data);
        }
        return out.array();
    }

    void write(Path file) {
        try {
            Files.write(file, bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** bfloat16 bits of {@code v}, round to nearest even (no NaN inputs here). */
    static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** The float a bfloat16 bit pattern stands for. */
    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    /** IEEE half bits of {@code v}, round to nearest even; overflow to infinity, subnormals kept. */
    static short f16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
        int mant = bits & 0x7FFFFF;
        if (((bits >>> 23) & 0xFF) == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
        }
        if (exp >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (exp <= 0) {
            if (exp < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - exp;
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (exp << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
            half++; // may carry into the exponent, which is the correct rounding
        }
        return (short) (sign | half);
    }

    /** The float an IEEE half bit pattern stands for. */
    static float fromF16(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0) {
            return Float.intBitsToFloat(sign) + (sign != 0 ? -1 : 1) * mant * (float) Math.pow(2, -24);
        }
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}

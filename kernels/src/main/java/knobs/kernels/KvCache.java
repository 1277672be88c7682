package knobs.kernels;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Preallocated key/value cache: per layer one (2, B, nkv, maxSeq, hs) buffer (nkv = the model's
 * key/value heads, fewer than its query heads under grouped-query attention), written in place at
 * each step (no concatenation, no reallocation while decoding). {@link #length()} is the number of
 * positions filled; {@link #truncate(int)} rewinds it so a benchmark can decode the same step again.
 */
public final class KvCache implements AutoCloseable {
    private final Tensor[] buffers;
    private final torch.ScalarType dtype;
    private final int maxSeq;
    private int length;

    public KvCache(ModelConfig c, int batch, Device device, torch.ScalarType dtype) {
        this(c, batch, c.maxSeq(), device, dtype);
    }

    /**
     * A cache holding {@code capacity} positions (1..maxSeq) instead of the model's maxSeq: a
     * checkpoint's maxSeq is its max_position_embeddings (up to 131072), and a step that needs 129
     * positions should not allocate that many.
     */
    public KvCache(ModelConfig c, int batch, int capacity, Device device, torch.ScalarType dtype) {
        if (capacity < 1 || capacity > c.maxSeq()) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " is not allowed for model '" + c.name()
                    + "': must be in 1.." + c.maxSeq() + " (its maxSeq)");
        }
        this.maxSeq = capacity;
        this.dtype = dtype.intern(); // JavaCPP enums returned from native code are new objects: intern to compare
        this.buffers = new Tensor[c.layers()];
        TensorOptions opts = new TensorOptions(dtype).device(new org.bytedeco.pytorch.DeviceOptional(device));
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = torch.zeros(new long[] {2, batch, c.kvHeads(), maxSeq, c.headDim()}, opts);
        }
    }

    /** Number of cached positions. */
    public int length() {
        return length;
    }

    /** Longest sequence the cache can hold. */
    public int capacity() {
        return maxSeq;
    }

    /** Rewinds the cache to its first {@code n} positions (the contents beyond are ignored). */
    public void truncate(int n) {
        if (n < 0 || n > length) {
            throw new IllegalArgumentException("cannot truncate a cache of length " + length + " to " + n);
        }
        length = n;
    }

    /** Marks {@code t} more positions as filled; called by the model once every layer has written. */
    void advance(long t) {
        length += (int) t;
    }

    /**
     * Writes {@code x} (B, nkv, T, hs) as keys (kv=0) or values (kv=1) of {@code layer} at positions
     * [pos, pos+T) and returns the view of positions [0, pos+T).
     */
    Tensor append(int layer, int kv, int pos, Tensor x) {
        long t = x.size(2);
        if (pos + t > maxSeq) {
            throw new IllegalArgumentException("sequence of " + (pos + t) + " tokens exceeds the KV cache capacity "
                    + maxSeq + " (model maxSeq)");
        }
        if (x.scalar_type().intern() != dtype) {
            // copy_ would convert silently, and attention would then mix dtypes
            throw new IllegalArgumentException("KV cache holds " + dtype + " but layer " + layer + " produced " + x.scalar_type()
                    + ": create the cache in the model's Precision.activationType() (Gpt.newKvCache does)");
        }
        Tensor buf = buffers[layer].select(0, kv);       // (B, nkv, maxSeq, hs)
        buf.narrow(2, pos, t).copy_(x);
        return buf.narrow(2, 0, pos + t);
    }

    /** Bytes held by the cache buffers. */
    public long bytes() {
        long n = 0;
        for (Tensor b : buffers) {
            n += b.nbytes();
        }
        return n;
    }

    @Override
    public void close() {
        for (Tensor b : buffers) {
            b.close();
        }
    }
}

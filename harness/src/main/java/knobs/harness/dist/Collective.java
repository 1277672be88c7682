package knobs.harness.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import knobs.kernels.dist.Comm;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The collectives {@code Collectives} times, with nccl-tests' conventions (NVIDIA/nccl-tests,
 * doc/PERFORMANCE.md): the message size S is each rank's buffer for all_reduce and broadcast, the
 * whole gathered output for all_gather, the whole input for reduce_scatter, and each rank's whole
 * send buffer for all_to_all (S/n to every peer, itself included). Algorithm bandwidth is
 * {@code S / t}; bus bandwidth is algbw times {@link #busFactor}: {@code 2(n−1)/n} for all_reduce,
 * {@code (n−1)/n} for all_gather, reduce_scatter and all_to_all, 1 for broadcast — the share of the
 * data each rank's link must carry in an optimal algorithm, so it compares with link speed
 * whatever n is. Elements are fp32.
 */
public enum Collective {
    ALL_REDUCE("all_reduce"),
    ALL_GATHER("all_gather"),
    REDUCE_SCATTER("reduce_scatter"),
    ALL_TO_ALL("all_to_all"),
    BROADCAST("broadcast");

    /** Bytes per element (fp32). */
    public static final int ELEMENT_BYTES = 4;

    private final String id;

    Collective(String id) {
        this.id = id;
    }

    /** The name used by {@code -p collective=} and in reports (nccl-tests' names, with underscores). */
    public String id() {
        return id;
    }

    /**
     * Parses a {@code -p collective=} value.
     *
     * @throws IllegalArgumentException naming the value and the allowed ones
     */
    public static Collective parse(String name) {
        String s = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Collective c : values()) {
            if (c.id.equals(s)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown collective '" + name + "'; allowed: " + String.join(", ", ids()));
    }

    public static List<String> ids() {
        List<String> out = new ArrayList<>();
        for (Collective c : values()) {
            out.add(c.id);
        }
        return out;
    }

    /** Whether the message is split into one chunk per rank (so S must divide by n elements). */
    public boolean chunked() {
        return this == ALL_GATHER || this == REDUCE_SCATTER || this == ALL_TO_ALL;
    }

    /** nccl-tests' bus-bandwidth factor for n ranks: busbw = algbw × this. */
    public double busFactor(int n) {
        return switch (this) {
            case ALL_REDUCE -> 2.0 * (n - 1) / n;
            case ALL_GATHER, REDUCE_SCATTER, ALL_TO_ALL -> (double) (n - 1) / n;
            case BROADCAST -> 1.0;
        };
    }

    /**
     * Checks a message size for n ranks: at least one fp32 element, whole elements, and for the
     * chunked collectives a whole number of elements per rank.
     *
     * @throws IllegalArgumentException naming the size, the world size and what is allowed
     */
    public void checkBytes(long bytes, int n) {
        long unit = (long) ELEMENT_BYTES * (chunked() ? n : 1);
        if (bytes < unit || bytes % unit != 0) {
            throw new IllegalArgumentException("bytes=" + bytes + " is not allowed for collective=" + id + " with worldSize=" + n
                    + ": must be a positive multiple of " + unit + (chunked() ? " (" + ELEMENT_BYTES + "-byte fp32 elements,"
                    + " an equal whole number per rank)" : " (" + ELEMENT_BYTES + "-byte fp32 elements)"));
        }
    }

    /** Resident memory of a rank before any buffer: a JVM with libtorch and Gloo loaded (an estimate). */
    public static final long RANK_OVERHEAD_BYTES = 400L << 20;

    /** Bytes of one rank's input and output buffers for an S-byte message among n ranks. */
    public long bufferBytes(long bytes, int n) {
        return switch (this) {
            case ALL_REDUCE, BROADCAST -> bytes;
            case ALL_GATHER, REDUCE_SCATTER -> bytes + bytes / n;
            case ALL_TO_ALL -> 2 * bytes;
        };
    }

    /**
     * A rank's peak resident memory, estimated: {@link #RANK_OVERHEAD_BYTES}, the buffers, and the
     * verification's temporaries (the int64 index pattern and the expected output: three times the
     * buffers at most).
     */
    public long memoryPerRank(long bytes, int n) {
        return RANK_OVERHEAD_BYTES + 4 * bufferBytes(bytes, n);
    }

    /** One rank's buffers for one message size, allocated once; {@link #run} moves data between them. */
    public final class Buffers {
        final Tensor in;
        final Tensor out;  // == in for the in-place collectives
        final long elements;
        final long chunk;
        final int rank;
        final int n;
        final Device device;

        Buffers(long bytes, int rank, int n, Device device) {
            this.elements = bytes / ELEMENT_BYTES;
            this.chunk = elements / n;
            this.rank = rank;
            this.n = n;
            this.device = device;
            TensorOptions o = new TensorOptions(torch.ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(device));
            switch (Collective.this) {
                case ALL_REDUCE, BROADCAST -> {
                    in = torch.zeros(new long[] {elements}, o);
                    out = in;
                }
                case ALL_GATHER -> {
                    in = torch.zeros(new long[] {chunk}, o);
                    out = torch.zeros(new long[] {elements}, o);
                }
                case REDUCE_SCATTER -> {
                    in = torch.zeros(new long[] {elements}, o);
                    out = torch.zeros(new long[] {chunk}, o);
                }
                default -> {
                    in = torch.zeros(new long[] {elements}, o);
                    out = torch.zeros(new long[] {elements}, o);
                }
            }
        }

        public Collective collective() {
            return Collective.this;
        }
    }

    /** Allocates this rank's buffers for an S-byte message among n ranks (see {@link #checkBytes}). */
    public Buffers allocate(long bytes, int rank, int n, Device device) {
        checkBytes(bytes, n);
        return new Buffers(bytes, rank, n, device);
    }

    /** Runs the collective once on the buffers (blocking; broadcast's root is rank 0). */
    public void run(Comm comm, Buffers b) {
        switch (this) {
            case ALL_REDUCE -> comm.allReduce(b.in);
            case ALL_GATHER -> comm.allGatherInto(b.in, b.out);
            case REDUCE_SCATTER -> comm.reduceScatterInto(b.in, b.out);
            case ALL_TO_ALL -> comm.allToAllInto(b.in, b.out);
            case BROADCAST -> comm.broadcast(b.in, 0);
            default -> throw new AssertionError(this);
        }
    }

    /**
     * Fills the input with this rank's pattern, runs the collective, and compares the output with
     * what it must hold (computed independently, from the pattern): null when equal, else what
     * differs. Rank r's value at global index g is {@code 100·(r+1) + g mod 97}, exact in fp32 for
     * every world size up to 256, so the comparison is exact.
     */
    public String verify(Comm comm, Buffers b) {
        fillPattern(b);
        run(comm, b);
        return compare(b);
    }

    /** Fills the input with this rank's pattern (and the output, if separate, with -1). */
    void fillPattern(Buffers b) {
        Tensor input = this == ALL_GATHER ? pattern(b.rank, b.rank * b.chunk, b.chunk, b.device)
                : pattern(b.rank, 0, b.elements, b.device);
        b.in.copy_(input);
        if (b.out != b.in) {
            b.out.fill_(new Scalar(-1.0));
        }
    }

    /** Compares the output with {@link #expected}: null when equal, else what differs. */
    String compare(Buffers b) {
        Tensor expected = expected(b);
        if (torch.equal(b.out, expected)) {
            return null;
        }
        Tensor diff = b.out.ne(expected).nonzero();
        long bad = diff.size(0);
        long first = bad > 0 ? diff.get(0).item_long() : -1;
        return id + " of " + b.elements * ELEMENT_BYTES + " bytes on rank " + b.rank + " of " + b.n + ": " + bad + " of "
                + b.out.numel() + " elements wrong; first at index " + first + ": got " + (first < 0 ? "?"
                : b.out.get(first).item_float()) + ", expected " + (first < 0 ? "?" : expected.get(first).item_float());
    }

    /** The output buffer (the input, for the in-place collectives). */
    Tensor output(Buffers b) {
        return b.out;
    }

    /** What the output must hold after {@link #verify}'s inputs went through the collective. */
    Tensor expected(Buffers b) {
        int n = b.n;
        switch (this) {
            case ALL_REDUCE -> {
                return sumPattern(n, 0, b.elements, b.device);
            }
            case BROADCAST -> {
                return pattern(0, 0, b.elements, b.device);
            }
            case ALL_GATHER -> {
                List<Tensor> parts = new ArrayList<>();
                for (int j = 0; j < n; j++) {
                    parts.add(pattern(j, j * b.chunk, b.chunk, b.device));
                }
                return torch.cat(new org.bytedeco.pytorch.TensorVector(parts.toArray(new Tensor[0])));
            }
            case REDUCE_SCATTER -> {
                return sumPattern(n, b.rank * b.chunk, b.chunk, b.device);
            }
            default -> { // ALL_TO_ALL: block j came from rank j, which sent it its block for this rank
                List<Tensor> parts = new ArrayList<>();
                for (int j = 0; j < n; j++) {
                    parts.add(pattern(j, b.rank * b.chunk, b.chunk, b.device));
                }
                return torch.cat(new org.bytedeco.pytorch.TensorVector(parts.toArray(new Tensor[0])));
            }
        }
    }

    /** Rank r's values at global indices from..from+len: 100·(r+1) + g mod 97, as fp32. */
    static Tensor pattern(int r, long from, long len, Device device) {
        Tensor g = torch.arange(new Scalar(from), new Scalar(from + len), new TensorOptions(torch.ScalarType.Long).device(new org.bytedeco.pytorch.DeviceOptional(device)));
        return torch.remainder(g, new Scalar(97)).add(new Scalar(100L * (r + 1))).to(torch.ScalarType.Float);
    }

    /** The sum over n ranks of {@link #pattern}: 100·n(n+1)/2 + n·(g mod 97). */
    static Tensor sumPattern(int n, long from, long len, Device device) {
        Tensor g = torch.arange(new Scalar(from), new Scalar(from + len), new TensorOptions(torch.ScalarType.Long).device(new org.bytedeco.pytorch.DeviceOptional(device)));
        return torch.remainder(g, new Scalar(97)).mul(new Scalar(n)).add(new Scalar(100L * n * (n + 1) / 2))
                .to(torch.ScalarType.Float);
    }
}

package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.DeviceTimer;
import knobs.harness.Harness;
import knobs.harness.WorkCounters;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The machine's measured ceilings for the roofline: a large fp32 GEMM (FLOP/s), a large tensor
 * copy (bytes/s read + written) and a large read-only reduction (bytes/s read), through the same
 * libtorch, threads and device as the knobs. Run it in the same sweep as the knobs so that
 * percentages of the ceiling compare like with like.
 *
 * <p>The read ceiling exists because a copy understates how fast memory can be read: weights
 * streamed through a GEMM (an MoE layer at small top-k, a decode step) are reads, and a read-only
 * stream runs faster than one that also writes. {@code reports summarize} takes the roofline's
 * memory ceiling as the higher of the two.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Each op takes ~5-20 ms: 2 warmups reach steady clocks and a warm allocator, 5 measurements for a median.
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class Calibration implements KnobCheck {
    /** n of the n×n×n GEMM: large enough to be compute-bound. */
    @Param("1024")
    public int gemmSize;

    /** Size of the copied buffer in MiB: far beyond the last-level cache so DRAM is measured. */
    @Param("64")
    public int copyMiB;

    @Param("cpu")
    public String device;

    /**
     * The size of {@link #read}'s buffer, a state of its own so that the gemm and copy rows keep
     * their params. 256 MiB: on the 2-vCPU CI VM a 64 MiB sum still ran partly from cache (about
     * 1.5× the rate of 256 MiB and 1 GiB, which agreed).
     */
    @State(Scope.Thread)
    public static class ReadSize implements KnobCheck {
        @Param("256")
        public int readMiB;

        @Override
        public void check() {
            if (readMiB < 1) {
                throw new IllegalArgumentException("readMiB=" + readMiB + " is not allowed: must be >= 1");
            }
        }
    }

    private Harness.Session session;
    private Tensor a;
    private Tensor b;
    private Tensor c;
    private Tensor src;
    private Tensor dst;
    private long gemmFlops;
    private long gemmBytes;
    private long copyBytes;
    private Tensor readBuffer;
    private Tensor readOut;
    private long readBytes;
    private long readFlops;
    private DeviceTimer timer;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        if (gemmSize < 1 || copyMiB < 1) {
            throw new IllegalArgumentException("gemmSize=" + gemmSize + ", copyMiB=" + copyMiB + ": both must be >= 1");
        }
        ComputeDevice.check(device);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads, BenchmarkParams params) {
        check();
        session = Harness.setUp(device, threads.request());
        TensorOptions on = new TensorOptions(torch.ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(session.device().torchDevice()));
        long n = gemmSize;
        torch.manual_seed(7);
        a = torch.randn(new long[] {n, n}, on);
        b = torch.randn(new long[] {n, n}, on);
        c = torch.empty(new long[] {n, n}, on, new org.bytedeco.pytorch.MemoryFormatOptional());
        long elements = copyMiB * (1L << 20) / Float.BYTES;
        src = torch.randn(new long[] {elements}, on);
        dst = torch.empty(new long[] {elements}, on, new org.bytedeco.pytorch.MemoryFormatOptional());
        gemmFlops = 2 * n * n * n;
        gemmBytes = 3 * n * n * Float.BYTES;
        copyBytes = 2 * elements * Float.BYTES; // read + write
        if (params.getBenchmark().endsWith(".read")) {
            long readElements = Long.parseLong(params.getParam("readMiB")) * (1L << 20) / Float.BYTES;
            readBuffer = torch.randn(new long[] {readElements}, on);
            readOut = torch.empty(new long[] {}, on, new org.bytedeco.pytorch.MemoryFormatOptional());
            readBytes = readElements * Float.BYTES; // read once; the 4-byte result stays in cache
            readFlops = readElements - 1; // one add per element after the first
        }
        timer = session.device().newTimer();
        session.device().sync();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.device().sync();
        timer.close();
        for (Tensor t : new Tensor[] {a, b, c, src, dst, readBuffer, readOut}) {
            if (t != null) {
                t.close();
            }
        }
    }

    @Benchmark
    public Tensor gemm(WorkCounters work, DeviceTimeCounters time) {
        try (PointerScope scope = new PointerScope()) {
            timer.start();
            torch.mm_out(c, a, b);
            time.deviceNs += timer.stopAndSync();
        }
        work.add(gemmFlops, gemmBytes, 0);
        return c;
    }

    @Benchmark
    public Tensor copy(WorkCounters work, DeviceTimeCounters time) {
        try (PointerScope scope = new PointerScope()) {
            timer.start();
            dst.copy_(src);
            time.deviceNs += timer.stopAndSync();
        }
        work.add(0, copyBytes, 0);
        return dst;
    }

    /**
     * Read bandwidth: {@code sum} of a {@link ReadSize#readMiB} fp32 buffer into a preallocated
     * scalar, counted as the buffer's bytes read. The sum runs on as many intra-op threads as the
     * fork's BLAS pool has ({@code max(intraOpThreads, blasThreads)}, set for the call and restored
     * after it): the knobs' memory-bound kernels — OpenBLAS streaming an MoE layer's expert weights —
     * read with that many threads, so a one-thread read would understate the ceiling and overstate
     * every row's share of it. Measured on the 2-vCPU VM, quiet, 5 interleaved rounds in one JVM, a
     * 400 MB sum: two threads took 0.50–0.53× the time of one (~60 against ~31 GB/s); under load
     * (the other core busy) two threads can be slower, which such a run's contention flags show.
     * At 256 MiB: a 64 MiB sum still ran partly from cache (about 1.5× the rate of 256 MiB and
     * 1 GiB, which agreed). A BLAS {@code dot} or {@code mv} over the buffer read no faster than the sum.
     *
     * @param size binds the {@code readMiB} param to this method only (the buffer is allocated in {@link #setUp})
     */
    @Benchmark
    public Tensor read(ReadSize size, WorkCounters work, DeviceTimeCounters time) {
        try (PointerScope scope = new PointerScope()) {
            int intraOp = torch.get_num_threads();
            int readers = Math.max(intraOp, session.threads().blas());
            if (readers != intraOp) {
                torch.set_num_threads(readers);
            }
            try {
                timer.start();
                torch.sum_out(readOut, readBuffer);
                time.deviceNs += timer.stopAndSync();
            } finally {
                if (readers != intraOp) {
                    torch.set_num_threads(intraOp);
                }
            }
        }
        work.add(readFlops, readBytes, 0);
        return readOut;
    }
}

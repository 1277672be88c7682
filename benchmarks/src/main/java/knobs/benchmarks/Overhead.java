package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.Harness;
import knobs.kernels.Ops;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What one libtorch call costs from Java, as the kernels make it: {@value #CALLS} calls inside one
 * pointer scope with autograd off (one scope per invocation, as every step benchmark has), reported
 * per call. {@code tinyOp} is an elementwise add of two 16-element tensors that allocates its result
 * — pure dispatch: JNI crossing, JavaCPP's Tensor wrapper, libtorch's dispatcher, the allocator.
 * {@code tinyOpOut} writes into a preallocated tensor ({@code add_out}), {@code tinyOpScopePerCall}
 * opens a pointer scope per call (what a naive caller does), {@code smallLinear} is a 16×128 by
 * 128×128 projection through {@link Ops#linear}, {@code smallAttention} a causal SDPA call on
 * (1, 4, 16, 32) through {@link Ops#attention}. {@code scripts/pytorch-parity.py} times the same
 * calls in PyTorch eager; docs/performance.md compares them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class Overhead implements KnobCheck {
    /** Calls per invocation, all in one pointer scope. */
    public static final int CALLS = 100;

    @Param("cpu")
    public String device;

    private Harness.Session session;
    private Tensor a;
    private Tensor b;
    private Tensor out;
    private Tensor x;
    private Tensor w;
    private Tensor q;
    private Tensor k;
    private Tensor v;
    private NoGradGuard noGrad;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        check();
        session = Harness.setUp(device, threads.request());
        var dev = session.device().torchDevice();
        torch.manual_seed(7);
        a = torch.randn(16).to(dev, torch.ScalarType.Float);
        b = torch.randn(16).to(dev, torch.ScalarType.Float);
        out = torch.empty(16).to(dev, torch.ScalarType.Float);
        x = torch.randn(16, 128).to(dev, torch.ScalarType.Float);
        w = torch.randn(128, 128).to(dev, torch.ScalarType.Float);
        q = torch.randn(1, 4, 16, 32).to(dev, torch.ScalarType.Float);
        k = torch.randn(1, 4, 16, 32).to(dev, torch.ScalarType.Float);
        v = torch.randn(1, 4, 16, 32).to(dev, torch.ScalarType.Float);
        noGrad = new NoGradGuard(); // the benchmark thread runs every invocation with autograd off
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.device().sync();
        noGrad.close();
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public void tinyOp(Blackhole bh) {
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < CALLS; i++) {
                bh.consume(a.add(b));
            }
            session.device().sync();
        }
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public void tinyOpOut(Blackhole bh) {
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < CALLS; i++) {
                bh.consume(torch.add_out(out, a, b));
            }
            session.device().sync();
        }
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public void tinyOpScopePerCall(Blackhole bh) {
        for (int i = 0; i < CALLS; i++) {
            try (PointerScope scope = new PointerScope()) {
                bh.consume(a.add(b));
            }
        }
        session.device().sync();
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public void smallLinear(Blackhole bh) {
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < CALLS; i++) {
                bh.consume(Ops.linear("overhead", x, w));
            }
            session.device().sync();
        }
    }

    @Benchmark
    @OperationsPerInvocation(CALLS)
    public void smallAttention(Blackhole bh) {
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < CALLS; i++) {
                bh.consume(Ops.attention("overhead", q, k, v, true));
            }
            session.device().sync();
        }
    }
}

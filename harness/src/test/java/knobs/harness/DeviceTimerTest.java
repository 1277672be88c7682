package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import knobs.kernels.MemoryEstimate;
import knobs.kernels.Natives;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Presets;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Device timing and CUDA allocator peaks: the CPU path always, the CUDA path where a GPU exists. */
class DeviceTimerTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void cpuTimerMeasuresTheStepOnTheHostClock() throws Exception {
        try (DeviceTimer t = ComputeDevice.parse("cpu").newTimer()) {
            t.start();
            Thread.sleep(20);
            long first = t.stopAndSync();
            assertTrue(first >= 20_000_000L && first < 2_000_000_000L, "ns: " + first);
            t.start();
            long second = t.stopAndSync();
            assertTrue(second >= 0 && second < first, "the timer restarts at each start: " + second);
        }
    }

    @Test
    void modelStepAddsDeviceTimeBesideItsWork() {
        DeviceTimeCounters time = new DeviceTimeCounters();
        WorkCounters work = new WorkCounters();
        try (ModelStep step = new ModelStep(Presets.get("tiny"), Phase.PREFILL, 1, 16, ComputeDevice.parse("cpu"))) {
            long t0 = System.nanoTime();
            step.measure(work, time);
            step.measure(work, time);
            long wall = System.nanoTime() - t0;
            assertEquals(2, work.ops);
            assertTrue(time.deviceNs > 0 && time.deviceNs <= wall, "device " + time.deviceNs + " ns of wall " + wall);
        }
        time.reset();
        assertEquals(0, time.deviceNs);
    }

    @Test
    void cudaEventsTimeAMatmulAndTheAllocatorReportsPeaks() {
        assumeTrue(torch.cuda_is_available(), "no CUDA device (CPU-only natives or no GPU): the CUDA timer and allocator"
                + " stats are checked only on a GPU machine with the -Pcuda build");
        ComputeDevice gpu = ComputeDevice.parse("cuda");
        TensorOptions on = new TensorOptions(torch.ScalarType.Float).device(new DeviceOptional(gpu.torchDevice()));
        try (DeviceTimer t = gpu.newTimer(); PointerScope scope = new PointerScope()) {
            Tensor a = torch.randn(new long[] {2048, 2048}, on); // 16 MiB
            gpu.sync();
            CudaMemoryStats.resetPeaks(gpu.index());
            t.start();
            Tensor c = a.matmul(a); // another 16 MiB
            long ns = t.stopAndSync();
            assertTrue(ns > 0 && ns < 10_000_000_000L, "device ns: " + ns);
            CudaMemoryStats.Peaks p = CudaMemoryStats.peaks(gpu.index());
            assertTrue(p.allocated() >= 2 * 2048L * 2048 * 4, p.toString());
            assertTrue(p.reserved() >= p.allocated(), p.toString());
            MemoryRegistry.Model m = new MemoryRegistry.Model("x", 1, MemoryEstimate.of(Presets.get("tiny"), Pass.FORWARD, 1, 8, 4), gpu);
            assertTrue(MemoryProfiler.results(1, -1, 0, 0, m).stream().anyMatch(r -> r.getLabel().equals("mem.cudaPeakAllocated")));
            c.close();
        }
    }
}

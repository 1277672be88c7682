package knobs.harness;

import org.bytedeco.pytorch.cuda.CUDAAllocator;
import org.bytedeco.pytorch.cuda.DeviceStats;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * Peak bytes of libtorch's CUDA caching allocator on one device: allocated (held by live tensors)
 * and reserved (obtained from the driver, including the cache). Kept in a class of its own because
 * the classes in {@code org.bytedeco.pytorch.cuda} fail to initialise without the GPU natives: a
 * CPU build never loads this class, since callers reach it only for a {@link ComputeDevice} that
 * {@link ComputeDevice#isCuda() is CUDA}, which a CPU build cannot create.
 */
final class CudaMemoryStats {
    private CudaMemoryStats() {
    }

    /** Peak allocated and reserved bytes since the last {@link #resetPeaks}. */
    record Peaks(long allocated, long reserved) {
    }

    /** Restarts the peaks at the current values (the allocator's {@code resetPeakStats}). */
    static void resetPeaks(int deviceIndex) {
        allocator().resetPeakStats((byte) deviceIndex);
    }

    static Peaks peaks(int deviceIndex) {
        // getDeviceStats returns a copy; each statistic is an array whose entry 0 is the aggregate
        // over pool types (small and large blocks), which is what torch.cuda.max_memory_allocated reports.
        try (DeviceStats s = allocator().getDeviceStats((byte) deviceIndex)) {
            return new Peaks(s.allocated_bytes().peak(), s.reserved_bytes().peak());
        }
    }

    private static CUDAAllocator allocator() {
        CUDAAllocator a = torch_cuda.getAllocator();
        if (a == null || a.isNull()) {
            throw new IllegalStateException("libtorch has no CUDA allocator (CUDA not initialised in this process)");
        }
        return a;
    }
}

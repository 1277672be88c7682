package knobs.harness;

import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * Where a benchmark runs: {@code cpu}, {@code cuda}, {@code cuda:N} or {@code auto} (CUDA when a
 * device is present, else CPU). {@link #sync()} waits for queued device work; benchmarks call it
 * inside the timed region because CUDA kernels return before they finish.
 */
public final class ComputeDevice {
    private final String spec;
    private final boolean cuda;
    private final int index;
    private final Device device;

    private ComputeDevice(String spec, boolean cuda, int index) {
        this.spec = spec;
        this.cuda = cuda;
        this.index = index;
        this.device = cuda ? new Device(torch.DeviceType.CUDA, (byte) index) : new Device(torch.DeviceType.CPU);
    }

    /**
     * Parses a device name. Syntax errors and CUDA requests on a machine without CUDA are clear
     * errors naming the value and the allowed forms; {@code auto} never fails.
     */
    public static ComputeDevice parse(String name) {
        String s = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return new ComputeDevice("cpu", false, 0);
        }
        if (s.equals("auto")) {
            return cudaCount() > 0 ? new ComputeDevice("cuda:0", true, 0) : new ComputeDevice("cpu", false, 0);
        }
        int index;
        if (s.equals("cuda")) {
            index = 0;
        } else if (s.startsWith("cuda:") && s.substring(5).matches("\\d{1,3}")) {
            index = Integer.parseInt(s.substring(5));
        } else {
            throw new IllegalArgumentException("unknown device '" + name + "'; allowed: cpu, cuda, cuda:N, auto");
        }
        int count = cudaCount();
        if (index >= count) {
            throw new IllegalArgumentException("device '" + name + "' requested but " + (count == 0
                    ? "no CUDA device is available (CPU-only natives or no GPU); build with -Pcuda on a GPU machine, or use device=cpu"
                    : "only " + count + " CUDA device(s) exist (cuda:0..cuda:" + (count - 1) + ")"));
        }
        return new ComputeDevice("cuda:" + index, true, index);
    }

    private static int cudaCount() {
        return torch.cuda_is_available() ? torch.cuda_device_count() : 0;
    }

    /** Blocks until all work queued on this device has finished (no-op on the CPU, whose ops are synchronous). */
    public void sync() {
        if (cuda) {
            torch.cuda_synchronize(index);
        }
    }

    public boolean isCuda() {
        return cuda;
    }

    /** The CUDA device index; 0 for the CPU. */
    public int index() {
        return index;
    }

    /**
     * A reusable timer of this device's work (see {@link DeviceTimer}): CUDA events created with
     * timing enabled on a GPU, the host clock on the CPU. Create it in setup, not in the timed region.
     */
    public DeviceTimer newTimer() {
        return cuda ? new CudaEventTimer(index) : new HostTimer();
    }

    /** libtorch's device object, for moving modules and creating tensors. */
    public Device torchDevice() {
        return device;
    }

    /** The CPU's timer: its ops run synchronously on the calling thread, so the host clock is its clock. */
    private static final class HostTimer implements DeviceTimer {
        private long startNs;

        @Override
        public void start() {
            startNs = System.nanoTime();
        }

        @Override
        public long stopAndSync() {
            return System.nanoTime() - startNs;
        }

        @Override
        public void close() {
            // nothing native to free
        }
    }

    /** Canonical name: {@code cpu} or {@code cuda:N}. */
    @Override
    public String toString() {
        return spec;
    }
}

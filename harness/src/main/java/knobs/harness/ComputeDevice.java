package knobs.harness;

import java.util.Locale;
import org.bytedeco.javacpp.Loader;
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
     * Checks a device name without loading any native library, so that {@code benchmarks.jar} can
     * reject a bad {@code -p device=} before it starts a fork: the syntax, and that a CUDA device is
     * asked of a build that has CUDA natives at all. Whether a GPU is present is known only once
     * libtorch is loaded ({@link #parse}). {@link #parse} makes this check first.
     *
     * @throws IllegalArgumentException naming the value and the allowed forms
     */
    public static void check(String name) {
        String s = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu") || s.equals("auto")) {
            return;
        }
        if (!s.equals("cuda") && !(s.startsWith("cuda:") && s.substring(5).matches("\\d{1,3}"))) {
            throw new IllegalArgumentException("unknown device '" + name + "'; allowed: cpu, cuda, cuda:N, auto");
        }
        if (!hasCudaNatives()) {
            throw new IllegalArgumentException("device '" + name + "' requested but no CUDA device is available: this build"
                    + " has CPU-only natives; build with -Pcuda on a GPU machine (docs/gpu.md), or use device=cpu");
        }
    }

    /**
     * Whether the class path holds libtorch's GPU natives (the {@code -Pcuda} build), looked up as a
     * resource: nothing is extracted or loaded. JavaCPP keeps them under
     * {@code org/bytedeco/pytorch/PLATFORM-gpu/}.
     */
    static boolean hasCudaNatives() {
        String dir = "org/bytedeco/pytorch/" + Loader.getPlatform() + "-gpu/";
        return ComputeDevice.class.getClassLoader().getResource(dir) != null;
    }

    /**
     * Parses a device name. Syntax errors and CUDA requests on a machine without CUDA are clear
     * errors naming the value and the allowed forms ({@link #check} first, then the natives are
     * asked how many CUDA devices exist); {@code auto} never fails.
     */
    public static ComputeDevice parse(String name) {
        check(name);
        String s = name.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return new ComputeDevice("cpu", false, 0);
        }
        if (s.equals("auto")) {
            return cudaCount() > 0 ? new ComputeDevice("cuda:0", true, 0) : new ComputeDevice("cpu", false, 0);
        }
        int index = s.equals("cuda") ? 0 : Integer.parseInt(s.substring(5));
        int count = cudaCount();
        if (index >= count) {
            throw new IllegalArgumentException("device '" + name + "' requested but " + (count == 0
                    ? "no CUDA device is available (no GPU, or its driver is not loaded); use device=cpu"
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

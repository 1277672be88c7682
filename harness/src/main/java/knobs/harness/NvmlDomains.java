package knobs.harness;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.global.nvml;
import org.bytedeco.cuda.nvml.nvmlDevice_st;

/**
 * The NVML calls behind {@link Nvml}; loaded only when the bindings are in the build (the
 * {@code org.bytedeco:cuda} artifact is a provided dependency of this module, so the CPU build
 * compiles this class but does not ship the bindings).
 */
final class NvmlDomains {
    private static final int NAME_BUFFER = 96; // NVML_DEVICE_NAME_V2_BUFFER_SIZE

    private NvmlDomains() {
    }

    static List<EnergyDomain> open() throws Nvml.Unavailable {
        // NVML reference-counts nvmlInit; the matching nvmlShutdown is left to process exit, since
        // the profiler reads the counters until the fork ends.
        check(nvml.nvmlInit_v2(), "nvmlInit_v2");
        int[] count = new int[1];
        check(nvml.nvmlDeviceGetCount_v2(count), "nvmlDeviceGetCount_v2");
        if (count[0] == 0) {
            throw new Nvml.Unavailable("NVML is loaded but lists no GPU", null);
        }
        List<EnergyDomain> out = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            nvmlDevice_st handle = new nvmlDevice_st();
            check(nvml.nvmlDeviceGetHandleByIndex_v2(i, handle), "nvmlDeviceGetHandleByIndex_v2(" + i + ")");
            byte[] name = new byte[NAME_BUFFER];
            check(nvml.nvmlDeviceGetName(handle, name, NAME_BUFFER), "nvmlDeviceGetName(" + i + ")");
            Gpu gpu = new Gpu("gpu-" + i, "NVML device " + i + " (" + cString(name) + ")", handle);
            long[] mj = new long[1];
            int rc = nvml.nvmlDeviceGetTotalEnergyConsumption(handle, mj);
            if (rc != nvml.NVML_SUCCESS) {
                throw new Nvml.Unavailable(gpu.source() + " has no readable energy counter: nvmlDeviceGetTotalEnergyConsumption "
                        + "returned " + error(rc) + " (the counter exists on Volta and newer GPUs)", null);
            }
            out.add(gpu);
        }
        return out;
    }

    private static void check(int rc, String call) throws Nvml.Unavailable {
        if (rc != nvml.NVML_SUCCESS) {
            throw new Nvml.Unavailable(call + " returned " + error(rc), null);
        }
    }

    private static String error(int rc) {
        return rc + " (" + nvml.nvmlErrorString(rc).getString() + ")";
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    /** One GPU: NVML's energy counter in millijoules since the driver was loaded (64-bit, no wrap). */
    private record Gpu(String label, String source, nvmlDevice_st handle) implements EnergyDomain {
        @Override
        public long read() {
            long[] mj = new long[1];
            int rc = nvml.nvmlDeviceGetTotalEnergyConsumption(handle, mj);
            if (rc != nvml.NVML_SUCCESS) {
                throw new IllegalStateException("cannot read the energy of " + source + ": " + error(rc));
            }
            return mj[0];
        }

        @Override
        public double joules(long before, long after) {
            if (after < before) {
                throw new IllegalStateException("the energy counter of " + source + " went back from " + before + " to " + after
                        + " mJ (driver reloaded?)");
            }
            return (after - before) * 1e-3;
        }
    }
}

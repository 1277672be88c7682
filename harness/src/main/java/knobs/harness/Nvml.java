package knobs.harness;

import java.util.List;

/**
 * NVIDIA GPUs' energy counters through NVML, reached through the Bytedeco CUDA presets
 * ({@code org.bytedeco:cuda}, which bind {@code libnvidia-ml.so.1} from the NVIDIA driver). Those
 * presets are part of the {@code cuda} build only: in the CPU build their classes are absent and
 * NVML is reported unavailable, never half-loaded. The calls that need the bindings live in
 * {@link NvmlDomains}, which this class loads only after checking that they exist.
 */
final class Nvml {
    /** The presets' class holding the NVML functions. */
    static final String BINDINGS = "org.bytedeco.cuda.global.nvml";

    private Nvml() {
    }

    /** NVML cannot be used; the message says why. */
    static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Whether the NVML bindings are on the class path (the cuda build). */
    static boolean inBuild() {
        try {
            Class.forName(BINDINGS, false, Nvml.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /**
     * One energy domain per GPU that NVML lists ({@code gpu-<NVML index>}).
     *
     * @throws Unavailable when the bindings are not in this build, the driver's library cannot be
     *                     loaded, NVML fails, or a GPU has no energy counter (before Volta)
     */
    static List<EnergyDomain> open() throws Unavailable {
        if (!inBuild()) {
            throw new Unavailable("the NVML bindings (" + BINDINGS + ", artifact org.bytedeco:cuda) are not in this build;"
                    + " the CPU build has none: build with mvn -Pcuda package", null);
        }
        try {
            return NvmlDomains.open();
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
            // Loading the bindings loads libnvidia-ml.so.1 (driver) and libcudart (CUDA runtime).
            throw new Unavailable("cannot load NVML (libnvidia-ml.so.1 comes with the NVIDIA driver, libcudart with the CUDA"
                    + " runtime or org.bytedeco:cuda's redist jar): " + e, e);
        }
    }
}

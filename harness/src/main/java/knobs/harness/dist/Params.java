package knobs.harness.dist;

import java.util.Map;
import knobs.harness.ComputeDevice;
import knobs.harness.Threads;

/** Reading a rank step's knob values (published by rank 0 as strings), and sharing the cores. */
final class Params {
    /** torchrun's count of ranks on this machine. */
    static final String LOCAL_WORLD_SIZE = "LOCAL_WORLD_SIZE";

    private Params() {
    }

    static String required(Map<String, String> params, String name) {
        String v = params.get(name);
        if (v == null) {
            throw new IllegalArgumentException("knob '" + name + "' missing from the step's parameters " + params);
        }
        return v;
    }

    static int integer(Map<String, String> params, String name) {
        String v = required(params, name);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "=" + v + " is not an integer", e);
        }
    }

    /**
     * On the CPU, shares the machine among the ranks on it (LOCAL_WORLD_SIZE when a launcher set it,
     * else all of them: DistTrial's child JVMs): libtorch's intra-op pool gets the project's configured
     * count ({@code -Dknobs.intraop.threads}, default 1, forwarded to local children), OpenBLAS
     * {@code -Dknobs.threads} with {@code auto}/{@code all} meaning cores / ranks here (at least 1).
     * Nothing on CUDA, where each rank has its own device.
     */
    static void shareCores(ComputeDevice device, DistEnv env) {
        if (device.isCuda()) {
            return;
        }
        String local = System.getenv(LOCAL_WORLD_SIZE);
        int ranksHere = env.worldSize();
        if (local != null && !local.isBlank()) {
            try {
                ranksHere = Math.max(1, Integer.parseInt(local.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(LOCAL_WORLD_SIZE + "='" + local + "' is not an integer", e);
            }
        }
        int share = Math.max(1, Runtime.getRuntime().availableProcessors() / ranksHere);
        Threads.apply(Threads.configuredIntraOp(), Threads.chooseBlas(System.getProperty(Threads.BLAS_PROPERTY), share, Double.NaN).threads());
    }
}

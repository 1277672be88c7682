package knobs.harness.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import knobs.harness.ComputeDevice;
import knobs.kernels.dist.Comm;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;

/**
 * One rank's membership of a process group, joined the torchrun way: rank 0 serves a
 * {@link TCPStore} at {@code MASTER_ADDR:MASTER_PORT}, every rank connects to it, announces itself
 * under {@code knobs/joined/<rank>}, and the c10d backend ({@code gloo} for {@code device=cpu},
 * {@code nccl} for CUDA, the {@code -Pcuda} build) is built over the store. Every wait is bounded
 * by the timeout: a master that cannot be reached, a port already taken, or a rank that never
 * joins is an {@link DistException} naming the address, the port or the missing ranks.
 */
public final class DistGroup implements AutoCloseable {
    /** The store key prefix under which each rank announces itself after connecting. */
    static final String JOINED = "knobs/joined/";

    private final DistEnv env;
    private final Comm comm;
    private final TCPStore store;
    private final String backendName;
    private final ComputeDevice device;

    private DistGroup(DistEnv env, TCPStore store, Comm comm, String backendName, ComputeDevice device) {
        this.env = env;
        this.store = store;
        this.comm = comm;
        this.backendName = backendName;
        this.device = device;
    }

    /** The backend a device gets: {@code gloo} on the CPU, {@code nccl} on CUDA. */
    public static String backendFor(ComputeDevice device) {
        return device.isCuda() ? "nccl" : "gloo";
    }

    /**
     * Joins the group described by {@code env}.
     *
     * @param env     this rank's place (torchrun's variables)
     * @param device  where the collectives' tensors live: chooses the backend
     * @param timeout bound on connecting, on the others joining, and on every collective
     * @throws DistException when the store cannot be served or reached, or a rank does not join in time
     */
    public static DistGroup join(DistEnv env, ComputeDevice device, Duration timeout) {
        return join(env, timeout, s -> device, () -> null);
    }

    /**
     * {@link #join}, for the lockstep runner: {@code device} runs on the store first (rank 0
     * publishes there what the others need, {@link Lockstep#publish}, and the others read the
     * device from it) and gives the device, hence the backend; {@code deaths} is polled while
     * waiting for the others to join, so that a rank that died before joining fails the wait at
     * once with its own description (null while none died).
     */
    public static DistGroup join(DistEnv env, Duration timeout, Function<TCPStore, ComputeDevice> device,
                                 Supplier<String> deaths) {
        TCPStore store = store(env, timeout);
        try {
            ComputeDevice d = device.apply(store);
            store.set(JOINED + env.rank(), new org.bytedeco.pytorch.ByteVector(1).put(0, (byte) 1));
            awaitJoined(env, store, timeout, deaths);
            String name = backendFor(d);
            Backend b = name.equals("nccl") ? nccl(env, store, timeout) : gloo(env, store, timeout);
            return new DistGroup(env, store, new Comm(b, store, timeout), name, d);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static TCPStore store(DistEnv env, Duration timeout) {
        TCPStoreOptions o = new TCPStoreOptions()
                .port((short) env.masterPort()) // uint16 in C++: ports above 32767 wrap to their unsigned value
                .isServer(env.rank() == 0)
                .numWorkers(new SizeTPointer(1).put(env.worldSize()))
                .waitWorkers(false)
                .timeout(new Milliseconds(timeout.toMillis()))
                .useLibUV(false);
        long start = System.nanoTime();
        try {
            return new TCPStore(env.masterAddr(), o);
        } catch (RuntimeException e) {
            long s = (System.nanoTime() - start) / 1_000_000_000L;
            if (env.rank() == 0) {
                throw new DistException("rank 0 cannot serve the store on " + DistEnv.MASTER_ADDR + "=" + env.masterAddr() + " "
                        + DistEnv.MASTER_PORT + "=" + env.masterPort() + " (port in use, or not an address of this host): "
                        + firstLine(e), e);
            }
            throw new DistException("rank " + env.rank() + " cannot reach the master at " + DistEnv.MASTER_ADDR + "="
                    + env.masterAddr() + " " + DistEnv.MASTER_PORT + "=" + env.masterPort() + " (gave up after " + s + " s,"
                    + " timeout " + timeout.toSeconds() + " s): is rank 0 running, and are the address and port right? "
                    + firstLine(e), e);
        }
    }

    /** Waits until every rank has announced itself; else names those missing (or dead). */
    private static void awaitJoined(DistEnv env, TCPStore store, Duration timeout, Supplier<String> deaths) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Integer> missing = missing(env, store);
            if (missing.isEmpty()) {
                return;
            }
            String dead = deaths.get();
            if (dead != null) {
                throw new DistException(dead + " (before joining the group at " + env.masterAddr() + ":" + env.masterPort() + ")");
            }
            if (System.nanoTime() > end) {
                throw new DistException("rank" + (missing.size() == 1 ? " " : "s ") + join(missing) + " did not join the group at "
                        + env.masterAddr() + ":" + env.masterPort() + " within " + timeout.toSeconds() + " s (seen from rank "
                        + env.rank() + ")");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DistException("rank " + env.rank() + " was interrupted while waiting for the others to join", null);
            }
        }
    }

    private static List<Integer> missing(DistEnv env, TCPStore store) {
        List<Integer> missing = new ArrayList<>();
        for (int r = 0; r < env.worldSize(); r++) {
            StringVector one = new StringVector();
            one.push_back(JOINED + r);
            if (!store.check(one)) {
                missing.add(r);
            }
        }
        return missing;
    }

    private static Backend gloo(DistEnv env, TCPStore store, Duration timeout) {
        ProcessGroupGloo.Options o = ProcessGroupGloo.Options.create(new Milliseconds(timeout.toMillis()));
        String ifname = System.getenv("GLOO_SOCKET_IFNAME");
        if (env.loopback()) {
            o.devices().push_back(ProcessGroupGloo.createDeviceForHostname("127.0.0.1"));
        } else if (ifname != null && !ifname.isBlank()) {
            o.devices().push_back(ProcessGroupGloo.createDeviceForInterface(ifname.trim()));
        } else {
            o.devices().push_back(ProcessGroupGloo.createDefaultDevice());
        }
        try {
            return new ProcessGroupGloo(store, env.rank(), env.worldSize(), o);
        } catch (RuntimeException e) {
            throw new DistException("rank " + env.rank() + ": the gloo group of " + env.worldSize() + " ranks did not connect"
                    + " within " + timeout.toSeconds() + " s: " + firstLine(e), e);
        }
    }

    private static Backend nccl(DistEnv env, TCPStore store, Duration timeout) {
        ProcessGroupNCCL.Options o = ProcessGroupNCCL.Options.create();
        o.timeout(new Milliseconds(timeout.toMillis()));
        try {
            return new ProcessGroupNCCL(store, env.rank(), env.worldSize(), o);
        } catch (RuntimeException e) {
            throw new DistException("rank " + env.rank() + ": the nccl group of " + env.worldSize() + " ranks could not be"
                    + " created: " + firstLine(e), e);
        }
    }

    static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    static String join(List<Integer> ranks) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ranks.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(ranks.get(i));
        }
        return b.toString();
    }

    public DistEnv env() {
        return env;
    }

    public int rank() {
        return env.rank();
    }

    public int worldSize() {
        return env.worldSize();
    }

    /** This rank's collectives over the group's backend ({@code ProcessGroupGloo} or {@code ProcessGroupNCCL}). */
    public Comm comm() {
        return comm;
    }

    /** The device this rank's collectives run on (NCCL: its tensors must live there). */
    public ComputeDevice device() {
        return device;
    }

    /** "gloo" or "nccl". */
    public String backendName() {
        return backendName;
    }

    public TCPStore store() {
        return store;
    }

    public Duration timeout() {
        return comm.timeout();
    }

    /**
     * Releases the backend (its connections and threads), then the store: rank 0's server stops
     * listening, so the next trial of this process can bind the same port.
     */
    @Override
    public void close() {
        try {
            comm.close();
        } finally {
            store.close();
        }
    }
}

package knobs.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import knobs.kernels.Natives;

/**
 * What a result was measured on: JVM, libtorch and presets versions, device, CPU, thread counts,
 * which contention counters can be read, and how busy the machine was while the fork started.
 *
 * <p>JMH's JSON records the JVM but has no place for the rest, so each benchmark fork writes this
 * record as a small "sidecar" file, {@code env-<hash>.json}, into {@code -Dknobs.env.dir} (default
 * {@code ./knobs-env}, where {@code reports summarize} looks for it). Identical environments hash
 * to the same file, so a sweep of many forks leaves one file per distinct environment.
 */
public record Environment(String hostname, String os, String cpu, int cores, String jvm, String libtorch,
                          String presets, String javacpp, String device, String deviceName,
                          Threads.Counts threads, boolean maxPhysicalBytesCheck, ContentionCapture contention,
                          ForkStart forkStart) {

    /** Schema tag written into every sidecar; {@code reports} refuses other values. */
    public static final String SCHEMA = "knobs-env/1";
    /** System property naming the folder sidecars are written to. */
    public static final String DIR_PROPERTY = "knobs.env.dir";
    /**
     * Jackson's first {@code ObjectMapper} costs ~0.2 s of class loading in a fresh JVM; it is built
     * on a pool thread from the moment this class initialises ({@link #prepare()}), overlapping the
     * libtorch load, instead of on the fork's critical path.
     */
    private static final CompletableFuture<ObjectMapper> JSON = CompletableFuture.supplyAsync(() -> {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        try {
            m.writeValueAsString(Map.of("warm", 1)); // loads the serializers a flat map needs
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    });

    /** Starts building the JSON writer in the background; call before the slow parts of a fork's setup. */
    static void prepare() {
        // class initialisation has started JSON; nothing else to do
    }

    /**
     * What the sidecar says about contention capture ({@link ContentionProfiler}); part of the
     * environment's identity, since it is the same for every fork on one machine and setting.
     *
     * @param on           whether the profiler runs in this JVM ({@code -Dknobs.contention} and {@code -prof})
     * @param cpus         CPUs counted (allowed CPUs listed in /proc/stat), the M of the contended rule; 0 when unreadable
     * @param availability each counter → null when readable here, else why it is absent
     */
    public record ContentionCapture(boolean on, int cpus, Map<String, String> availability) {
        /** Reads the real /proc now. {@code cuda}: whether the run is on a GPU, whose sharing is not captured. */
        static ContentionCapture probe(boolean cuda) {
            ContentionReader proc = new ContentionReader(ContentionReader.DEFAULT_ROOT);
            Map<String, String> a = new LinkedHashMap<>(proc.availability());
            if (cuda) {
                a.put("gpu_processes", "not captured: Knobs does not read which other processes hold the GPU (see docs/metrics.md)");
            }
            ContentionReader.Reading<ContentionReader.CpuTicks> cpu = proc.cpuTicks();
            return new ContentionCapture(ContentionProfiler.activeInThisJvm(), cpu.present() ? cpu.value().cpus() : 0,
                    Collections.unmodifiableMap(a));
        }

        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("capture", on ? "on" : "off");
            if (cpus > 0) {
                m.put("cpus", cpus);
            }
            m.put("contended_share", Contention.SHARE);
            List<String> present = new ArrayList<>();
            Map<String, String> absent = new LinkedHashMap<>();
            availability.forEach((k, why) -> {
                if (why == null) {
                    present.add(k);
                } else {
                    absent.put(k, why);
                }
            });
            m.put("present", present);
            m.put("absent", absent);
            return m;
        }
    }

    /**
     * How busy the machine was while this fork started (from the start of {@link Harness#setUp} to
     * the sidecar's capture, mostly the libtorch load, so measuring it costs no extra time). Not
     * part of the environment's identity: it differs from fork to fork, and the sidecar keeps the
     * one of the fork that wrote it last, like {@code captured_at}. NaN fields are left out.
     *
     * @param windowMs    the interval measured, ms
     * @param othersCores other processes' CPU over the interval, cores
     * @param stealCores  steal over the interval, cores
     * @param runQueue    runnable threads of other processes, the larger of the two samples
     * @param loadavg1m   the 1-minute load average at capture, or NaN
     */
    public record ForkStart(double windowMs, double othersCores, double stealCores, double runQueue, double loadavg1m) {
        /** From two samples of the real /proc. */
        static ForkStart between(ContentionReader.Sample start, ContentionReader.Sample end, OptionalDouble loadavg1m) {
            Contention.Iteration it = Contention.between(start, end, 1);
            return new ForkStart(it.wallMs(), it.othersCores(), it.stealCores(), it.runQueue(), loadavg1m.orElse(Double.NaN));
        }

        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            putFinite(m, "window_ms", Math.round(windowMs * 10) / 10.0);
            putFinite(m, "others_cores", Math.round(othersCores * 1000) / 1000.0);
            putFinite(m, "steal_cores", Math.round(stealCores * 1000) / 1000.0);
            putFinite(m, "run_queue", runQueue);
            putFinite(m, "loadavg_1m", loadavg1m);
            return m;
        }

        private static void putFinite(Map<String, Object> m, String key, double v) {
            if (Double.isFinite(v)) {
                m.put(key, v);
            }
        }
    }

    /** Captures the environment of this JVM for a run on {@code device}, without a fork-start snapshot. */
    public static Environment capture(ComputeDevice device, Threads.Counts threads) {
        return capture(device, threads, null);
    }

    /**
     * Captures the environment of this JVM for a run on {@code device}.
     *
     * @param forkStart the machine's state while the fork started, or null
     */
    public static Environment capture(ComputeDevice device, Threads.Counts threads, ForkStart forkStart) {
        String cpu = cpuModel();
        return new Environment(localHostname(), System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"), cpu, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"),
                Natives.libtorchVersion(), Natives.presetsVersion(), Natives.javacppVersion(), device.toString(),
                device.isCuda() ? "CUDA device " + device : cpu, threads,
                org.bytedeco.javacpp.Pointer.maxPhysicalBytes() > 0, // the value in force, not the flag
                ContentionCapture.probe(device.isCuda()), forkStart);
    }

    /** The sidecar's fields, in a fixed order (without the capture time). */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schema", SCHEMA);
        m.put("hostname", hostname);
        m.put("os", os);
        m.put("cpu", cpu);
        m.put("cores", cores);
        m.put("jvm", jvm);
        m.put("libtorch", libtorch);
        m.put("presets", presets);
        m.put("javacpp", javacpp);
        m.put("device", device);
        m.put("device_name", deviceName);
        m.put("intraop_threads", threads.intraOp());
        m.put("interop_threads", threads.interOp());
        m.put("blas_threads", threads.blas());
        m.put("blas_policy", threads.blasPolicy());
        m.put("max_physical_bytes_check", maxPhysicalBytesCheck);
        m.put("contention", contention.fields());
        return m;
    }

    /**
     * Writes the sidecar into {@code dir} atomically (temp file, then rename), named by a hash of
     * its fields so that forks with the same environment share one file. The capture time and the
     * fork-start snapshot are written but not hashed.
     *
     * @return the sidecar's path
     */
    public Path writeSidecar(Path dir) {
        ObjectMapper json = JSON.join();
        try {
            Map<String, Object> f = fields();
            String id = sha256(json.writeValueAsString(f)).substring(0, 16);
            Map<String, Object> out = new LinkedHashMap<>(f);
            out.put("captured_at", Instant.now().toString());
            if (forkStart != null) {
                out.put("fork_start", forkStart.fields());
            }
            Files.createDirectories(dir);
            Path target = dir.resolve("env-" + id + ".json");
            // Not Files.createTempFile: it makes the file 0600, and the sidecar must be readable like
            // the results beside it (by another user's `reports summarize`). A plain create gets
            // 0666 less the umask; pid and nanos keep concurrent forks' temp names apart.
            Path tmp = dir.resolve(".env-" + id + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
            try {
                Files.writeString(tmp, json.writeValueAsString(out) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp); // gone after the move; a half-written one must not stay behind
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the environment sidecar into " + dir.toAbsolutePath()
                    + " (set -D" + DIR_PROPERTY + "=DIR to a writable folder)", e);
        }
    }

    /** The folder named by {@code -Dknobs.env.dir}, default {@code knobs-env} in the working directory. */
    public static Path sidecarDir() {
        return Paths.get(System.getProperty(DIR_PROPERTY, "knobs-env"));
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    private static String localHostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return System.getenv().getOrDefault("HOSTNAME", "unknown");
        }
    }

    /** The CPU model from /proc/cpuinfo, or os.arch where that file does not exist (non-Linux). */
    static String cpuModel() {
        Path info = Paths.get("/proc/cpuinfo");
        if (!Files.isReadable(info)) {
            return System.getProperty("os.arch");
        }
        try {
            List<String> lines = Files.readAllLines(info, StandardCharsets.UTF_8);
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
            return System.getProperty("os.arch");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + info, e);
        }
    }
}

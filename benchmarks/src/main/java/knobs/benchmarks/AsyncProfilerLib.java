package knobs.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.openjdk.jmh.profile.AsyncProfiler;

/**
 * Makes JMH's {@code -prof async} work from benchmarks.jar with nothing installed: the jar carries
 * async-profiler's native library (Maven Central's {@code tools.profiler:async-profiler}, with
 * {@code libasyncProfiler.so} for linux-x64, linux-arm64 and macOS), which is extracted once to a
 * cache folder and handed to JMH as {@code libPath}. Where the kernel does not let this process use
 * perf events (a container's seccomp, {@code kernel.perf_event_paranoid} above 2), the default
 * {@code event=cpu} cannot start, so {@code event=itimer} is chosen instead, with a note. A spec
 * that names its own {@code libPath} or {@code event} is left as given. See docs/profiling.md.
 */
public final class AsyncProfilerLib {
    /** {@code -Dknobs.async.cache=DIR}: where the library is extracted (default {@code ~/.cache/knobs}). */
    public static final String CACHE_PROPERTY = "knobs.async.cache";
    /** The library's name in the async-profiler jar, below its platform folder. */
    static final String LIBRARY = "libasyncProfiler.so";
    private static final List<String> NAMES = List.of("async", AsyncProfiler.class.getName());

    private AsyncProfilerLib() {
    }

    /** Whether a {@code -prof} value names JMH's async profiler. */
    public static boolean isAsync(String spec) {
        return NAMES.contains(spec.split(":", 2)[0].trim());
    }

    /**
     * The command line with every {@code -prof async[:OPTIONS]} completed as the class comment says
     * (in any of JMH's spellings: {@code -prof X}, {@code --prof X}, {@code -prof=X}), up to a
     * {@code --}.
     *
     * @param notes receives one line per choice the user did not make (the itimer fallback)
     * @throws IllegalArgumentException when this machine has no library in the jar, or it cannot be extracted
     */
    public static List<String> complete(List<String> args, Consumer<String> notes) {
        List<String> out = new ArrayList<>(args.size());
        boolean options = true;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                options = false;
            }
            if (options && (a.equals("-prof") || a.equals("--prof")) && i + 1 < args.size() && isAsync(args.get(i + 1))) {
                out.add(a);
                out.add(complete(args.get(++i), notes));
            } else if (options && (a.startsWith("-prof=") || a.startsWith("--prof=")) && isAsync(a.substring(a.indexOf('=') + 1))) {
                out.add(a.substring(0, a.indexOf('=') + 1) + complete(a.substring(a.indexOf('=') + 1), notes));
            } else {
                out.add(a);
            }
        }
        return out;
    }

    /** One {@code async[:OPTIONS]} spec completed with {@code libPath} and, where perf events are unavailable, {@code event=itimer}. */
    public static String complete(String spec, Consumer<String> notes) {
        return complete(spec, notes, AsyncProfilerLib::perfEventsUnavailable);
    }

    /**
     * {@link #complete(String, Consumer)} with the question "why can perf events not be used with
     * this library?" answered by {@code perfEventsUnavailable} (null: they can).
     */
    static String complete(String spec, Consumer<String> notes, java.util.function.Function<String, String> perfEventsUnavailable) {
        String[] parts = spec.split(":", 2);
        List<String> opts = new ArrayList<>();
        if (parts.length > 1 && !parts[1].isBlank()) {
            opts.addAll(List.of(parts[1].split(";")));
        }
        String lib = value(opts, "libPath");
        if (lib == null) {
            lib = extract().toString();
            opts.add(0, "libPath=" + lib);
        }
        if (value(opts, "event") == null && Files.isRegularFile(Paths.get(lib))) {
            String why = perfEventsUnavailable.apply(lib);
            if (why != null) {
                opts.add("event=itimer");
                notes.accept("-prof async: perf events are not available to this process (" + why + "; kernel.perf_event_paranoid = "
                        + paranoid() + "): sampling with event=itimer, which sees no kernel frames (give event=... to choose)");
            }
        }
        return parts[0] + ":" + String.join(";", opts);
    }

    private static String value(List<String> opts, String key) {
        for (String o : opts) {
            String[] kv = o.split("=", 2);
            if (kv[0].trim().equals(key)) {
                return kv.length > 1 ? kv[1].trim() : "";
            }
        }
        return null;
    }

    /** "linux-x64", "linux-arm64", "macos", or null when the jar carries no library for this machine. */
    static String platform(String os, String arch) {
        String o = os.toLowerCase(Locale.ROOT);
        if (o.contains("mac")) {
            return "macos";
        }
        if (!o.contains("linux")) {
            return null;
        }
        return switch (arch) {
            case "amd64", "x86_64" -> "linux-x64";
            case "aarch64", "arm64" -> "linux-arm64";
            default -> null;
        };
    }

    /**
     * The library for this machine, extracted from the class path to
     * {@code CACHE/async-profiler/<sha-256 prefix>/<platform>/libasyncProfiler.so} (once: a file of that
     * content is reused), written under a temporary name and renamed, so concurrent launchers never
     * see half a library.
     *
     * @throws IllegalArgumentException naming the platform or the folder when it cannot be done
     */
    public static Path extract() {
        String platform = platform(System.getProperty("os.name"), System.getProperty("os.arch"));
        String resource = platform == null ? null : "/" + platform + "/" + LIBRARY;
        byte[] bytes;
        try (InputStream in = resource == null ? null : AsyncProfilerLib.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("-prof async: this build carries async-profiler for linux-x64, linux-arm64 and macOS, not "
                        + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                        + (platform == null ? "" : " (no " + resource + " on the class path)") + "; give libPath=/path/to/" + LIBRARY);
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalArgumentException("-prof async: cannot read " + resource + " from the class path: " + e.getMessage(), e);
        }
        String hash = sha256(bytes).substring(0, 16);
        Path folder = cacheRoot().resolve("async-profiler").resolve(hash).resolve(platform);
        Path lib = folder.resolve(LIBRARY);
        try {
            if (Files.isRegularFile(lib) && Files.size(lib) == bytes.length) {
                return lib;
            }
            Files.createDirectories(folder);
            Path tmp = Files.createTempFile(folder, LIBRARY, ".part");
            Files.write(tmp, bytes);
            Files.move(tmp, lib, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return lib;
        } catch (IOException e) {
            throw new IllegalArgumentException("-prof async: cannot extract the profiler library to " + folder + ": " + Main.reason(e)
                    + " (set -D" + CACHE_PROPERTY + "=DIR, or give libPath=...)", e);
        }
    }

    private static Path cacheRoot() {
        String dir = System.getProperty(CACHE_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            return Paths.get(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache")).resolve("knobs");
    }

    /**
     * Null when async-profiler can sample CPU time with perf events in this process, else its reason
     * (asked of the library itself: {@code check,event=cpu}, which starts nothing).
     */
    static String perfEventsUnavailable(String lib) {
        try {
            AsyncProfiler.JavaApi.getInstance(lib).execute("check,event=cpu");
            return null;
        } catch (IOException | IllegalStateException e) {
            return e.getMessage();
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalArgumentException("-prof async: cannot load " + lib + ": " + e.getMessage(), e);
        }
    }

    /** {@code /proc/sys/kernel/perf_event_paranoid}, or "unknown". */
    static String paranoid() {
        try {
            return Files.readString(Paths.get("/proc/sys/kernel/perf_event_paranoid")).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}

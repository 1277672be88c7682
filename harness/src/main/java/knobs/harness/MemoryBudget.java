package knobs.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import knobs.kernels.MemoryEstimate;

/**
 * How much memory a configuration may use: {@code -Dknobs.memory.limit=BYTES} (suffixes k, m, g
 * allowed) or else the kernel's MemAvailable. Benchmarks call {@link #require} in setup, so a
 * model that cannot fit fails that configuration with the estimate and the limit in the message.
 */
public final class MemoryBudget {
    /** System property overriding the limit. */
    public static final String PROPERTY = "knobs.memory.limit";

    private MemoryBudget() {
    }

    /** The limit in bytes, and where it came from. */
    public record Limit(long bytes, String source) {
    }

    public static Limit limit() {
        String v = System.getProperty(PROPERTY);
        if (v != null && !v.isBlank()) {
            return new Limit(parseBytes(v), "-D" + PROPERTY);
        }
        Path meminfo = Paths.get("/proc/meminfo");
        try {
            for (String line : Files.readAllLines(meminfo, StandardCharsets.UTF_8)) {
                if (line.startsWith("MemAvailable:")) {
                    String kb = line.replaceAll("[^0-9]", "");
                    return new Limit(Long.parseLong(kb) * 1024, "MemAvailable in /proc/meminfo");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + meminfo + "; set -D" + PROPERTY + "=BYTES", e);
        }
        throw new IllegalStateException(meminfo + " has no MemAvailable line; set -D" + PROPERTY + "=BYTES");
    }

    /** Parses {@code 123}, {@code 64k}, {@code 512m}, {@code 20g} (binary multiples). */
    static long parseBytes(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        if (s.endsWith("k") || s.endsWith("m") || s.endsWith("g")) {
            mult = switch (s.charAt(s.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                default -> 1L << 30;
            };
            s = s.substring(0, s.length() - 1);
        }
        try {
            long n = Long.parseLong(s);
            if (n <= 0) {
                throw new NumberFormatException("not positive");
            }
            return Math.multiplyExact(n, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + v + " is not a byte count; allowed: a positive number with an optional k, m or g suffix", e);
        }
    }

    /** Fails with a clear message when {@code estimate} exceeds the limit. */
    public static void require(MemoryEstimate estimate, String what) {
        Limit limit = limit();
        if (estimate.total() > limit.bytes()) {
            throw new IllegalArgumentException(what + " needs about " + estimate.describe() + ", more than the "
                    + MemoryEstimate.gb(limit.bytes()) + " available (" + limit.source()
                    + "); pick a smaller size, batch or context, or set -D" + PROPERTY + "=BYTES");
        }
    }
}

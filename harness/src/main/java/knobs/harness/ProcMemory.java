package knobs.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * This process's resident memory from Linux's /proc: the current resident set (VmRSS), its peak
 * since the last reset (VmHWM), and the reset itself (writing "5" to /proc/self/clear_refs,
 * Linux ≥ 4.0). One place for the /proc reading that {@link BatchFit} and {@link MemoryProfiler}
 * share. Other systems get a clear error naming the file, never a zero.
 */
public final class ProcMemory {
    private static final Path STATUS = Paths.get("/proc/self/status");
    private static final Path CLEAR_REFS = Paths.get("/proc/self/clear_refs");

    private ProcMemory() {
    }

    /** Current resident set size in bytes (VmRSS). */
    public static long rss() {
        return field(readStatus(), "VmRSS");
    }

    /** Peak resident set size in bytes since the process started or the last {@link #resetPeakRss()} (VmHWM). */
    public static long peakRss() {
        return field(readStatus(), "VmHWM");
    }

    /** Resets VmHWM to the current VmRSS, so that {@link #peakRss()} measures from now on. */
    public static void resetPeakRss() {
        try {
            Files.writeString(CLEAR_REFS, "5", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reset the peak RSS through " + CLEAR_REFS
                    + " (Linux >= 4.0 only; the file must be writable by this process)", e);
        }
    }

    /**
     * Why peak-RSS measurement cannot work here, or null when it can: /proc/self/status must be
     * readable with VmRSS and VmHWM lines, and /proc/self/clear_refs writable.
     */
    public static String unavailableReason() {
        if (!Files.isReadable(STATUS)) {
            return STATUS + " is not readable (Linux only)";
        }
        if (!Files.isWritable(CLEAR_REFS)) {
            return CLEAR_REFS + " is not writable, so the peak RSS (VmHWM) cannot be reset at each iteration (Linux >= 4.0)";
        }
        try {
            List<String> lines = readStatus();
            field(lines, "VmRSS");
            field(lines, "VmHWM");
        } catch (IllegalStateException | UncheckedIOException e) {
            return e.getMessage();
        }
        return null;
    }

    private static List<String> readStatus() {
        try {
            return Files.readAllLines(STATUS, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + STATUS + " (Linux only)", e);
        }
    }

    /**
     * A {@code Name:   123 kB} line of /proc/self/status, in bytes.
     *
     * @throws IllegalStateException when the field is missing or not a kB count
     */
    static long field(List<String> statusLines, String name) {
        String prefix = name + ":";
        for (String line : statusLines) {
            if (line.startsWith(prefix)) {
                String[] parts = line.substring(prefix.length()).trim().split("\\s+");
                if (parts.length != 2 || !parts[1].equals("kB") || !parts[0].matches("\\d{1,18}")) {
                    throw new IllegalStateException(STATUS + ": cannot parse '" + line + "'; expected '" + prefix + " <number> kB'");
                }
                return Math.multiplyExact(Long.parseLong(parts[0]), 1024L);
            }
        }
        throw new IllegalStateException(STATUS + " has no " + prefix + " line");
    }
}

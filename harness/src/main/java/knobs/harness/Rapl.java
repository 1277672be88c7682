package knobs.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Linux powercap's RAPL energy counters (CPU packages and DRAM) under a sysfs root, by default
 * {@code /sys/class/powercap}. Each zone is a folder {@code intel-rapl:N} (package N) or
 * {@code intel-rapl:N:M} (its subzones) holding {@code name} ({@code package-N}, {@code core},
 * {@code uncore}, {@code dram}, {@code psys}), {@code energy_uj} (a counter in microjoules that
 * wraps to 0 after {@code max_energy_range_uj}) and {@code max_energy_range_uj}. AMD processors
 * expose their package counters through the same driver and names.
 *
 * <p>Only {@code package-N} and {@code dram} zones are used: they do not overlap, so their sum is
 * the CPU and memory energy. {@code core} and {@code uncore} lie inside their package, and
 * {@code psys} (the whole platform) contains the packages, so adding any of them would count
 * energy twice. The {@code intel-rapl-mmio} zones repeat the package counter and are skipped too.
 */
final class Rapl {
    private static final Pattern ZONE = Pattern.compile("intel-rapl:\\d+(:\\d+)*");
    private static final Pattern CONTROL_OR_ZONE = Pattern.compile("intel-rapl(:\\d+)*");
    private static final Pattern USED_NAME = Pattern.compile("package-\\d+|dram");

    private Rapl() {
    }

    /** The usable zones under {@code root}, or the reason there are none. */
    record Discovery(List<Zone> zones, String problem) {
    }

    /**
     * Finds the package and DRAM zones under {@code root} (zone folders at its top level, as in
     * /sys/class/powercap, or nested under {@code intel-rapl/}, as in /sys/devices/virtual/powercap),
     * checks that their counters can be read, and labels them by name ({@code name@zone} where two
     * zones share a name, e.g. two sockets' {@code dram}).
     */
    static Discovery discover(Path root) {
        if (!Files.isDirectory(root)) {
            return new Discovery(List.of(), root + " does not exist or is not a folder (no powercap driver, as inside most VMs)");
        }
        Map<String, Path> dirs = new LinkedHashMap<>();
        collect(root, 0, dirs);
        if (dirs.isEmpty()) {
            return new Discovery(List.of(), "no intel-rapl:* zone folders under " + root);
        }
        List<String> ignored = new ArrayList<>();
        List<String[]> used = new ArrayList<>(); // {zone id, name}
        for (Map.Entry<String, Path> e : dirs.entrySet()) {
            String name = readString(e.getValue().resolve("name"));
            if (USED_NAME.matcher(name).matches()) {
                used.add(new String[] {e.getKey(), name});
            } else {
                ignored.add(e.getKey() + " (" + name + ")");
            }
        }
        if (used.isEmpty()) {
            return new Discovery(List.of(), "zones under " + root + " are " + ignored + ", none named package-N or dram");
        }
        Map<String, Long> nameCount = used.stream().collect(Collectors.groupingBy(u -> u[1], Collectors.counting()));
        List<Zone> zones = new ArrayList<>();
        for (String[] u : used) {
            Path dir = dirs.get(u[0]);
            String label = nameCount.get(u[1]) > 1 ? u[1] + "@" + u[0] : u[1];
            Path energy = dir.resolve("energy_uj");
            Path range = dir.resolve("max_energy_range_uj");
            String unreadable = unreadable(energy);
            if (unreadable == null) {
                unreadable = unreadable(range);
            }
            if (unreadable != null) {
                return new Discovery(List.of(), unreadable);
            }
            long max = readLong(range);
            if (max <= 0) {
                return new Discovery(List.of(), range + " holds " + max + "; a counter range must be positive");
            }
            zones.add(new Zone(label, energy, max));
        }
        return new Discovery(zones, null);
    }

    /** Zone folders by zone id, descending only into intel-rapl folders (sysfs links lead everywhere else). */
    private static void collect(Path dir, int depth, Map<String, Path> out) {
        if (depth > 3) {
            return;
        }
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        for (Path child : children) {
            String n = child.getFileName().toString();
            if (!CONTROL_OR_ZONE.matcher(n).matches() || !Files.isDirectory(child)) {
                continue;
            }
            if (ZONE.matcher(n).matches() && Files.exists(child.resolve("name"))) {
                out.putIfAbsent(n, child); // the same zone is reachable by a top-level link and nested
            }
            collect(child, depth + 1, out);
        }
    }

    /** Why {@code p} cannot be read, or null when it can (reading it once, as permissions alone do not tell). */
    private static String unreadable(Path p) {
        try {
            Files.readString(p, StandardCharsets.US_ASCII);
            return null;
        } catch (NoSuchFileException e) {
            return p + " does not exist";
        } catch (AccessDeniedException e) {
            return p + " exists but is not readable by this user (since Linux 5.10 energy_uj is readable by root only:"
                    + " run as root, or grant read access, e.g. sudo chmod a+r " + p.getParent() + "/energy_uj)";
        } catch (IOException e) {
            return "cannot read " + p + ": " + e;
        }
    }

    static String readString(Path p) {
        try {
            return Files.readString(p, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    static long readLong(Path p) {
        String s = readString(p);
        if (!s.matches("\\d{1,19}")) {
            throw new IllegalStateException(p + " holds '" + s + "', not a non-negative whole number");
        }
        return Long.parseLong(s);
    }

    /**
     * Microjoules between two readings of a counter that counts 0..maxRange and then starts again
     * at 0. At most one wrap can be seen between two readings: at 100 W a 2^32 µJ range wraps every
     * ~43 s, so readings must be taken more often than that (JMH iterations are seconds long).
     */
    static long deltaMicrojoules(long before, long after, long maxRange) {
        if (before < 0 || after < 0 || before > maxRange || after > maxRange) {
            throw new IllegalStateException("energy readings " + before + " → " + after + " µJ lie outside the counter's range 0.."
                    + maxRange + " µJ");
        }
        return after >= before ? after - before : maxRange - before + after;
    }

    /** One package or DRAM zone. */
    record Zone(String label, Path energyFile, long maxRangeMicrojoules) implements EnergyDomain {
        @Override
        public String source() {
            return energyFile.toString();
        }

        @Override
        public long read() {
            return readLong(energyFile);
        }

        @Override
        public double joules(long before, long after) {
            return deltaMicrojoules(before, after, maxRangeMicrojoules) * 1e-6;
        }
    }
}

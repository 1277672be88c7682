package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.AverageTimeResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.IterationResultMetaData;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ResultRole;
import org.openjdk.jmh.results.ScalarResult;

/** The energy profiler on fake powercap trees: discovery, wrap-around, arithmetic and its refusals. */
class EnergyProfilerTest {
    /** A typical Intel range: 2^32 energy units of 61 µJ. */
    private static final long RANGE = 262_143_328_850L;

    @TempDir
    Path root;

    /** Writes a zone folder as the powercap driver shows it. */
    static Path zone(Path parent, String id, String name, long energyUj, long rangeUj) throws IOException {
        Path z = Files.createDirectories(parent.resolve(id));
        Files.writeString(z.resolve("name"), name + "\n", StandardCharsets.US_ASCII);
        Files.writeString(z.resolve("energy_uj"), energyUj + "\n", StandardCharsets.US_ASCII);
        Files.writeString(z.resolve("max_energy_range_uj"), rangeUj + "\n", StandardCharsets.US_ASCII);
        Files.writeString(z.resolve("enabled"), "1\n", StandardCharsets.US_ASCII);
        return z;
    }

    @Test
    void findsPackagesAndDramButNotTheZonesInsideThem() throws IOException {
        zone(root, "intel-rapl:0", "package-0", 1000, RANGE);
        zone(root, "intel-rapl:0:0", "core", 10, RANGE);
        zone(root, "intel-rapl:0:1", "uncore", 10, RANGE);
        zone(root, "intel-rapl:0:2", "dram", 500, 65_712_999_613L);
        zone(root, "intel-rapl:1", "psys", 9000, RANGE);
        zone(root, "intel-rapl-mmio:0", "package-0", 1000, RANGE);
        Files.createDirectories(root.resolve("intel-rapl")); // the control-type folder, which is not a zone
        Rapl.Discovery d = Rapl.discover(root);
        assertNull(d.problem());
        assertEquals(List.of("package-0", "dram"), d.zones().stream().map(Rapl.Zone::label).collect(Collectors.toList()));
        assertEquals(65_712_999_613L, d.zones().get(1).maxRangeMicrojoules());
        assertEquals(root.resolve("intel-rapl:0:2/energy_uj"), d.zones().get(1).energyFile());
        assertEquals(500, d.zones().get(1).read());
    }

    @Test
    void nestedLayoutAndLinkedDuplicatesAreOneZoneEachAndSharedNamesAreDisambiguated() throws IOException {
        // /sys/devices/virtual/powercap layout, with /sys/class/powercap-style links to the same zones.
        Path control = Files.createDirectories(root.resolve("intel-rapl"));
        Path p0 = zone(control, "intel-rapl:0", "package-0", 1, RANGE);
        zone(p0, "intel-rapl:0:0", "dram", 2, RANGE);
        Path p1 = zone(control, "intel-rapl:1", "package-1", 3, RANGE);
        zone(p1, "intel-rapl:1:0", "dram", 4, RANGE);
        Files.createSymbolicLink(root.resolve("intel-rapl:0"), p0);
        Files.createSymbolicLink(root.resolve("intel-rapl:0:0"), p0.resolve("intel-rapl:0:0"));
        Rapl.Discovery d = Rapl.discover(root);
        assertNull(d.problem());
        assertEquals(List.of("package-0", "dram@intel-rapl:0:0", "package-1", "dram@intel-rapl:1:0"),
                d.zones().stream().map(Rapl.Zone::label).collect(Collectors.toList()));
    }

    @Test
    void wrapAroundUsesTheCounterRange() {
        assertEquals(250, Rapl.deltaMicrojoules(1000, 1250, RANGE));
        assertEquals(150, Rapl.deltaMicrojoules(RANGE - 100, 50, RANGE), "100 µJ up to the top, then 50 after the wrap");
        assertEquals(0, Rapl.deltaMicrojoules(7, 7, RANGE));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Rapl.deltaMicrojoules(5, RANGE + 1, RANGE));
        assertTrue(e.getMessage().contains("outside the counter's range"), e.getMessage());
    }

    @Test
    void aZoneReadsItsFileAndConvertsAWrappedDeltaToJoules() throws IOException {
        long range = 4_294_967_295L;
        Path z = zone(root, "intel-rapl:0", "package-0", range - 2_000_000, range);
        Rapl.Zone zone = Rapl.discover(root).zones().get(0);
        long before = zone.read();
        Files.writeString(z.resolve("energy_uj"), "3000000\n", StandardCharsets.US_ASCII);
        long after = zone.read();
        assertEquals(5.0, zone.joules(before, after), 1e-12, "2 J to the top of the range, 3 J after the wrap");
        Files.writeString(z.resolve("energy_uj"), "lots\n", StandardCharsets.US_ASCII);
        IllegalStateException bad = assertThrows(IllegalStateException.class, zone::read);
        assertTrue(bad.getMessage().contains("holds 'lots'"), bad.getMessage());
    }

    @Test
    void arithmeticPerIteration() {
        Map<String, Double> joules = new LinkedHashMap<>();
        joules.put("package-0", 10.0);
        joules.put("dram", 2.0);
        Map<String, ScalarResult> r = byLabel(EnergyProfiler.results(joules, 2_000_000_000L, 4, OptionalDouble.of(1.2e12)));
        assertEquals(10.0, r.get("energy.package-0").getScore());
        assertEquals(2.0, r.get("energy.dram").getScore());
        assertEquals(12.0, r.get("energy.total").getScore());
        assertEquals(6.0, r.get("energy.watts").getScore(), 1e-12);
        assertEquals(3.0, r.get("energy.joulesPerOp").getScore());
        assertEquals(1e11, r.get("energy.flopsPerJoule").getScore(), 1);
        assertEquals("J", r.get("energy.total").getScoreUnit());
        assertEquals("W", r.get("energy.watts").getScoreUnit());
        assertEquals("J/op", r.get("energy.joulesPerOp").getScoreUnit());
        assertEquals("FLOPs/J", r.get("energy.flopsPerJoule").getScoreUnit());

        Map<String, ScalarResult> noFlops = byLabel(EnergyProfiler.results(joules, 1_000_000_000L, 0, OptionalDouble.empty()));
        assertFalse(noFlops.containsKey("energy.flopsPerJoule"), "no flops counter, no FLOPs per joule");
        assertFalse(noFlops.containsKey("energy.joulesPerOp"));
    }

    @Test
    void iterationHooksReadTheCountersAndTheFlopsCounterOfTheIteration() throws Exception {
        Path pkg = zone(root, "intel-rapl:0", "package-0", RANGE - 1_000_000, RANGE);
        Path dram = zone(root, "intel-rapl:0:0", "dram", 0, RANGE);
        try (Ticker t = new Ticker(pkg.resolve("energy_uj"), RANGE - 1_000_000, 20.0, RANGE);
             Ticker u = new Ticker(dram.resolve("energy_uj"), 0, 5.0, RANGE)) {
            EnergyProfiler prof = new EnergyProfiler("root=" + root + ";nvml=off");
            assertEquals(List.of("package-0", "dram"), List.copyOf(prof.domains().keySet()));
            prof.beforeIteration(null, null);
            Thread.sleep(200);
            IterationResult it = new IterationResult(null, null, new IterationResultMetaData(8, 7));
            it.addResult(new AverageTimeResult(ResultRole.PRIMARY, "step", 7, 200_000_000L, TimeUnit.MILLISECONDS));
            it.addResult(new ScalarResult("flops", 4e9, "#", AggregationPolicy.SUM));
            Map<String, ScalarResult> r = byLabel(results(prof, it));
            double total = r.get("energy.total").getScore();
            assertEquals(25.0, r.get("energy.watts").getScore(), 6.0, "the fake counters run at 20 W + 5 W: " + r);
            assertEquals(total / 8, r.get("energy.joulesPerOp").getScore(), 1e-12, "every invocation of the iteration, measured or not");
            assertEquals(4e9 / total, r.get("energy.flopsPerJoule").getScore(), 1e-3);
            assertTrue(r.get("energy.package-0").getScore() > r.get("energy.dram").getScore());
        }
    }

    @Test
    void noCounterFailsAtStartNamingWhereItLooked() {
        Path missing = root.resolve("no-such-powercap");
        ProfilerException e = assertThrows(ProfilerException.class, () -> new EnergyProfiler("root=" + missing + ";nvml=off"));
        assertTrue(e.getMessage().startsWith("EnergyProfiler found no hardware energy counter, and it does not report zeros"), e.getMessage());
        assertTrue(e.getMessage().contains(missing + "/intel-rapl:*/{name,energy_uj,max_energy_range_uj}: " + missing
                + " does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("NVML: not tried (nvml=off)"), e.getMessage());

        ProfilerException wrongNames = assertThrows(ProfilerException.class, () -> {
            zone(root, "intel-rapl:0:0", "core", 1, RANGE);
            new EnergyProfiler("root=" + root + ";nvml=off");
        });
        assertTrue(wrongNames.getMessage().contains("[intel-rapl:0:0 (core)], none named package-N or dram"), wrongNames.getMessage());
    }

    @Test
    void thisMachinesDefaultRootIsReadOrRefusedWithTheSamePaths() {
        assumeFalse(Files.isDirectory(Paths.get("/sys/class/powercap/intel-rapl:0")),
                "this machine has RAPL zones; the refusal is covered by the fake-tree tests");
        ProfilerException e = assertThrows(ProfilerException.class, () -> new EnergyProfiler(""));
        assertTrue(e.getMessage().contains("/sys/class/powercap/intel-rapl:*/{name,energy_uj,max_energy_range_uj}"), e.getMessage());
        assertTrue(e.getMessage().contains("NVML (NVIDIA GPUs)"), e.getMessage());
    }

    @Test
    void frozenCountersAreRefusedInsteadOfReportingZeros() throws IOException {
        zone(root, "intel-rapl:0", "package-0", 12345, RANGE);
        ProfilerException e = assertThrows(ProfilerException.class, () -> new EnergyProfiler("root=" + root + ";nvml=off"));
        assertTrue(e.getMessage().contains("did not advance in " + EnergyProfiler.PROBE_MS + " ms: [package-0 ("
                + root.resolve("intel-rapl:0/energy_uj") + ")]"), e.getMessage());
    }

    @Test
    void badOptionsAndUnknownDomainsAreClearErrors() throws Exception {
        ProfilerException typo = assertThrows(ProfilerException.class, () -> new EnergyProfiler("rooot=/x"));
        assertTrue(typo.getMessage().contains("bad option 'rooot=/x'; allowed: root=DIR, nvml=auto|on|off"), typo.getMessage());
        ProfilerException mode = assertThrows(ProfilerException.class, () -> new EnergyProfiler("nvml=maybe"));
        assertTrue(mode.getMessage().contains("nvml=maybe is not allowed"), mode.getMessage());
        assertEquals(Map.of("root", "/a:b", "nvml", "off"), EnergyProfiler.parseOptions("root=/a:b;nvml=off;"));

        Path pkg = zone(root, "intel-rapl:0", "package-0", 0, RANGE);
        try (Ticker t = new Ticker(pkg.resolve("energy_uj"), 0, 10.0, RANGE)) {
            ProfilerException unknown = assertThrows(ProfilerException.class,
                    () -> new EnergyProfiler("root=" + root + ";nvml=off;domains=gpu-0"));
            assertTrue(unknown.getMessage().contains("names 'gpu-0', which is not among the counters found: [package-0]"),
                    unknown.getMessage());
        }
    }

    @Test
    void nvmlRequestedIsUsedOrItsAbsenceIsAnError() throws Exception {
        Path pkg = zone(root, "intel-rapl:0", "package-0", 0, RANGE);
        try (Ticker t = new Ticker(pkg.resolve("energy_uj"), 0, 10.0, RANGE)) {
            try {
                EnergyProfiler prof = new EnergyProfiler("root=" + root + ";nvml=on");
                // Only on a machine with the cuda build and an NVIDIA driver.
                assertTrue(prof.domains().keySet().stream().anyMatch(k -> k.startsWith("gpu-")), prof.domains().toString());
            } catch (ProfilerException e) {
                assertTrue(e.getMessage().startsWith("EnergyProfiler: NVML (NVIDIA GPUs): "), e.getMessage());
                assertTrue(e.getMessage().endsWith("Pass nvml=off to measure package-0 only."), e.getMessage());
            }
        }
    }

    @Test
    void discoveryInstancesAreNotRunnable() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new EnergyProfiler().beforeIteration(null, null));
        assertTrue(e.getMessage().contains("discovery only"), e.getMessage());
    }

    @SuppressWarnings("unchecked")
    private static List<ScalarResult> results(EnergyProfiler prof, IterationResult it) {
        return (List<ScalarResult>) prof.afterIteration(null, null, it);
    }

    private static Map<String, ScalarResult> byLabel(List<ScalarResult> results) {
        return results.stream().collect(Collectors.toMap(Result::getLabel, r -> r));
    }

    /**
     * Advances a fake energy_uj file at a fixed power, as the driver would, from a background
     * thread: the value follows the elapsed time (so readings measure the power however the thread
     * is scheduled) and wraps at the range. Each write is a rename, so readers never see half a file.
     */
    static final class Ticker implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;

        Ticker(Path file, long startUj, double watts, long rangeUj) {
            long t0 = System.nanoTime();
            thread = new Thread(() -> {
                Path tmp = file.resolveSibling(".energy_uj.tmp");
                while (running) {
                    long uj = (startUj + (long) ((System.nanoTime() - t0) * 1e-3 * watts)) % (rangeUj + 1);
                    try {
                        Files.writeString(tmp, uj + "\n", StandardCharsets.US_ASCII);
                        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        Thread.sleep(2);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "fake-rapl");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
        }
    }
}

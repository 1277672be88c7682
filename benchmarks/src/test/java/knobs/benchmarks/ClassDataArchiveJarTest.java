package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive as {@code java -jar benchmarks.jar} makes and uses it: two launchers that
 * start together with an empty cache make one archive (one says so, the other waits and uses it),
 * their forks map it (classes of the presets, the harness and JMH come from the archive's top
 * layer), the result's {@code jvmArgs} say so; a JVM that rejects it says nothing; {@code
 * -Dknobs.cds=off} adds nothing; a cache folder that cannot be written is one note and the run
 * still succeeds. Runs in the verify phase like {@link BenchmarksJarTest}.
 */
class ClassDataArchiveJarTest {
    private static final String TINY = "ModelSize -p size=tiny -p pass=forward -p batchSize=1 -p contextLength=16 -f 1 -wi 0 -i 1 -r 100ms";

    @TempDir
    Path dir;

    private static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path jar() {
        String path = System.getProperty("knobs.benchmarksJar");
        assumeTrue(path != null, "runs on the shaded jar in the verify phase (benchmarks/pom.xml, execution shaded-jar)");
        return Paths.get(path);
    }

    /** A launcher in {@code dir/name}: its fork logs where each class came from into {@code classes.log} there. */
    private Process start(String name, String property, String args) throws Exception {
        Path cwd = Files.createDirectories(dir.resolve(name));
        List<String> cmd = new ArrayList<>(List.of(java(), "-Djmh.ignoreLock=true", property, "-jar", jar().toString()));
        cmd.addAll(List.of((args + " -rf json -rff x.json -jvmArgsAppend -Xlog:class+load=info:file=classes.log").split(" ")));
        return new ProcessBuilder(cmd).directory(cwd.toFile())
                .redirectOutput(cwd.resolve("stdout.txt").toFile()).redirectError(cwd.resolve("stderr.txt").toFile()).start();
    }

    private String finish(Process p, String name) throws Exception {
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            throw new AssertionError(name + " did not end in 5 minutes");
        }
        String err = Files.readString(dir.resolve(name).resolve("stderr.txt"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), name + ": " + err + Files.readString(dir.resolve(name).resolve("stdout.txt")));
        return err;
    }

    private List<String> forkJvmArgs(String name) throws Exception {
        JsonNode args = new ObjectMapper().readTree(dir.resolve(name).resolve("x.json").toFile()).get(0).get("jvmArgs");
        List<String> out = new ArrayList<>();
        args.forEach(a -> out.add(a.asText()));
        return out;
    }

    /** The fork's classes that came from the archive's top (dynamic) layer. */
    private List<String> fromArchive(String name) throws Exception {
        try (Stream<String> lines = Files.lines(dir.resolve(name).resolve("classes.log"))) {
            return lines.filter(l -> l.endsWith("source: shared objects file (top)"))
                    .map(l -> l.substring(l.indexOf("] ") + 2, l.indexOf(" source:")).trim()).toList();
        }
    }

    @Test
    void launchersMakeOneArchiveTheirForksMapItAndItsAbsenceNeverFailsARun() throws Exception {
        Path cache = dir.resolve("cache");
        String property = "-D" + ClassDataArchive.CACHE_PROPERTY + "=" + cache;
        Process a = start("a", property, TINY);
        Thread.sleep(200);
        Process b = start("b", property, TINY);
        String errA = finish(a, "a");
        String errB = finish(b, "b");

        List<Path> archives;
        try (Stream<Path> s = Files.list(cache)) {
            archives = s.filter(p -> p.toString().endsWith(".jsa")).toList();
        }
        assertEquals(1, archives.size(), "one archive: " + archives);
        Path archive = archives.get(0);
        List<String> notes = new ArrayList<>(errA.lines().toList());
        notes.addAll(errB.lines().toList());
        assertEquals(1, notes.size(), "the launcher that made it says so in one line, the other nothing:\n" + errA + errB);
        assertTrue(notes.get(0).startsWith("knobs: note: made a class-data archive of this jar for its forks in ")
                && notes.get(0).endsWith(": " + archive), notes.get(0));
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(List.of(), s.filter(p -> !p.equals(archive) && !p.toString().endsWith(".lock")).toList(),
                    "no temporary file, log or training folder left");
        }

        for (String name : List.of("a", "b")) {
            assertEquals(ClassDataArchive.useArgs(archive), forkJvmArgs(name).subList(0, ClassDataArchive.useArgs(archive).size()),
                    name + ": the result records the flags, first");
            List<String> mapped = fromArchive(name);
            assertTrue(mapped.size() > 1000, name + ": the fork loaded " + mapped.size() + " classes from the archive");
            for (String c : List.of("org.bytedeco.pytorch.Tensor", "knobs.harness.Harness", "org.openjdk.jmh.runner.ForkedMain",
                    "com.fasterxml.jackson.databind.ObjectMapper")) {
                assertTrue(mapped.contains(c), name + ": " + c + " from the archive");
            }
        }

        // A JVM that cannot use the archive (here: another class path) starts without it and says nothing about it.
        Path elsewhere = Files.copy(jar(), dir.resolve("copy.jar"));
        List<String> check = new ArrayList<>(List.of(java()));
        check.addAll(ClassDataArchive.useArgs(archive));
        check.addAll(List.of("-cp", elsewhere.toString(), StartupProbe.class.getName(), "no-such-model"));
        Process stale = new ProcessBuilder(check).redirectErrorStream(true).redirectOutput(dir.resolve("stale.txt").toFile()).start();
        assertTrue(stale.waitFor(2, TimeUnit.MINUTES));
        String staleOut = Files.readString(dir.resolve("stale.txt"));
        assertEquals(2, stale.exitValue(), staleOut);
        assertEquals(1, staleOut.lines().count(), "only the program's own line, no [warning][cds]:\n" + staleOut);
        assertTrue(staleOut.startsWith("StartupProbe: unknown model 'no-such-model'"), staleOut);

        String off = finish(start("off", "-D" + ClassDataArchive.SWITCH_PROPERTY + "=off", TINY), "off");
        assertEquals("", off);
        assertFalse(forkJvmArgs("off").stream().anyMatch(x -> x.contains("SharedArchiveFile")), forkJvmArgs("off").toString());
        assertEquals(List.of(), fromArchive("off"));

        String unwritable = finish(start("unwritable", "-D" + ClassDataArchive.CACHE_PROPERTY + "=/proc/knobs-no-such-folder/cds", TINY),
                "unwritable");
        assertEquals(1, unwritable.lines().count(), unwritable);
        assertTrue(unwritable.startsWith("knobs: note: forks start without a class-data archive: cannot create /proc/knobs-no-such-folder/cds"),
                unwritable);
        assertEquals(List.of(), fromArchive("unwritable"));
    }
}

package knobs.benchmarks.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep runner's command line: help, version, exit codes and the first line of every error,
 * with nothing written where a run is refused. No benchmark runs here.
 */
class SweepCliTest {
    @TempDir
    Path tmp;

    private static SweepTest.Result sweep(String... args) {
        return SweepTest.sweep(args);
    }

    private Path file(String name, String text) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static String first(String s) {
        return s.lines().findFirst().orElse("");
    }

    private static void assertNoStackTrace(SweepTest.Result r) {
        assertFalse((r.out() + r.err()).lines().anyMatch(l -> l.trim().startsWith("at ")), "no stack trace: " + r.err());
    }

    /** A usage error: one message line, the short usage line, a pointer to --help; nothing else. */
    private static void assertUsage(SweepTest.Result r, String message) {
        assertEquals(2, r.code(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals("sweep: " + message, lines.get(0));
        assertTrue(lines.get(lines.size() - 2).startsWith("Usage: java -cp benchmarks.jar knobs.benchmarks.sweep.SweepMain"), r.err());
        assertEquals("Try '--help' for more information.", lines.get(lines.size() - 1));
        assertTrue(lines.size() <= 4, "short, not the whole help: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void helpAndVersionExitZero() {
        SweepTest.Result help = sweep("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--interleave=N") && help.out().contains("--retry-noisy=K") && help.out().contains("Exit codes:")
                && help.out().lines().anyMatch(l -> l.matches("  4 +another JMH run holds JMH's lock.*")), help.out());
        assertEquals("", help.err());
        SweepTest.Result version = sweep("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("knobs sweep ") && version.out().contains("JMH 1.37"), version.out());
    }

    @Test
    void usageErrorsAreOneLineAndAPointerToHelp() throws Exception {
        Path def = file("s.txt", "MoeTopK topK=1\n");
        assertUsage(sweep("--bogus"), "Unknown option: '--bogus'");
        assertUsage(sweep("--out", tmp.resolve("o").toString()), "--sweep NAME|FILE is required (or --out DIR --resume to continue a sweep)");
        assertUsage(sweep("--sweep", def.toString()), "--out DIR is required");
        assertUsage(sweep("--sweep", def.toString(), "--out", tmp.resolve("o").toString(), "--interleave", "0"),
                "--interleave 0 is not allowed; allowed: 1 or more repetitions per configuration");
        assertUsage(sweep("--sweep", def.toString(), "--out", tmp.resolve("o").toString(), "--retry-noisy=-1"),
                "--retry-noisy -1 is not allowed; allowed: 0 or more re-runs");
        assertUsage(sweep("--sweep", def.toString(), "--out", tmp.resolve("o").toString(), "--interleave", "two"),
                "Invalid value for option '--interleave': 'two' is not an int");
        assertUsage(sweep("--sweep", def.toString(), "--out", tmp.resolve("o").toString(), "--shard", "3/2"),
                "Invalid value for option '--shard': '3/2' is not allowed; need 1 <= I <= N");
        assertUsage(sweep("--sweep", def.toString(), "--out", tmp.resolve("o").toString(), "--timeout", "5x"),
                "Invalid value for option '--timeout': '5x' is not a duration; allowed: a whole number followed by s, m or h (e.g. 90s, 30m)");
        assertUsage(sweep("--out", tmp.resolve("o").toString(), "--resume", "--seed", "1", "--sweep", def.toString(), "--interleave"),
                "Missing required parameter for option '--interleave' (N)");
        assertUsage(sweep("--sweep", def.toString(), "--out", tmp.resolve("o").toString(), "--timeout=0s"),
                "--timeout 0s is not allowed; allowed: a positive duration (e.g. 90s, 30m)");
        assertUsage(sweep("--sweep", def.toString(), "--out", tmp.resolve("o").toString(), "--seed", "3"),
                "--seed orders interleaved repetitions; give --interleave N too (or `set interleave N` in the sweep file)");
        assertUsage(sweep("--resume"), "--resume needs --out DIR (the sweep to continue)");
        assertFalse(Files.exists(tmp.resolve("o")), "nothing written");

        SweepTest.Result list = sweep("--sweep=" + def, "--list");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().lines().allMatch(l -> l.matches("[0-9a-f]{16}  MoeTopK\\.forward \\{.*topK=1.*")), list.out());
    }

    @Test
    void badSweepFilesAreRefusedWholeAndNothingIsWritten() throws Exception {
        Path out = tmp.resolve("out");
        Path def = file("bad.txt", "MoeTopK topK=1 -i 3\nMoeTopK topK=1 -i 5\nSeqLenScaling seqLen=64 -i 0\nNoSuch\nBlocksMask depth=3\n");
        SweepTest.Result r = sweep("--sweep", def.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertNoStackTrace(r);
        List<String> lines = r.err().lines().toList();
        assertEquals("sweep: " + def + " line 3: -i 0 is not allowed; allowed: 1 or more", lines.get(0), r.err());
        assertEquals(1, lines.size(), "a line that cannot be parsed is reported before the benchmarks are looked up: " + r.err());
        Files.writeString(def, "MoeTopK topK=1 -i 3\nMoeTopK topK=1 -i 5\nNoSuch\nBlocksMask depth=3\n");
        r = sweep("--sweep", def.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        lines = r.err().lines().toList();
        assertTrue(lines.get(0).startsWith("sweep: " + def + " line 2: MoeTopK.forward {") && lines.get(0).contains("is also on line 1"), r.err());
        assertTrue(lines.get(1).startsWith(def + " line 3: unknown benchmark 'NoSuch'; known: "), r.err());
        assertTrue(lines.get(2).startsWith(def + " line 4: BlocksMask.forward has no param 'depth'; its params: ["), r.err());
        assertFalse(Files.exists(out), "nothing written");

        r = sweep("--sweep", tmp.resolve("missing.txt").toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertEquals("sweep: sweep file " + tmp.resolve("missing.txt") + " not found; presets: quick, full, gpu", first(r.err()));
        r = sweep("--sweep", "nightly", "--out", out.toString());
        assertEquals("sweep: unknown sweep preset 'nightly'; known: quick, full, gpu (or the path of a sweep file)", first(r.err()));
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void anOutThatCannotBeWrittenIsExitTwoWithTheReason() throws Exception {
        Path def = file("s.txt", "MoeTopK topK=1\n");
        Path plain = file("plain", "keep me");
        SweepTest.Result r = sweep("--sweep", def.toString(), "--out", plain.toString(), "--no-report");
        assertEquals(2, r.code());
        assertEquals("sweep: cannot write " + plain + ": it is a file, not a folder", r.err().strip());
        assertEquals("keep me", Files.readString(plain), "untouched");

        r = sweep("--sweep", def.toString(), "--out", plain.resolve("sub").toString(), "--no-report");
        assertEquals(2, r.code());
        assertEquals("sweep: cannot write " + plain.resolve("sub") + ": " + plain + " is a file, not a folder", r.err().strip());

        r = sweep("--out", tmp.resolve("nothing-here").toString(), "--resume", "--no-report");
        assertEquals(2, r.code());
        assertEquals("sweep: cannot resume: " + tmp.resolve("nothing-here") + " holds no sweep (no sweep.json); start one with --sweep NAME|FILE --out "
                + tmp.resolve("nothing-here"), r.err().strip());
        assertFalse(Files.exists(tmp.resolve("nothing-here")));

        Path proc = Paths.get("/proc/1");
        if (Files.isDirectory(proc)) { // nobody, root included, may create files in /proc/1
            r = sweep("--sweep", def.toString(), "--out", proc.resolve("knobs-run").toString(), "--no-report");
            assertEquals(2, r.code());
            assertEquals("sweep: cannot write " + proc.resolve("knobs-run") + ": permission denied (in " + proc + ")", r.err().strip());
            assertNoStackTrace(r);
        }
        assumeFalse("root".equals(System.getProperty("user.name")), "root may write into a read-only folder");
        Path locked = Files.createDirectory(tmp.resolve("read-only"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        r = sweep("--sweep", def.toString(), "--out", locked.resolve("run").toString(), "--no-report");
        assertEquals(2, r.code());
        assertEquals("sweep: cannot write " + locked.resolve("run") + ": permission denied (in " + locked + ")", r.err().strip());
        assertNoStackTrace(r);
        try (Stream<Path> s = Files.list(locked)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void aHeldJmhLockFailsTheSweepOnceNamingTheLockAndItsHolder() throws Exception {
        Path def = file("s.txt", "MoeTopK model=tiny-moe topK=1 phase=prefill promptLen=8 -wi 0 -i 1 -r 100ms -f 1\n");
        Path lockFile = tmp.resolve("jmh.lock");
        Process holder = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(), lockFile.toString()).start();
        String tmpdir = System.getProperty("java.io.tmpdir");
        String ignore = System.getProperty("jmh.ignoreLock");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("locked", in.readLine());
            System.setProperty("java.io.tmpdir", tmp.toString()); // where JMH (and the runner) look for jmh.lock
            System.setProperty("jmh.ignoreLock", "false");
            Path out = tmp.resolve("out");
            SweepTest.Result r = sweep("--sweep", def.toString(), "--out", out.toString(), "--no-report");
            assertEquals(4, r.code(), r.out() + r.err());
            assertNoStackTrace(r);
            assertEquals("sweep: another JMH run holds JMH's lock " + lockFile + ", held by process " + holder.pid() + " (", 
                    first(r.err()).substring(0, first(r.err()).indexOf('(') + 1), r.err());
            assertTrue(first(r.err()).endsWith("; wait for it to end, or pass --lock-wait DURATION (e.g. 30m) to wait for it"), r.err());
            assertEquals(1, r.err().lines().count());
            assertFalse(Files.exists(out), "nothing written");

            r = sweep("--sweep", def.toString(), "--out", out.toString(), "--no-report", "--lock-wait", "1s");
            assertEquals(4, r.code());
            assertTrue(r.out().startsWith("waiting up to 1s for JMH's lock " + lockFile), r.out());
            assertTrue(first(r.err()).endsWith("; waited 1s — pass a longer --lock-wait, or end that run"), r.err());
            assertFalse(Files.exists(out), "nothing written");
        } finally {
            System.setProperty("java.io.tmpdir", tmpdir);
            if (ignore == null) {
                System.clearProperty("jmh.ignoreLock");
            } else {
                System.setProperty("jmh.ignoreLock", ignore);
            }
            holder.getOutputStream().close();
            holder.waitFor();
        }
    }
}

package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import knobs.harness.ContentionReader.Sample;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ContentionReader} and {@link Contention} on fake /proc folders: the normal case with
 * numbers worked by hand, missing files, counters going backwards, malformed lines.
 */
class ContentionReaderTest {
    private static final List<Long> BENCH = List.of(FakeProc.BENCH_TID);
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;

    private FakeProc proc;
    private final AtomicLong clock = new AtomicLong();

    @BeforeEach
    void quietStart() {
        proc = new FakeProc(dir).stat(1000, 1000, 1000, 1000, 0).self(500, 100).loadavg(3)
                .thread(FakeProc.PID, 'R', 10).thread(FakeProc.BENCH_TID, 'S', 10);
    }

    private ContentionReader reader() {
        return new ContentionReader(dir, clock::get);
    }

    /** A second sample one second later, after {@code change} edited the fixture. */
    private Sample after(ContentionReader r, Runnable change) {
        change.run();
        clock.addAndGet(SECOND);
        return r.sample(BENCH);
    }

    /** One second, 100 ticks per CPU: CPU0 90 busy + 10 steal, CPU1 100 busy; this process 140 of the 190 busy. */
    private void busySecond() {
        proc.stat(1090, 1000, 1100, 1000, 10).self(600, 140).loadavg(5).thread(FakeProc.BENCH_TID, 'R', 25);
    }

    @Test
    void normalIterationWorkedByHand() {
        ContentionReader r = reader();
        Sample start = r.sample(BENCH);
        assertEquals(2, start.cpu().value().cpus());
        assertEquals(4000, start.cpu().value().total());
        assertEquals(2000, start.cpu().value().busy());
        assertEquals(600, start.ownTicks().value(), "utime + stime, read past a command holding spaces and parentheses");
        assertEquals(3, start.procsRunning().value());
        assertEquals(1, start.ownRunning().value(), "only the sampling thread runs");
        assertEquals(10, start.involuntaryCs().value());

        Contention.Iteration it = Contention.between(start, after(r, this::busySecond), 2);
        assertEquals(1000.0, it.wallMs(), 1e-9);
        assertEquals(0.5, it.othersCores(), 1e-9, "50 other ticks of 100 per CPU");
        assertEquals(500.0, it.othersCpuMs(), 1e-9);
        assertEquals(100.0, it.stealMs(), 1e-9);
        assertEquals(0.1, it.stealCores(), 1e-9);
        assertEquals(3.0, it.runQueue(), 0.0, "max(3 - 1, 5 - 2)");
        assertEquals(15.0, it.involuntaryCs(), 0.0);
        assertEquals(1.0, it.contended(), 0.0, "0.5 + 0.1 cores > (2 - 2) + 0.25 * 2");
    }

    /** A local rank started by the benchmark: its CPU and runnable threads are the benchmark's own. */
    @Test
    void childProcessesOfTheBenchmarkAreNotOthers() throws java.io.IOException {
        proc.child(5000, 100, 0, 'R');
        ContentionReader r = reader();
        Sample start = r.sample(BENCH, List.of(5000L));
        Sample startBlind = r.sample(BENCH);
        assertEquals(700, start.ownTicks().value(), "self 600 + child 100");
        assertEquals(2, start.ownRunning().value(), "the sampling thread and the child's running thread");
        busySecond(); // self 740: 140 of the 190 busy ticks
        proc.child(5000, 140, 10, 'R'); // the child ran the other 50
        clock.addAndGet(SECOND);
        assertEquals(0.0, Contention.between(start, r.sample(BENCH, List.of(5000L)), 2).othersCores(), 1e-9,
                "the child's 50 ticks are the benchmark's");
        assertEquals(0.5, Contention.between(startBlind, r.sample(BENCH), 2).othersCores(), 1e-9,
                "without the child registered they count as others'");

        java.nio.file.Files.delete(dir.resolve("5000").resolve("stat"));
        Sample exited = r.sample(BENCH, List.of(5000L));
        assertTrue(exited.ownTicks().absent().contains("benchmark child process 5000"), exited.ownTicks().absent());
        assertTrue(Double.isNaN(Contention.between(start, exited, 2).othersCores()), "an exited child leaves a gap, not a number");
    }

    @Test
    void theContendedFlagDependsOnTheCoresNeeded() {
        ContentionReader r = reader();
        Sample start = r.sample(BENCH);
        Sample end = after(r, this::busySecond);
        assertEquals(0.0, Contention.between(start, end, 1).contended(), 0.0, "0.6 cores <= (2 - 1) + 0.25");
    }

    @Test
    void contendedRuleAtItsThresholds() {
        // 2 CPUs, benchmark needs both: others may take 0.5 cores
        assertFalse(Contention.contended(0.5, 0.0, 2, 2));
        assertTrue(Contention.contended(0.5, 0.001, 2, 2));
        assertTrue(Contention.contended(0.3, 0.3, 2, 2), "steal counts as others");
        // 2 CPUs, benchmark needs one: the idle CPU plus a quarter of the needed one
        assertFalse(Contention.contended(1.25, 0.0, 2, 1));
        assertTrue(Contention.contended(1.26, 0.0, 2, 1));
        // 8 CPUs, 4 needed: 4 + 1
        assertFalse(Contention.contended(5.0, 0.0, 8, 4));
        assertTrue(Contention.contended(5.01, 0.0, 8, 4));
    }

    @Test
    void coresNeededFollowTheThreadCounts() {
        assertEquals(2, Contention.coresNeeded(2, 2, 1, new Threads.Counts(1, 1, 2)), "BLAS on all cores");
        assertEquals(1, Contention.coresNeeded(2, 2, 1, new Threads.Counts(1, 1, 1)));
        assertEquals(2, Contention.coresNeeded(2, 2, 1, new Threads.Counts(2, 1, 2)), "the pools take turns: max, not sum");
        assertEquals(2, Contention.coresNeeded(2, 2, 1, new Threads.Counts(1, 1, 8)), "at most the CPUs");
        assertEquals(2, Contention.coresNeeded(64, 2, 1, new Threads.Counts(1, 1, 4)), "at most the available processors");
        assertEquals(3, Contention.coresNeeded(8, 8, 3, new Threads.Counts(1, 1, 1)), "JMH threads multiply");
    }

    @Test
    void missingFilesAreAbsentWithTheirPathNeverZero() {
        proc.delete("stat").delete("loadavg").delete("self/stat");
        ContentionReader r = reader();
        Sample s = r.sample(BENCH);
        assertFalse(s.cpu().present());
        assertTrue(s.cpu().absent().contains(dir.resolve("stat") + " does not exist"), s.cpu().absent());
        assertFalse(s.ownTicks().present());
        assertFalse(s.procsRunning().present());
        assertThrows(IllegalStateException.class, () -> s.procsRunning().value(), "an absent counter has no value");
        assertTrue(s.involuntaryCs().present(), "the other counters are still read");

        Map<String, String> a = r.availability();
        assertTrue(a.get(ContentionReader.CPU_TIME).contains("does not exist"));
        assertTrue(a.get(ContentionReader.STEAL).contains("does not exist"));
        assertTrue(a.get(ContentionReader.RUN_QUEUE).contains("loadavg does not exist"));
        assertNull(a.get(ContentionReader.INVOLUNTARY_CS), "read through the thread-self link");
        assertNull(a.get(ContentionReader.OWN_RUNNING_THREADS));

        Contention.Iteration it = Contention.between(s, after(r, () -> { }), 1);
        assertTrue(Double.isNaN(it.othersCpuMs()) && Double.isNaN(it.contended()) && Double.isNaN(it.runQueue()));
        assertEquals(1000.0, it.wallMs(), 1e-9);
    }

    @Test
    void anEmptyProcFolderHasEveryCounterAbsent() {
        ContentionReader r = new ContentionReader(dir.resolve("nowhere"));
        r.availability().forEach((counter, why) -> assertTrue(why != null && !why.isBlank(), counter + " must be absent"));
        Sample s = r.sample(BENCH);
        assertFalse(s.cpu().present() || s.ownTicks().present() || s.procsRunning().present() || s.ownRunning().present()
                || s.involuntaryCs().present());
    }

    @Test
    void countersGoingBackwardsGiveNaNForThatIterationNotNegatives() {
        ContentionReader r = reader();
        Sample start = r.sample(BENCH);
        // this process's CPU time and the thread's switches go back; /proc/stat advances normally
        Sample end = after(r, () -> proc.stat(1090, 1000, 1100, 1000, 10).self(100, 0).thread(FakeProc.BENCH_TID, 'S', 2));
        Contention.Iteration it = Contention.between(start, end, 2);
        assertTrue(Double.isNaN(it.othersCores()) && Double.isNaN(it.othersCpuMs()) && Double.isNaN(it.contended()));
        assertTrue(Double.isNaN(it.involuntaryCs()));
        assertEquals(100.0, it.stealMs(), 1e-9, "steal still advanced");

        // /proc/stat itself goes back (a fixture that decreases): every CPU-based value is NaN
        Sample back = after(r, () -> proc.stat(10, 10, 10, 10, 0).self(700, 140));
        Contention.Iteration it2 = Contention.between(end, back, 2);
        assertTrue(Double.isNaN(it2.othersCores()) && Double.isNaN(it2.stealMs()) && Double.isNaN(it2.contended()));
        // steal alone going back
        Sample stealBack = after(r, () -> proc.stat(2000, 2000, 2000, 2000, 0).self(800, 140));
        Contention.Iteration it3 = Contention.between(end, stealBack, 2);
        assertTrue(Double.isNaN(it3.stealMs()) && Double.isNaN(it3.contended()));
        assertFalse(Double.isNaN(it3.othersCores()));
    }

    @Test
    void noTickBetweenTheSamplesGivesNaN() {
        ContentionReader r = reader();
        Sample a = r.sample(BENCH);
        clock.addAndGet(SECOND / 1000);
        Contention.Iteration it = Contention.between(a, r.sample(BENCH), 1);
        assertTrue(Double.isNaN(it.othersCores()), "no tick passed: others cannot be told from zero");
        assertEquals(0.0, it.involuntaryCs(), 0.0, "a real zero: the counter was read twice");
    }

    @Test
    void malformedLinesAreAbsentAndQuoted() {
        proc.write("stat", "cpu  1 2 3 4\ncpu0 12 abc 3 4\ncpu1 1 2 3 4\n").write("loadavg", "garbage\n")
                .write("self/stat", "4242 java S 1 2 3\n").thread(FakeProc.BENCH_TID, 'S', 0)
                .write("self/task/" + FakeProc.BENCH_TID + "/status", "nonvoluntary_ctxt_switches:\tmany\n");
        Sample s = reader().sample(BENCH);
        assertTrue(s.cpu().absent().contains("cannot parse 'cpu0 12 abc 3 4'"), s.cpu().absent());
        assertTrue(s.procsRunning().absent().contains("cannot parse 'garbage'"), s.procsRunning().absent());
        assertTrue(s.ownTicks().absent().contains("cannot parse"), s.ownTicks().absent());
        assertTrue(s.involuntaryCs().absent().contains("nonvoluntary_ctxt_switches:\tmany"), s.involuntaryCs().absent());

        proc.write("stat", "cpu0 1 2\n");
        assertTrue(reader().sample(BENCH).cpu().absent().contains("at least 4 values"));
    }

    @Test
    void oldKernelsWithoutStealStillDecideOnOthers() {
        proc.write("stat", "cpu0 1000 0 0 1000 0 0 0\ncpu1 1000 0 0 1000 0 0 0\n");
        ContentionReader r = reader();
        Sample start = r.sample(BENCH);
        assertTrue(start.cpu().value().steal().absent().contains("no steal value"));
        assertTrue(r.availability().get(ContentionReader.STEAL).contains("no steal value"));
        Sample end = after(r, () -> proc.write("stat", "cpu0 1100 0 0 1000 0 0 0\ncpu1 1100 0 0 1000 0 0 0\n").self(600, 100));
        Contention.Iteration it = Contention.between(start, end, 2);
        assertEquals(1.0, it.othersCores(), 1e-9);
        assertTrue(Double.isNaN(it.stealMs()));
        assertEquals(1.0, it.contended(), 0.0);
    }

    @Test
    void onlyTheAllowedCpusAreCounted() {
        proc.write("self/status", "Cpus_allowed_list:\t1\n");
        Sample s = reader().sample(BENCH);
        assertEquals(1, s.cpu().value().cpus());
        assertEquals(2000, s.cpu().value().total(), "cpu1 only");
        assertEquals(Set.of(0, 1, 2, 3, 8, 10, 11), ContentionReader.cpuList("0-3,8,10-11"));
        assertThrows(IllegalArgumentException.class, () -> ContentionReader.cpuList("3-1"));

        proc.write("self/status", "Cpus_allowed_list:\tnone\n");
        ContentionReader bad = reader();
        assertTrue(bad.availability().get(ContentionReader.CPU_AFFINITY).contains("counting every CPU"));
        assertEquals(2, bad.sample(BENCH).cpu().value().cpus());
    }

    @Test
    void involuntarySwitchesNeedAKnownLiveThread() {
        ContentionReader r = reader();
        assertTrue(r.sample(List.of()).involuntaryCs().absent().contains("no benchmark thread"));
        assertTrue(r.sample(List.of(999L)).involuntaryCs().absent().contains("has the thread ended?"));
        assertEquals(FakeProc.BENCH_TID, r.currentThreadId().value());
    }
}

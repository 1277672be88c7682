package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import knobs.kernels.Components;
import org.junit.jupiter.api.Test;

/**
 * The accounting of {@link ComponentTimes} on a scripted clock: exclusive times of nested spans,
 * vision names, per-layer times, and marks read only once ready — the CUDA path's logic, with a
 * clock whose marks lag behind like a device's.
 */
class ComponentTimesTest {
    /**
     * A clock whose time is set by the test; marks become ready only when the test says the
     * "device" has caught up ({@link #catchUp()}), and reading one earlier fails the test.
     */
    static final class ScriptedClock implements SpanClock {
        final List<Long> times = new ArrayList<>();
        long now;
        int readyUpTo = -1;         // the highest ready handle
        boolean lagging;            // false: every mark is ready at once, like the host
        int awaited;
        int resets;
        int readyQueries;
        boolean closed;

        @Override
        public int mark() {
            times.add(now);
            return times.size() - 1;
        }

        @Override
        public boolean ready(int handle) {
            readyQueries++;
            return !lagging || handle <= readyUpTo;
        }

        void catchUp() {
            readyUpTo = times.size() - 1;
        }

        @Override
        public void awaitAll() {
            awaited++;
            catchUp();
        }

        @Override
        public long nanosBetween(int from, int to) {
            assertTrue(ready(to) && ready(from), "mark " + to + " read before it was ready");
            return times.get(to) - times.get(from);
        }

        @Override
        public void reset() {
            times.clear();
            readyUpTo = -1;
            resets++;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final ScriptedClock clock = new ScriptedClock();
    private final ComponentTimes times = new ComponentTimes(() -> clock, () -> null);

    private void at(long t) {
        clock.now = t;
    }

    @Test
    void aNestedSpansTimeGoesToTheInnermostSpanOnly() {
        at(0);
        times.begin("a", -1);
        at(10);
        times.begin("b", -1);
        at(30);
        times.end();
        at(35);
        times.end();
        at(100);            // outside every span: nobody's
        times.begin("b", -1);
        at(104);
        times.end();
        times.finish();
        ComponentTimes.Totals t = times.take();
        assertEquals(Map.of("a", 15L, "b", 24L), t.exclusiveNs());
        assertEquals(List.of("a", "b"), List.copyOf(t.exclusiveNs().keySet()), "first-seen order");
        assertEquals(39, t.sum(), "exclusive times add up to the time covered by the outermost spans (35 + 4)");
        assertEquals(6, t.boundaries());
    }

    @Test
    void spansInsideTheVisionEncoderAreNamedVisionDotName() {
        at(0);
        times.begin(Components.VISION, -1);
        at(5);
        times.begin(Components.NORM, -1);
        at(7);
        times.end();
        at(8);
        times.begin(Components.ATTN_QKV, -1);
        at(18);
        times.end();
        at(20);
        times.end();
        at(21);
        times.begin(Components.PROJECTOR, -1);
        at(24);
        times.end();
        times.begin(Components.ATTN_QKV, 0);
        at(50);
        times.end();
        times.finish();
        Map<String, Long> ex = times.take().exclusiveNs();
        assertEquals(Map.of("vision", 5L + 1 + 2, "vision.norm", 2L, "vision.attention.qkv", 10L, "projector", 3L,
                "attention.qkv", 26L), ex);
    }

    @Test
    void perLayerTimesFollowTheLayerOfEachSpanAndNamesSeenOnceStayListed() {
        for (int layer = 0; layer < 3; layer++) {
            at(100 * layer);
            times.begin(Components.MLP, layer);
            at(100 * layer + 10 * (layer + 1));
            times.end();
        }
        times.begin(Components.LM_HEAD, -1); // outside the blocks: no layer
        at(400);
        times.end();
        times.finish();
        ComponentTimes.Totals t = times.take();
        assertEquals(Map.of(0, Map.of("mlp", 10L), 1, Map.of("mlp", 20L), 2, Map.of("mlp", 30L)), t.perLayerNs());
        assertEquals(60L, t.exclusiveNs().get("mlp"));
        assertEquals(170L, t.exclusiveNs().get("lm_head"));

        // next iteration: only layer 1 runs; every name and (layer, name) seen before is listed, with 0
        at(1000);
        times.begin(Components.MLP, 1);
        at(1007);
        times.end();
        times.finish();
        ComponentTimes.Totals next = times.take();
        assertEquals(Map.of(0, Map.of("mlp", 0L), 1, Map.of("mlp", 7L), 2, Map.of("mlp", 0L)), next.perLayerNs());
        assertEquals(Map.of("mlp", 7L, "lm_head", 0L), next.exclusiveNs());
    }

    @Test
    void laggingMarksAreReadOnlyOnceReadyAndNeverInsideASpan() {
        clock.lagging = true;
        long expected = 0;
        // many steps of two spans each; the device catches up at each step's end (its sync)
        for (int step = 0; step < 3 * ComponentTimes.DRAIN_AT; step++) {
            at(1000L * step);
            times.begin("outer", -1);
            at(1000L * step + 3);
            times.begin("inner", -1);
            at(1000L * step + 10);
            times.end();
            at(1000L * step + 12);
            times.end();
            expected += 5;
            clock.catchUp(); // the step's own sync
        }
        assertTrue(clock.resets > 0, "the queue is drained during the run, at the start of a step");
        assertEquals(0, clock.awaited);
        times.finish();
        assertEquals(1, clock.awaited, "finish waits for the last marks");
        ComponentTimes.Totals t = times.take();
        assertEquals(7L * 3 * ComponentTimes.DRAIN_AT, t.exclusiveNs().get("inner"));
        assertEquals(expected, t.exclusiveNs().get("outer"));
    }

    @Test
    void aDeviceThatNeverCatchesUpIsQueriedSparinglyThenReadAtTheEnd() {
        clock.lagging = true;
        for (int step = 0; step < 2 * ComponentTimes.DRAIN_AT; step++) {
            at(10L * step);
            times.begin("a", -1);
            at(10L * step + 4);
            times.end();
        }
        assertEquals(0, clock.resets, "nothing was ready: nothing read");
        assertTrue(clock.readyQueries < 10, "queried " + clock.readyQueries + " times: backs off between tries");
        times.finish();
        assertEquals(4L * 2 * ComponentTimes.DRAIN_AT, times.take().exclusiveNs().get("a"));
    }

    @Test
    void spansOfAnotherThreadAreNotCounted() throws Exception {
        at(0);
        times.begin("a", -1); // this thread becomes the owner
        Thread other = new Thread(() -> {
            times.begin("b", -1);
            times.end();
            times.end(); // an unbalanced end on another thread does not disturb the owner's stack either
        });
        other.start();
        other.join();
        at(9);
        times.end();
        times.finish();
        assertEquals(Map.of("a", 9L), times.take().exclusiveNs());
    }

    @Test
    void theRegisteredBenchmarkThreadOwnsTheSpans() throws Exception {
        Thread[] registered = new Thread[1];
        ComponentTimes t = new ComponentTimes(() -> clock, () -> registered[0]);
        Thread bench = new Thread(() -> {
            at(0);
            t.begin("a", -1);
            at(6);
            t.end();
        });
        registered[0] = bench;
        t.begin("ignored", -1); // this thread is not the registered one
        t.end();
        bench.start();
        bench.join();
        t.finish();
        assertEquals(Map.of("a", 6L), t.take().exclusiveNs());
    }

    @Test
    void unbalancedSpansAreErrors() {
        IllegalStateException noBegin = assertThrows(IllegalStateException.class, () -> {
            times.begin("a", -1);
            times.end();
            times.end();
        });
        assertTrue(noBegin.getMessage().contains("did not begin"), noBegin.getMessage());
        times.begin("attention.qkv", -1);
        IllegalStateException open = assertThrows(IllegalStateException.class, times::finish);
        assertTrue(open.getMessage().contains("'attention.qkv' is still open"), open.getMessage());
        times.finish(); // the state was reset: the next iteration starts clean
    }

    @Test
    void closeFreesTheClock() {
        times.begin("a", -1);
        times.end();
        times.finish();
        times.close();
        assertTrue(clock.closed);
    }

    @Test
    void hostClockMarksAreNanoTimeReadings() {
        SpanClock host = SpanClock.host();
        int a = host.mark();
        long before = System.nanoTime();
        while (System.nanoTime() - before < 200_000) {
            Thread.onSpinWait();
        }
        int b = host.mark();
        assertTrue(host.ready(b));
        assertTrue(host.nanosBetween(a, b) >= 200_000, "at least the 0.2 ms spun between the marks");
        for (int i = 0; i < 10_000; i++) {
            host.mark(); // grows past its first array
        }
        host.reset();
        assertEquals(0, host.mark(), "handles restart after a reset");
        host.close();
    }
}

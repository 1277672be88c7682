package knobs.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import knobs.kernels.Components;

/**
 * The {@link Components.Listener} of {@link ComponentProfiler}: exclusive time per component.
 *
 * <p>Every span boundary (begin or end) takes one mark of a {@link SpanClock}; the stretch between
 * two consecutive marks belongs to the innermost span open during it, and to no component when
 * none is open. So a nested span's time goes to the nested span only, the enclosing span keeps the
 * rest (its exclusive time), and the components of one step add up to the time covered by its
 * outermost spans, nothing counted twice.
 *
 * <p>Spans inside a {@link Components#VISION} span are named {@code vision.<name>}
 * ({@code vision.attention.qkv}, {@code vision.norm}, ...): the vision encoder's blocks use the same
 * code as the LLM's, and their time must not be mixed with the LLM's attention. {@code vision}
 * itself keeps the encoder's own exclusive time (patch embedding, position add, residual adds).
 *
 * <p>Marks are read lazily: stretches wait in a queue until their end mark is {@link SpanClock#ready}
 * (on CUDA: the device has passed it). The queue is drained at the start of an outermost span once
 * it holds {@link #DRAIN_AT} stretches and the latest mark is ready — at the first span of the next
 * step, whose previous step ended with its own sync — and by {@link #finish()} between iterations.
 * Nothing here waits for the device inside a step.
 *
 * <p>Only the benchmark thread's spans are counted (the thread {@link Harness#setUp} registered, else
 * the first thread that opens a span): a span opened on another thread is ignored, begin and end
 * alike. Not thread-safe otherwise; {@link #take()} and {@link #finish()} run between iterations,
 * after the benchmark thread's iteration has ended.
 */
final class ComponentTimes implements Components.Listener {
    /** Prefix of the components nested in the vision encoder. */
    static final String VISION_PREFIX = Components.VISION + ".";
    /** Queued stretches before the queue is drained (at the next outermost span whose marks are ready). */
    static final int DRAIN_AT = 1024;
    /** Queued stretches that mean the device never caught up: the step does not sync. */
    static final int MAX_QUEUED = 1 << 20;
    private static final int MAX_DEPTH = 64;
    /** A (component, layer) pair that never occurred. */
    private static final long UNSEEN = -1;

    /** What one iteration's spans add up to, in first-seen order. */
    record Totals(Map<String, Long> exclusiveNs, Map<Integer, Map<String, Long>> perLayerNs, long boundaries) {
        Totals {
            exclusiveNs = Collections.unmodifiableMap(new LinkedHashMap<>(exclusiveNs));
            perLayerNs = Collections.unmodifiableMap(new TreeMap<>(perLayerNs));
        }

        long sum() {
            return exclusiveNs.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final Supplier<SpanClock> clocks;
    private final Supplier<Thread> registeredThread;
    private SpanClock clock;
    private Thread owner;

    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> visionIds = new HashMap<>();
    private final List<String> names = new ArrayList<>();
    private long[] exclusive = new long[32];
    private long[][] byLayer = new long[32][];

    private final int[] stackId = new int[MAX_DEPTH];
    private final int[] stackLayer = new int[MAX_DEPTH];
    private final boolean[] stackVision = new boolean[MAX_DEPTH];
    private int depth;
    private int lastMark;
    private long boundaries;

    private int[] queuedId = new int[DRAIN_AT * 2];
    private int[] queuedLayer = new int[DRAIN_AT * 2];
    private int[] queuedFrom = new int[DRAIN_AT * 2];
    private int[] queuedTo = new int[DRAIN_AT * 2];
    private int queued;
    private int nextDrain = DRAIN_AT;

    /**
     * @param clocks           makes the clock at the first span (on the benchmark thread, once the
     *                         benchmark's device is known)
     * @param registeredThread the benchmark thread, or null when none registered (read at the first span)
     */
    ComponentTimes(Supplier<SpanClock> clocks, Supplier<Thread> registeredThread) {
        this.clocks = clocks;
        this.registeredThread = registeredThread;
    }

    @Override
    public void begin(String component, int layer) {
        Thread t = Thread.currentThread();
        if (owner == null) {
            Thread registered = registeredThread.get();
            owner = registered != null ? registered : t;
            clock = clocks.get();
        }
        if (t != owner) {
            return;
        }
        if (depth == 0 && queued >= nextDrain) {
            tryDrain();
        }
        if (depth == MAX_DEPTH) {
            throw new IllegalStateException("component spans nested deeper than " + MAX_DEPTH + " (opening '" + component
                    + "'): a span is opened without being closed");
        }
        int mark = clock.mark();
        if (depth > 0) {
            queue(stackId[depth - 1], stackLayer[depth - 1], lastMark, mark);
        }
        boolean inVision = depth > 0 && stackVision[depth - 1];
        stackId[depth] = inVision ? visionId(component) : id(component);
        stackLayer[depth] = layer;
        stackVision[depth] = inVision || component.equals(Components.VISION);
        depth++;
        lastMark = mark;
        boundaries++;
    }

    @Override
    public void end() {
        if (Thread.currentThread() != owner) {
            return;
        }
        if (depth == 0) {
            throw new IllegalStateException("a component span ended that did not begin while the profiler listened");
        }
        int mark = clock.mark();
        depth--;
        queue(stackId[depth], stackLayer[depth], lastMark, mark);
        lastMark = mark;
        boundaries++;
    }

    private int id(String component) {
        Integer id = ids.get(component);
        if (id == null) {
            id = newId(component);
            ids.put(component, id);
        }
        return id;
    }

    private int visionId(String component) {
        Integer id = visionIds.get(component);
        if (id == null) {
            id = id(VISION_PREFIX + component);
            visionIds.put(component, id);
        }
        return id;
    }

    private int newId(String name) {
        int id = names.size();
        names.add(name);
        if (id == exclusive.length) {
            exclusive = Arrays.copyOf(exclusive, 2 * id);
            byLayer = Arrays.copyOf(byLayer, 2 * id);
        }
        return id;
    }

    private void queue(int id, int layer, int from, int to) {
        if (queued == queuedId.length) {
            if (queued >= MAX_QUEUED) {
                throw new IllegalStateException(queued + " component timings wait for the device: the step never"
                        + " synchronizes, so its marks are never reached; a benchmark's timed method must end with a sync");
            }
            int n = 2 * queued;
            queuedId = Arrays.copyOf(queuedId, n);
            queuedLayer = Arrays.copyOf(queuedLayer, n);
            queuedFrom = Arrays.copyOf(queuedFrom, n);
            queuedTo = Arrays.copyOf(queuedTo, n);
        }
        queuedId[queued] = id;
        queuedLayer[queued] = layer;
        queuedFrom[queued] = from;
        queuedTo[queued] = to;
        queued++;
    }

    /** At an outermost span: drains the queue if its last mark is ready, else tries again a little later. */
    private void tryDrain() {
        if (clock.ready(lastMark)) {
            drain();
        } else {
            nextDrain = queued + DRAIN_AT / 4;
        }
    }

    /** Reads every queued stretch into the totals and frees the marks; only with no span open. */
    private void drain() {
        for (int i = 0; i < queued; i++) {
            long ns = clock.nanosBetween(queuedFrom[i], queuedTo[i]);
            int id = queuedId[i];
            exclusive[id] += ns;
            int layer = queuedLayer[i];
            if (layer >= 0) {
                long[] l = byLayer[id];
                if (l == null || l.length <= layer) {
                    int from = l == null ? 0 : l.length;
                    l = l == null ? new long[layer + 1] : Arrays.copyOf(l, layer + 1);
                    Arrays.fill(l, from, layer + 1, UNSEEN);
                    byLayer[id] = l;
                }
                l[layer] = Math.max(l[layer], 0) + ns;
            }
        }
        queued = 0;
        nextDrain = DRAIN_AT;
        clock.reset();
    }

    /**
     * Ends an iteration: waits for the device to pass the last mark (between iterations, outside
     * any timing) and reads every queued stretch.
     *
     * @throws IllegalStateException when a span is still open
     */
    void finish() {
        if (depth != 0) {
            String open = names.get(stackId[depth - 1]);
            depth = 0;
            queued = 0;
            if (clock != null) {
                clock.reset();
            }
            throw new IllegalStateException("component span '" + open + "' is still open at the end of the iteration");
        }
        if (clock != null && queued > 0) {
            clock.awaitAll();
            drain();
        }
    }

    /** The totals since the last call (after {@link #finish()}), and zeroes them; every name seen so far is listed. */
    Totals take() {
        Map<String, Long> ex = new LinkedHashMap<>();
        Map<Integer, Map<String, Long>> layers = new TreeMap<>();
        for (int id = 0; id < names.size(); id++) {
            ex.put(names.get(id), exclusive[id]);
            long[] l = byLayer[id];
            if (l != null) {
                for (int layer = 0; layer < l.length; layer++) {
                    if (l[layer] != UNSEEN) { // a component reported once in a layer is reported in every later iteration
                        layers.computeIfAbsent(layer, k -> new LinkedHashMap<>()).put(names.get(id), l[layer]);
                        l[layer] = 0;
                    }
                }
            }
        }
        Arrays.fill(exclusive, 0);
        Totals t = new Totals(ex, layers, boundaries);
        boundaries = 0;
        return t;
    }

    /** Frees the clock's native resources; the listener must not be installed any more. */
    void close() {
        if (clock != null) {
            clock.close();
            clock = null;
        }
    }
}

package knobs.reports.summary;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a step's time goes, by name: the per-stage counters of the multimodal and generation
 * benchmarks ({@code visionNs}, {@code projectorNs}, {@code prefillNs}, {@code decodeNs}: aux
 * counters, nanoseconds per op once divided by {@code ops}) and the opt-in component profiler's
 * metrics ({@code component.<name>}: mean nanoseconds per op spent exclusively in that component,
 * unit {@code ns/op}; spans inside the vision encoder are {@code component.vision.<name>};
 * {@code component.other} is the step time outside every span, JMH's time per op less the
 * components, so noise can make it slightly negative; with {@code :perLayer=true}
 * {@code component.L<i>.<name>} splits each component by layer; {@code componentFlops.<name>} and
 * {@code componentBytes.<name>} hold a component's analytic FLOPs and bytes per op; a time is NaN in
 * an iteration that also ran the trial's setup, unknown there, and medians are over the known
 * iterations). The names
 * live here only, so that the harness' naming can change in one place.
 *
 * <p>Each has a name in the per-sample fields of {@code all_samples} ({@link #sampleField}), as the
 * seed scripts this project replaces named their columns: {@code T_vision_ms}, {@code T_LLM_prefill_ms},
 * {@code T_attention.qkv_ms}. The profiler's {@code vision} and {@code projector} are exclusive times
 * (the vision span minus the spans of its encoder blocks), not the seeds' stage times, so they are
 * {@code T_vision.self_ms} and {@code T_projector.self_ms} and never take the stage counters' names.
 */
public final class ComponentMetrics {

    /** Prefix of the component profiler's metrics. */
    public static final String PREFIX = "component.";
    /** Prefix the profiler gives the spans nested in the vision encoder. */
    public static final String VISION_PREFIX = "vision.";
    /** Prefix of the profiler's per-component analytic FLOPs per op (unit {@code flops/op}). */
    public static final String FLOPS_PREFIX = "componentFlops.";
    /** Prefix of the profiler's per-component analytic bytes per op (unit {@code bytes/op}). */
    public static final String BYTES_PREFIX = "componentBytes.";
    /** The profiler's step time outside every component span. */
    public static final String OTHER = "other";
    /** How to get the profiler's split, for notes where a knob has none. */
    public static final String HOW_TO_PROFILE = "-prof knobs.harness.ComponentProfiler";

    /** The profiler's components in the order a step runs them (vision first, the optimizer last). */
    public static final List<String> PROFILER = List.of("vision", "projector", "embedding", "norm", "attention.qkv",
            "attention.kernel", "attention.out", "mlp", "moe.router", "moe.topk", "moe.dispatch", "moe.experts",
            "moe.combine", "lm_head", "loss", "backward", "optimizer");

    /** Stage counter → its per-sample field, in pipeline order. */
    public static final Map<String, String> STAGE_FIELDS;
    /** Stage counter → the stage's short name in figures and tables. */
    public static final Map<String, String> STAGE_NAMES;

    static {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("visionNs", "T_vision_ms");
        fields.put("projectorNs", "T_projector_ms");
        fields.put("prefillNs", "T_LLM_prefill_ms");
        fields.put("decodeNs", "T_decode_ms");
        STAGE_FIELDS = Collections.unmodifiableMap(fields);
        Map<String, String> names = new LinkedHashMap<>();
        Knob.COMPONENTS.forEach(c -> names.put(c, c.substring(0, c.length() - 2)));
        STAGE_NAMES = Collections.unmodifiableMap(names);
    }

    /** The whole op's time per sample: the primary value converted to milliseconds per op. */
    public static final String TOTAL_FIELD = "T_total_ms";

    /** Profiler components whose names would read as a seed's stage time. */
    private static final Set<String> EXCLUSIVE_STAGES = Set.of("vision", "projector");
    private static final Pattern LAYER = Pattern.compile("L\\d+\\..+");

    private ComponentMetrics() {
    }

    /**
     * The component a profiler metric names, or null when the metric is not one: {@code component.mlp}
     * → {@code mlp}, {@code component.L3.mlp} → {@code L3.mlp}. A time needs a time-per-op unit
     * ({@code ns/op}; any of s, ms, us, ns per op), so a metric of other units under the prefix (a
     * per-component FLOPs count) is not a time.
     */
    public static String profiled(String metric, String unit) {
        if (!metric.startsWith(PREFIX) || metric.length() == PREFIX.length() || !isTimePerOp(unit)) {
            return null;
        }
        return metric.substring(PREFIX.length());
    }

    /** True for any metric of the component profiler: times, FLOPs and bytes (with or without JMH's middle dot). */
    public static boolean isComponentMetric(String name) {
        String n = name.startsWith("\u00b7") ? name.substring(1) : name;
        return n.startsWith(PREFIX) || n.startsWith(FLOPS_PREFIX) || n.startsWith(BYTES_PREFIX);
    }

    /**
     * The whole-step component times of a row in seconds per op, by component, in {@link #ORDER}
     * ({@link #OTHER} last; per-layer times left out); empty when the row has none.
     */
    public static Map<String, Double> seconds(SummaryRow row) {
        Map<String, Double> seconds = new LinkedHashMap<>();
        row.secondary().forEach((metric, stat) -> {
            String c = profiled(metric, stat.unit());
            if (c != null && !perLayer(c)) {
                seconds.put(c, Units.secondsPerOp(stat.median(), stat.unit()));
            }
        });
        Map<String, Double> out = new LinkedHashMap<>();
        ordered(seconds.keySet()).forEach(c -> out.put(c, seconds.get(c)));
        return out;
    }

    /** A component's analytic FLOPs per op, or null when the row does not carry them. */
    public static Double flops(SummaryRow row, String component) {
        SecondaryStat s = row.secondary().get(FLOPS_PREFIX + component);
        return s == null ? null : s.median();
    }

    /** A component's analytic bytes per op, or null when the row does not carry them. */
    public static Double bytes(SummaryRow row, String component) {
        SecondaryStat s = row.secondary().get(BYTES_PREFIX + component);
        return s == null ? null : s.median();
    }

    /** True for a per-layer component name ({@code L3.mlp}). */
    public static boolean perLayer(String component) {
        return LAYER.matcher(component).matches();
    }

    /** True for a unit that is a time per operation (not a rate, not a count). */
    public static boolean isTimePerOp(String unit) {
        return unit != null && Units.isKnown(unit) && Units.timeUnit(unit).equals(unit);
    }

    /**
     * The per-sample field of a profiler component: {@code T_<name>_ms}, or {@code T_<name>.self_ms}
     * for {@code vision} and {@code projector} (and their per-layer forms).
     */
    public static String sampleField(String component) {
        String base = perLayer(component) ? component.substring(component.indexOf('.') + 1) : component;
        return "T_" + component + (EXCLUSIVE_STAGES.contains(base) ? ".self" : "") + "_ms";
    }

    /**
     * Profiler components in stacking order: the known ones as a step runs them, then any other name
     * (a component this version does not know) by name, {@link #OTHER} last.
     */
    public static List<String> ordered(Collection<String> components) {
        List<String> out = new ArrayList<>(components);
        out.sort(ORDER);
        return out;
    }

    /**
     * One sample's times under the seed scripts' names, in milliseconds per op: {@link #TOTAL_FIELD}
     * (the primary value as a time per op), then each stage counter present (its iteration total over
     * {@code ops}; without an {@code ops} counter a total cannot be made per op and is left out), then
     * each profiler component (already per op) in stacking order, the per-layer ones last by layer.
     *
     * @param secondsPerOp this sample's primary value in seconds per op
     * @param values       this iteration's secondary metrics, raw
     * @param units        the unit of each secondary metric
     */
    public static Map<String, Double> sampleTimes(double secondsPerOp, Map<String, Double> values, Map<String, String> units) {
        Map<String, Double> times = new LinkedHashMap<>();
        times.put(TOTAL_FIELD, secondsPerOp * 1e3);
        Double ops = Summarizer.COUNTER_UNIT.equals(units.get(Summarizer.OPS)) ? values.get(Summarizer.OPS) : null;
        if (ops != null && ops > 0) {
            STAGE_FIELDS.forEach((counter, field) -> {
                Double total = values.get(counter);
                if (total != null && Summarizer.COUNTER_UNIT.equals(units.get(counter))) {
                    times.put(field, total / ops * 1e-6);
                }
            });
        }
        Map<String, Double> profiled = new LinkedHashMap<>();
        values.forEach((metric, v) -> {
            String component = profiled(metric, units.get(metric));
            if (component != null) {
                profiled.put(component, Units.secondsPerOp(v, units.get(metric)) * 1e3);
            }
        });
        List<String> whole = ordered(profiled.keySet().stream().filter(c -> !perLayer(c)).toList());
        List<String> layers = new ArrayList<>(profiled.keySet().stream().filter(ComponentMetrics::perLayer).toList());
        layers.sort(Comparator.comparingInt(ComponentMetrics::layerOf)
                .thenComparing(c -> c.substring(c.indexOf('.') + 1), ORDER));
        whole.forEach(c -> times.put(sampleField(c), profiled.get(c)));
        layers.forEach(c -> times.put(sampleField(c), profiled.get(c)));
        return times;
    }

    /** The layer of a per-layer name ({@code L3.mlp} → 3). */
    public static int layerOf(String component) {
        return Integer.parseInt(component.substring(1, component.indexOf('.')));
    }

    /**
     * Stacking order of components: the known ones as a step runs them, the vision encoder's inner
     * spans ({@code vision.<name>}, as the profiler names the spans nested in the vision span) right
     * after {@code vision} in the same order, then names this version does not know, {@link #OTHER} last.
     */
    public static final Comparator<String> ORDER = Comparator.comparingInt((String c) -> rank(outer(c)))
            .thenComparingInt(c -> c.startsWith(VISION_PREFIX) ? 1 + rank(c.substring(VISION_PREFIX.length())) : 0)
            .thenComparing(Comparator.naturalOrder());

    private static String outer(String component) {
        return component.startsWith(VISION_PREFIX) ? "vision" : component;
    }

    /** Stacking rank of a component: known ones as a step runs them, then unknown ones, {@link #OTHER} last. */
    private static int rank(String component) {
        return component.equals(OTHER) ? PROFILER.size() + 1 : PROFILER.contains(component) ? PROFILER.indexOf(component) : PROFILER.size();
    }

    /**
     * The order of per-sample fields, for a table that holds several benchmarks' samples:
     * {@link #TOTAL_FIELD}, the stages, the profiler's components, then its per-layer ones by layer.
     */
    public static final Comparator<String> FIELD_ORDER = Comparator.comparingInt(ComponentMetrics::fieldGroup)
            .thenComparingInt(f -> fieldGroup(f) == 3 ? layerOf(component(f)) : 0)
            .thenComparingInt(f -> {
                int stage = new ArrayList<>(STAGE_FIELDS.values()).indexOf(f);
                if (stage >= 0) {
                    return stage;
                }
                return 0;
            })
            .thenComparing(f -> {
                String c = component(f);
                return perLayer(c) ? c.substring(c.indexOf('.') + 1) : c;
            }, ORDER);

    private static int fieldGroup(String field) {
        if (field.equals(TOTAL_FIELD)) {
            return 0;
        }
        if (STAGE_FIELDS.containsValue(field)) {
            return 1;
        }
        return perLayer(component(field)) ? 3 : 2;
    }

    /** The component of a profiler field: {@code T_attention.qkv_ms} → {@code attention.qkv}. */
    private static String component(String field) {
        String c = field.substring(2, field.length() - 3);
        return c.endsWith(".self") ? c.substring(0, c.length() - 5) : c;
    }
}

package knobs.reports.summary;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The metrics of the opt-in component profiler ({@code -prof knobs.harness.ComponentProfiler},
 * docs/metrics.md "Component profiler"), by name. The names live here only.
 *
 * <ul>
 *   <li>{@code component.<name>}: nanoseconds per op spent exclusively in a component, unit
 *       {@code ns/op}; spans inside the vision encoder are {@code component.vision.<name>};
 *       {@code component.other} is the step time outside every span, JMH's time per op less the
 *       components, so noise can make it slightly negative;</li>
 *   <li>{@code component.L<i>.<name>}: the same within block i ({@code :perLayer=true});</li>
 *   <li>{@code componentFlops.<name>} ({@code flops/op}) and {@code componentBytes.<name>}
 *       ({@code bytes/op}): the component's analytic work per op.</li>
 * </ul>
 *
 * <p>A time can be NaN in an iteration that also ran the trial's setup (no warmup before it): that
 * iteration is unknown for the metric, and the median is over the known ones.
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

    /** The profiler's components in the order a step runs them (vision first, the optimizer last). */
    public static final List<String> PROFILER = List.of("vision", "projector", "embedding", "norm", "attention.qkv",
            "attention.kernel", "attention.out", "mlp", "moe.router", "moe.topk", "moe.dispatch", "moe.experts",
            "moe.combine", "lm_head", "loss", "backward", "optimizer");

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

    /** True for a per-layer component name ({@code L3.mlp}). */
    public static boolean perLayer(String component) {
        return LAYER.matcher(component).matches();
    }

    /** True for a unit that is a time per operation (not a rate, not a count). */
    public static boolean isTimePerOp(String unit) {
        return unit != null && Units.isKnown(unit) && Units.timeUnit(unit).equals(unit);
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
        List<String> names = new ArrayList<>(seconds.keySet());
        names.sort(ORDER);
        Map<String, Double> out = new LinkedHashMap<>();
        names.forEach(c -> out.put(c, seconds.get(c)));
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
}

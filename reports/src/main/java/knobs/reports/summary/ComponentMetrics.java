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
 *       {@code ns/op}; {@code component.other} the step's time outside every component;</li>
 *   <li>{@code component.L<i>.<name>}: the same within block i ({@code :perLayer=true});</li>
 *   <li>{@code componentFlops.<name>} ({@code flops/op}) and {@code componentBytes.<name>}
 *       ({@code bytes/op}): the component's analytic work per op.</li>
 * </ul>
 *
 * <p>A time can be NaN in an iteration that also ran the trial's setup (no warmup before it): that
 * iteration is unknown for the metric, and the median is over the known ones.
 */
public final class ComponentMetrics {

    /** Prefix of the time metrics. */
    public static final String PREFIX = "component.";
    /** The step's time outside every component's span. */
    public static final String OTHER = "other";
    /** Prefix of the per-component analytic FLOPs. */
    public static final String FLOPS_PREFIX = "componentFlops.";
    /** Prefix of the per-component analytic bytes. */
    public static final String BYTES_PREFIX = "componentBytes.";
    /** Unit of the time metrics. */
    public static final String UNIT = "ns/op";

    /** The model's components in the order a step runs them; others follow by name, then {@link #OTHER}. */
    public static final List<String> ORDER = List.of("vision", "vision.norm", "vision.attention.qkv",
            "vision.attention.kernel", "vision.attention.out", "vision.mlp", "projector", "embedding", "norm",
            "attention.qkv", "attention.kernel", "attention.out", "mlp", "moe.router", "moe.topk", "moe.dispatch",
            "moe.experts", "moe.combine", "lm_head", "loss", "backward", "optimizer");

    private static final Pattern PER_LAYER = Pattern.compile("L\\d+\\..+");

    private ComponentMetrics() {
    }

    /** True for any metric of the component profiler (with or without JMH's middle dot). */
    public static boolean isComponentMetric(String name) {
        String n = plain(name);
        return n.startsWith(PREFIX) || n.startsWith(FLOPS_PREFIX) || n.startsWith(BYTES_PREFIX);
    }

    /**
     * The whole-step component times of a row, seconds per op by component name (per-layer times
     * left out), {@link #OTHER} last; empty when the row has none.
     */
    public static Map<String, Double> seconds(SummaryRow row) {
        List<String> names = new ArrayList<>();
        Map<String, Double> ns = new LinkedHashMap<>();
        row.secondary().forEach((key, stat) -> {
            String n = plain(key);
            if (n.startsWith(PREFIX)) {
                String name = n.substring(PREFIX.length());
                if (!PER_LAYER.matcher(name).matches()) {
                    names.add(name);
                    ns.put(name, stat.median());
                }
            }
        });
        names.sort(ORDERING);
        Map<String, Double> out = new LinkedHashMap<>();
        names.forEach(name -> out.put(name, ns.get(name) * 1e-9));
        return out;
    }

    /** A component's analytic FLOPs per op, or null when the row does not carry them. */
    public static Double flops(SummaryRow row, String component) {
        return median(row, FLOPS_PREFIX + component);
    }

    /** A component's analytic bytes per op, or null when the row does not carry them. */
    public static Double bytes(SummaryRow row, String component) {
        return median(row, BYTES_PREFIX + component);
    }

    private static Double median(SummaryRow row, String name) {
        SecondaryStat s = row.secondary().get(name);
        if (s == null) {
            s = row.secondary().get("\u00b7" + name);
        }
        return s == null ? null : s.median();
    }

    /** Components in step order ({@link #ORDER}), unknown ones by name after them, {@link #OTHER} last. */
    public static final Comparator<String> ORDERING = Comparator
            .comparingInt((String n) -> n.equals(OTHER) ? Integer.MAX_VALUE : ORDER.contains(n) ? ORDER.indexOf(n) : ORDER.size())
            .thenComparing(Comparator.naturalOrder());

    private static String plain(String name) {
        return name.startsWith("\u00b7") ? name.substring(1) : name;
    }
}

package knobs.reports.analysis;

import knobs.reports.format.Format;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.ComponentMetrics;
import knobs.reports.summary.Report;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time goes: for every trustworthy row measured with the component profiler, each
 * component's time, its share of the step, its analytic FLOPs and bytes, the rates it achieved and
 * its place against the run's ceilings — so that a report can say "the experts are at 60 % of the
 * GEMM ceiling, the gather is memory-bound, the router is overhead-bound".
 *
 * <p>Bound of a component with FLOPs f and bytes b per op in t seconds, against ceilings F and B:
 * <ul>
 *   <li>{@code overhead}: below {@link #OVERHEAD_PERCENT} % of both ceilings (f/t < 20 % F and
 *       b/t < 20 % B) — neither its arithmetic nor its memory traffic explains its time: dispatch,
 *       launch, many small ops, synchronisation (the same threshold as the {@code overhead_bound} rule);</li>
 *   <li>otherwise {@code compute} when its intensity f/b is at or above the ridge F/B, {@code memory}
 *       below, with its fraction of that bound (achieved FLOP/s over min(F, I·B));</li>
 *   <li>null when a ceiling is missing, when the component's FLOPs or bytes are unknown (a benchmark
 *       that declares no cost object), or for {@code other}. A component whose counted work is 0 FLOPs
 *       and 0 bytes (top-k: its data stays in cache) is overhead-bound by this rule.</li>
 * </ul>
 *
 * <p>A row is left out (with the reason) when its components add up to more than its step time
 * by over {@link #OVER_STEP_PERCENT} % ({@code component.other} below −5 % of the step): work
 * outside the measured operations was counted, and no share of it can be trusted.
 *
 * @param ceilings the trusted ceilings, or null
 * @param missing  one line per absent ceiling (bounds are null without them)
 * @param entries  one per profiled trustworthy row, in summary order
 * @param skipped  profiled trustworthy rows left out, with the reason
 */
public record ComponentRoofline(Ceilings ceilings, List<String> missing, List<Entry> entries, List<Roofline.Skipped> skipped) {

    /** Below this percentage of both ceilings a component is overhead-bound. */
    public static final double OVERHEAD_PERCENT = 20;
    /** Components adding up to more than the step by this percentage make a row's split untrustworthy. */
    public static final double OVER_STEP_PERCENT = 5;
    /** Components below this share of the step are left out of the reading (they stay in the table). */
    public static final double READING_SHARE = 0.05;

    /** Where a component sits against the ceilings. */
    public enum Bound {
        COMPUTE("compute"), MEMORY("memory"), OVERHEAD("overhead");

        private final String id;

        Bound(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    /**
     * One component of one row.
     *
     * @param name                  component name ({@code attention.qkv}, {@code vision.mlp}, {@code other}, ...)
     * @param seconds               median seconds per op spent in it
     * @param share                 seconds over the row's median time per op
     * @param flops                 analytic FLOPs per op, or null when not declared
     * @param bytes                 analytic bytes per op, or null when not declared
     * @param flopsPerS             flops / seconds, or null
     * @param bytesPerS             bytes / seconds, or null
     * @param percentOfFlopsCeiling 100 · flopsPerS / F, or null
     * @param percentOfBytesCeiling 100 · bytesPerS / B, or null
     * @param intensity             flops / bytes, or null (unknown bytes, 0 bytes)
     * @param bound                 see the class comment, or null
     * @param fractionOfBound       achieved FLOP/s (bytes/s for a FLOP-free component) over the attainable rate, or null
     */
    public record Part(String name, double seconds, double share, Double flops, Double bytes, Double flopsPerS, Double bytesPerS,
                       Double percentOfFlopsCeiling, Double percentOfBytesCeiling, Double intensity, Bound bound,
                       Double fractionOfBound) {
    }

    /**
     * One profiled row.
     *
     * @param row     the summary row
     * @param parts   its components in step order, {@code other} last
     * @param reading one sentence: the largest components and where they sit
     */
    public record Entry(SummaryRow row, List<Part> parts, String reading) {
    }

    public ComponentRoofline {
        missing = List.copyOf(missing);
        entries = List.copyOf(entries);
        skipped = List.copyOf(skipped);
    }

    /** The entries of one benchmark. */
    public List<Entry> of(String benchmark) {
        return entries.stream().filter(e -> e.row().benchmark().equals(benchmark)).toList();
    }

    /** Splits every profiled row of {@code trusted} (the trustworthy rows only). */
    static ComponentRoofline of(Report trusted) {
        Ceilings c = trusted.environment().ceilings();
        List<String> missing = Roofline.missingCeilings(c);
        List<Entry> entries = new ArrayList<>();
        List<Roofline.Skipped> skipped = new ArrayList<>();
        for (SummaryRow row : trusted.summary()) {
            Map<String, Double> seconds = ComponentMetrics.seconds(row);
            if (seconds.isEmpty()) {
                continue;
            }
            Double other = seconds.get(ComponentMetrics.OTHER);
            if (other != null && other < -OVER_STEP_PERCENT / 100 * row.secondsPerOp()) {
                skipped.add(new Roofline.Skipped(row, String.format(Locale.ROOT, "the components add up to %.0f %% of the"
                        + " step's time: work outside the measured operations was counted (fixtures that run the model)",
                        100 * (row.secondsPerOp() - other) / row.secondsPerOp())));
                continue;
            }
            List<Part> parts = new ArrayList<>();
            seconds.forEach((name, s) -> parts.add(part(row, name, s, missing.isEmpty() ? c : null)));
            entries.add(new Entry(row, parts, reading(parts)));
        }
        return new ComponentRoofline(c, missing, entries, skipped);
    }

    private static Part part(SummaryRow row, String name, double seconds, Ceilings c) {
        double share = seconds / row.secondsPerOp();
        boolean other = name.equals(ComponentMetrics.OTHER);
        Double flops = other ? null : ComponentMetrics.flops(row, name);
        Double bytes = other ? null : ComponentMetrics.bytes(row, name);
        boolean timed = seconds > 0;
        Double flopsPerS = flops == null || !timed ? null : flops / seconds;
        Double bytesPerS = bytes == null || !timed ? null : bytes / seconds;
        Double pctF = flopsPerS == null || c == null ? null : 100 * flopsPerS / c.flopsPerS();
        Double pctB = bytesPerS == null || c == null ? null : 100 * bytesPerS / c.bytesPerS();
        Double intensity = flops == null || bytes == null || bytes == 0 ? null : flops / bytes;
        Bound bound = null;
        Double fraction = null;
        if (pctF != null && pctB != null) { // work 0 and 0 in a measurable time: overhead by definition
            if (pctF < OVERHEAD_PERCENT && pctB < OVERHEAD_PERCENT) {
                bound = Bound.OVERHEAD;
            }
            double ridge = c.flopsPerS() / c.memoryBytesPerS();
            boolean compute = bytes == 0 || flops / bytes >= ridge;
            if (bound == null) {
                bound = compute ? Bound.COMPUTE : Bound.MEMORY;
            }
            // fraction of the roof at this intensity: the time the roof allows over the time taken
            fraction = c.boundSeconds(flops, bytes) / seconds;
        }
        return new Part(name, seconds, share, flops, bytes, flopsPerS, bytesPerS, pctF, pctB, intensity, bound, fraction);
    }

    /**
     * "attention.qkv 41 % (compute-bound, 60 % of its bound), moe.topk 12 % (overhead-bound), ..."
     * over the components of at least {@link #READING_SHARE} of the step, largest first.
     */
    static String reading(List<Part> parts) {
        List<Part> big = parts.stream().filter(p -> p.share() >= READING_SHARE)
                .sorted(Comparator.comparingDouble(Part::share).reversed()).toList();
        if (big.isEmpty()) {
            return "no component takes " + Format.plain(100 * READING_SHARE) + " % of the step";
        }
        List<String> items = new ArrayList<>();
        for (Part p : big) {
            String where;
            if (p.bound() == Bound.OVERHEAD) {
                where = " (overhead-bound: " + Format.percent(p.percentOfFlopsCeiling()) + " of the FLOP/s and "
                        + Format.percent(p.percentOfBytesCeiling()) + " of the bytes/s ceiling)";
            } else if (p.bound() != null) {
                where = " (" + p.bound().id() + "-bound, " + Format.percent(100 * p.fractionOfBound()) + " of its roof)";
            } else if (p.percentOfFlopsCeiling() != null && p.flops() > 0) {
                where = " (" + Format.percent(p.percentOfFlopsCeiling()) + " of the FLOP/s ceiling)";
            } else {
                where = "";
            }
            items.add(p.name() + " " + Format.percent(100 * p.share()) + where);
        }
        return String.join(", ", items);
    }
}

package knobs.reports.format.html;

import org.knowm.xchart.style.AxesChartStyler;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * How every figure looks: size, fonts, background, and what each colour means, in one place so
 * that a colour keeps its meaning from one plot to the next. On the report page a colour means a
 * benchmark ({@link #benchmarkColours}): its points on the roofline, its line in a scaling plot and
 * its bars share one hue; the parts of one benchmark's figure (passes, phases, settings) are shades
 * of that hue ({@link #shades}), except components, which have one colour each in every figure
 * ({@link #component}); fits, roofs and guides are grey.
 */
final class PlotStyle {

    /** Figure size in pixels; the pages show the PNG at this size. */
    static final int WIDTH = 820;
    static final int HEIGHT = 480;

    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    /**
     * Series colours: matplotlib's tab10 less its grey (grey means "reference" here), then four more
     * hues far from those, so that up to {@value #DISTINCT} benchmarks of one report get distinct colours.
     */
    static final Color[] SERIES = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0xbcbd22),
            new Color(0x17becf), new Color(0x000075), new Color(0x800000), new Color(0x469990),
            new Color(0xf032e6)};
    static final int DISTINCT = 13;
    /** The measured series of a single-series figure (a trend's medians). */
    static final Color MAIN = SERIES[0];
    /** A fitted line drawn over the measurements: grey, so it never reads as another benchmark. */
    static final Color FIT = new Color(0x555555);
    /** Points that got better (improvements). */
    static final Color BETTER = SERIES[2];
    /** Points that got worse or stand out (regressions, a scaling regime change). */
    static final Color WORSE = SERIES[3];
    /** Reference lines the data is read against: the roof, predicted = measured. */
    static final Color REFERENCE = Color.DARK_GRAY;
    /** Bands and guides around them: quartiles, ±10 %, the top-k ratio. */
    static final Color BAND = Color.LIGHT_GRAY;
    /** An analytic expectation drawn beside its measurement. */
    static final BasicStroke DASHED = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0);

    /** Error bars (the interquartile range) over bars, and the stack remainder "other". */
    static final Color ERROR_BAR = new Color(0x222222);
    static final Color OTHER = new Color(0xc8c8c8);

    /**
     * One colour per component, the same in every figure and every report, whichever benchmark it
     * belongs to: the profiler's components (attention parts in blues, the MLP orange, the MoE parts
     * purple to green, backward and optimizer dark) and the stages of the multimodal and generation
     * benchmarks; {@code other} is {@link #OTHER}.
     */
    private static final Map<String, Color> COMPONENTS = Map.ofEntries(
            Map.entry("vision", new Color(0x8c564b)), Map.entry("projector", new Color(0xc49c94)),
            Map.entry("prefill", new Color(0x4363d8)), Map.entry("decode", new Color(0xf58231)),
            Map.entry("embedding", new Color(0xbcbd22)), Map.entry("norm", new Color(0xdbdb8d)),
            Map.entry("attention.qkv", new Color(0x1f77b4)), Map.entry("attention.kernel", new Color(0xaec7e8)),
            Map.entry("attention.out", new Color(0x17becf)), Map.entry("mlp", new Color(0xff7f0e)),
            Map.entry("moe.router", new Color(0x9467bd)), Map.entry("moe.topk", new Color(0xc5b0d5)),
            Map.entry("moe.dispatch", new Color(0xd62728)), Map.entry("moe.experts", new Color(0x2ca02c)),
            Map.entry("moe.combine", new Color(0x98df8a)), Map.entry("lm_head", new Color(0xe377c2)),
            Map.entry("loss", new Color(0xf7b6d2)), Map.entry("backward", new Color(0x800000)),
            Map.entry("optimizer", new Color(0x469990)), Map.entry("other", OTHER));

    /** Colours for components this version does not name, by a hash of the name. */
    private static final Color[] UNKNOWN_COMPONENTS = {new Color(0x000075), new Color(0xf032e6), new Color(0x9a6324),
            new Color(0x808000), new Color(0x3cb44b), new Color(0xe6194b)};

    private PlotStyle() {
    }

    /** The colour of a component (a profiler name or a stage), the same in every figure. */
    static Color component(String name) {
        if (name.startsWith("vision.")) {
            // The vision encoder's inner spans: their component's colour pulled towards the encoder's brown.
            return mix(component(name.substring("vision.".length())), COMPONENTS.get("vision"), 0.45);
        }
        Color c = COMPONENTS.get(name);
        return c != null ? c : UNKNOWN_COMPONENTS[Math.floorMod(stableHash(name), UNKNOWN_COMPONENTS.length)];
    }

    /**
     * One colour per benchmark, the same in every figure of a report. A name keeps its colour from
     * one report to the next where it can: its slot is a hash of the name, and only when two
     * benchmarks of the same report hash to one slot does the later one (in name order) move to the
     * next free slot. Beyond {@value #DISTINCT} benchmarks colours repeat.
     */
    static Map<String, Color> benchmarkColours(Collection<String> benchmarks) {
        Map<String, Color> colours = new LinkedHashMap<>();
        boolean[] taken = new boolean[SERIES.length];
        int used = 0;
        for (String name : new TreeSet<>(benchmarks)) {
            int slot = Math.floorMod(stableHash(name), SERIES.length);
            if (used < SERIES.length) {
                while (taken[slot]) {
                    slot = (slot + 1) % SERIES.length;
                }
                taken[slot] = true;
                used++;
            }
            colours.put(name, SERIES[slot]);
        }
        return colours;
    }

    /** {@link String#hashCode} is specified, but spelled out: the colours must not depend on a JDK. */
    private static int stableHash(String s) {
        int h = 0;
        for (int i = 0; i < s.length(); i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }

    /**
     * {@code n} shades of one benchmark's colour for the parts of its figure, from the colour itself
     * (darkened a little for the first of several) to a light tint, so parts stay apart while the hue
     * still says whose figure it is.
     */
    static List<Color> shades(Color base, int n) {
        if (n == 1) {
            return List.of(base);
        }
        Color[] out = new Color[n];
        for (int i = 0; i < n; i++) {
            double t = (double) i / (n - 1);          // 0 … 1
            double toward = -0.25 + 0.8 * t;           // −0.25 (darker) … 0.55 (towards white)
            out[i] = toward < 0 ? mix(base, Color.BLACK, -toward) : mix(base, Color.WHITE, toward);
        }
        return List.of(out);
    }

    private static Color mix(Color a, Color b, double t) {
        return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t),
                (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
    }

    /** Fonts, background, grid, series colours and markers of an axes chart. */
    static void apply(AxesChartStyler s) {
        s.setBaseFont(FONT);
        s.setChartTitleFont(FONT.deriveFont(Font.BOLD, 14f));
        s.setLegendFont(FONT);
        s.setAxisTitleFont(FONT);
        s.setAxisTickLabelsFont(FONT.deriveFont(11f));
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xdddddd));
        s.setLegendBorderColor(new Color(0xcccccc));
        s.setSeriesColors(SERIES);
        s.setMarkerSize(8);
        s.setAntiAlias(true);
        s.setChartTitleBoxVisible(false);
        s.setErrorBarsColorSeriesColor(false);
        s.setErrorBarsColor(ERROR_BAR);
    }
}

package knobs.reports.format.html;

import org.knowm.xchart.style.AxesChartStyler;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;

/**
 * How every figure looks: size, fonts, background, and what each colour means, in one place so
 * that a colour keeps its meaning from one plot to the next.
 */
final class PlotStyle {

    /** Figure size in pixels; the pages show the PNG at this size. */
    static final int WIDTH = 820;
    static final int HEIGHT = 480;

    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    /** Series colours, in the order series are added (matplotlib's tab10). */
    static final Color[] SERIES = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};
    /** The measured series of a single-series figure (a trend's medians). */
    static final Color MAIN = SERIES[0];
    /** A fitted line drawn over the measurements. */
    static final Color FIT = SERIES[1];
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

    private PlotStyle() {
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
    }
}

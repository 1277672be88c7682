package knobs.reports.format.html;

/**
 * The one skeleton of every HTML output (the report's {@code index.html}, {@code comparison.html},
 * the history's {@code index.html}): doctype, viewport, title, the one style sheet, the figure
 * markup, and the one escape that every string from the input goes through. Pages are
 * self-contained: inline CSS, no script, no font or asset from the network.
 */
public final class HtmlPage {

    /** The style sheet of every page. */
    static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;
              max-width:1180px;padding:0 24px 48px;color:#1d2329;line-height:1.45}
            h1{margin:16px 0 2px}h2{margin-top:28px;border-bottom:2px solid #e3e7ea;padding-bottom:4px}
            h3{margin:20px 0 6px}
            .meta{color:#56606a;margin:0 0 12px}
            nav{background:#f5f7f8;border:1px solid #e3e7ea;border-radius:6px;padding:5px 12px;margin:8px 0;font-size:13px}
            nav a{margin-right:12px;white-space:nowrap}
            table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
            th,td{border:1px solid #dfe3e6;padding:3px 8px;text-align:left;vertical-align:top}
            th{background:#f1f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
            tr.v-regression td{background:#fdecea}tr.v-improvement td{background:#e8f6ec}tr.v-noisy td{background:#fff8e1}tr.v-unreliable td{background:#eeeeee}
            .sev-high{color:#fff;background:#c0392b}.sev-medium{background:#f4c542}.sev-low{background:#d6eaf8}
            .sev{font-weight:600;border-radius:3px;padding:1px 6px;font-size:12px}
            .note{background:#fff8e1;border-left:4px solid #f4c542;padding:6px 10px;margin:8px 0}
            figure{display:inline-block;margin:8px 12px 12px 0;vertical-align:top;max-width:100%}
            figure img{max-width:100%;height:auto;border:1px solid #e3e7ea}
            figcaption{font-size:12px;color:#56606a;max-width:820px}
            ul.readings li{margin:3px 0}
            code{background:#f1f4f6;padding:0 3px;border-radius:3px}
            .banner{background:#fdecea;border-left:6px solid #c0392b;padding:3px 10px;margin:0}.banner.ok{background:#e8f6ec;border-left-color:#2e7d32}
            #headlines h2{margin-top:16px}ul.headlines{padding-left:20px;margin:8px 0}ul.headlines li{margin:3px 0}
            ul.headlines li.unstated{color:#56606a}
            details.rule{border:1px solid #e3e7ea;border-radius:6px;margin:6px 0;padding:4px 10px}
            details.rule summary{cursor:pointer}details.rule .hits{color:#56606a;font-size:13px}
            details.rule[open] summary{margin-bottom:6px}
            """;

    /** What closes every page. */
    static final String END = "</body>\n</html>\n";

    private HtmlPage() {
    }

    /** Escapes text for HTML element content and quoted attribute values; null is empty. */
    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The start of a page, up to and including {@code <body>}. */
    static String begin(String title) {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                + "<title>" + escape(title) + "</title>\n<style>\n" + CSS + "</style>\n</head>\n<body>\n";
    }

    /** One figure: its PNG, linked to its SVG, with its caption. */
    static String figure(Plots.Figure f) {
        return "<figure><a href=\"" + escape(f.svg()) + "\"><img src=\"" + escape(f.png()) + "\" alt=\"" + escape(f.title())
                + "\" width=\"" + PlotStyle.WIDTH + "\" height=\"" + PlotStyle.HEIGHT + "\"></a><figcaption>"
                + escape(f.caption()) + " <a href=\"" + escape(f.svg()) + "\">SVG</a></figcaption></figure>\n";
    }
}

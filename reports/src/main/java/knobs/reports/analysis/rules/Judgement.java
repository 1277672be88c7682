package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.Finding;
import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.analysis.PerformanceModel;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.Scaling;
import knobs.reports.format.Format;
import knobs.reports.summary.Report;
import knobs.reports.summary.SummaryRow;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every rule reads (the report and its other analyses) and where it records what it found.
 *
 * @param findings  receives the triggered rules
 * @param notJudged receives the rules (or rows) that could not be judged, and why
 */
record Judgement(Report report, Roofline roofline, Scaling scaling, PerformanceModel model, List<Finding> findings,
                 List<NotJudged> notJudged) {

    /** Records a finding about one row. */
    void add(Rule rule, Severity severity, SummaryRow row, Map<String, Object> evidence, String message,
             String recommendation) {
        findings.add(new Finding(rule, severity, row.benchmark(), row.mode(), row.params(), evidence, message, recommendation));
    }

    /** Evidence from name, value pairs, in order. */
    static Map<String, Object> evidence(Object... nameValue) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            map.put((String) nameValue[i], nameValue[i + 1]);
        }
        return map;
    }

    /** A threshold given as a fraction, in a rule's condition: {@code 0.1} is {@code "10 %"}. */
    static String percent(double fraction) {
        return Format.plain(100 * fraction) + " %";
    }

    /** A threshold given as a ratio, in a rule's condition: {@code 1.5} is {@code "1.5×"}. */
    static String times(double ratio) {
        return Format.plain(ratio) + "×";
    }
}

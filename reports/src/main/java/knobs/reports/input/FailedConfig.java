package knobs.reports.input;

import knobs.reports.summary.Params;

/**
 * A configuration of a sweep that produced no result: one failure record the sweep runner wrote
 * ({@code DIR/failed/ID.json}), as {@code summarize --failed} reports it.
 *
 * @param benchmark {@code ClassName.method}
 * @param params    typed params
 * @param reason    why it failed (the first exception line of its log, or the time-out)
 * @param log       the log file as the record names it (relative to the sweep folder), or null
 * @param file      the record file as shown in messages
 */
public record FailedConfig(String benchmark, Params params, String reason, String log, String file) {

    /** For messages: {@code MoeTopK.forward {topK=8}}. */
    public String describe() {
        return benchmark + (params.values().isEmpty() ? "" : " " + params);
    }
}

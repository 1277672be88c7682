package knobs.reports.input;

import knobs.reports.CommandContext;
import knobs.reports.ReportException;
import knobs.reports.summary.Ceilings;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads the file of {@code summarize --ceilings}: an object with positive numbers
 * {@code flops_per_s}, {@code bytes_per_s} (copy bandwidth) and/or {@code read_bytes_per_s} (read
 * bandwidth), the machine's limits when the run has no {@code Calibration} rows of its own.
 */
public final class CeilingsFile {

    private CeilingsFile() {
    }

    /**
     * Reads a ceilings file.
     *
     * @param given the file as given on the command line
     */
    public static Ceilings read(String given, CommandContext context) throws ReportException {
        JsonNode root = JsonFields.read(context.resolve(given), given);
        if (!root.isObject()) {
            throw new ReportException(given + ": expected a JSON object {\"flops_per_s\": x, \"bytes_per_s\": y, \"read_bytes_per_s\": z}");
        }
        Double flops = JsonFields.positiveOrNull(root, "flops_per_s", given);
        Double bytes = JsonFields.positiveOrNull(root, "bytes_per_s", given);
        Double read = JsonFields.positiveOrNull(root, "read_bytes_per_s", given);
        if (flops == null && bytes == null && read == null) {
            throw new ReportException(given + ": holds none of 'flops_per_s', 'bytes_per_s', 'read_bytes_per_s'");
        }
        return new Ceilings(flops, bytes, read, given);
    }
}

package knobs.reports.input;

import knobs.reports.summary.Summarizer;

import java.util.List;

/**
 * One JMH metric of one run: its unit and one value per measurement iteration, grouped by fork
 * ({@code values.get(fork).get(iteration)}). Non-finite values are kept as NaN or infinities
 * here; whether they are acceptable depends on the metric and is decided by {@link Summarizer}.
 */
public record Metric(String unit, List<List<Double>> values) {

    public Metric {
        values = values.stream().map(List::copyOf).toList();
    }

    /** Number of values over all forks. */
    public int count() {
        return values.stream().mapToInt(List::size).sum();
    }

    /** True when this metric has a value for exactly the same (fork, iteration) slots as {@code other}. */
    public boolean alignedWith(Metric other) {
        if (values.size() != other.values.size()) {
            return false;
        }
        for (int fork = 0; fork < values.size(); fork++) {
            if (values.get(fork).size() != other.values.get(fork).size()) {
                return false;
            }
        }
        return true;
    }

    /** True when every value is finite. */
    public boolean allFinite() {
        return values.stream().flatMap(List::stream).allMatch(Double::isFinite);
    }
}

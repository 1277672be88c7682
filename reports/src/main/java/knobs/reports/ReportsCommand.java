package knobs.reports;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** The top of the command tree: {@code java -jar reports.jar COMMAND}; alone, it is a usage error. */
@Command(name = Main.NAME, mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Knobs reports: JMH JSON results to summaries, analyses, figures and an HTML page; compare two"
                + " runs, keep a history of runs, export runs for dashboards, merge the shards of a sweep. Reads files only."},
        commandListHeading = "%nCommands:%n",
        footer = {"", "Run 'java -jar reports.jar COMMAND --help' for a command's options.",
                "Guides: docs/reports.md (summarize), docs/regressions.md (compare, history, export, merge)."})
final class ReportsCommand implements Callable<Integer> {

    @Override
    public Integer call() throws UsageException {
        throw new UsageException("no command given");
    }
}

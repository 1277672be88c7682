package knobs.reports;

import picocli.CommandLine.Option;

/** {@code -h, --help} of every command: prints that command's help only, and exits 0. */
final class HelpOption {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}

package knobs.reports;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** {@code --version}: the Maven project version, filtered into {@code version.properties} at build time. */
final class Version implements CommandLine.IVersionProvider {

    private static final String RESOURCE = "version.properties";

    /** The version of this build, e.g. {@code 0.1.0-SNAPSHOT}. */
    static String get() {
        Properties properties = new Properties();
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path: a broken build");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
        return properties.getProperty("version");
    }

    @Override
    public String[] getVersion() {
        return new String[] {"knobs reports " + get()};
    }
}

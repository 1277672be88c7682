package knobs.kernels;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads libtorch's native libraries once per JVM.
 *
 * <p>All bundled libraries are extracted into JavaCPP's cache before the first load: on a host
 * that also has a system libtorch (Debian's {@code libtorch1.13}), loading straight away lets the
 * dynamic linker pick the system {@code libtorch_cpu.so} before the bundled one is extracted, and
 * the JVM crashes.
 */
public final class Natives {
    private static volatile boolean loaded;

    private Natives() {
    }

    /** Extracts (first time only) and loads libtorch and OpenBLAS; cheap after the first call. */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String p = Loader.getPlatform();
        for (String pkg : new String[] {"javacpp", "openblas", "pytorch"}) {
            try {
                Loader.cacheResources("/org/bytedeco/" + pkg + "/" + p + "/");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot extract the " + pkg + " natives for " + p
                        + " into JavaCPP's cache (set -Dorg.bytedeco.javacpp.cachedir=DIR to move it)", e);
            }
        }
        Loader.load(torch.class);
        loaded = true;
    }

    /** Version of the Bytedeco PyTorch presets on the class path, e.g. {@code 2.10.0-1.5.13}. */
    public static String presetsVersion() {
        return version("pytorch");
    }

    /** libtorch's own version: the presets version without the JavaCPP suffix. */
    public static String libtorchVersion() {
        String v = presetsVersion();
        return v == null ? null : v.substring(0, v.indexOf('-') < 0 ? v.length() : v.indexOf('-'));
    }

    /** Version of JavaCPP on the class path. */
    public static String javacppVersion() {
        return version("javacpp");
    }

    private static String version(String artifact) {
        try {
            return Loader.getVersion("org.bytedeco", artifact);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the version of org.bytedeco:" + artifact + " from its jar", e);
        }
    }
}

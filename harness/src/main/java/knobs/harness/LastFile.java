package knobs.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The last file a reader parsed, kept by path, size and modification time: a sweep's pre-fork
 * check reads the same trace or token file once per configuration, and a changed file is read again.
 *
 * @param <T> what the file parses to
 */
final class LastFile<T> {
    private Map.Entry<List<Object>, T> last;

    /**
     * The parsed {@code file}: the kept value when the file is unchanged, else {@code parse(file, display)}.
     *
     * @param display the file as the user named it, for messages
     * @throws IllegalArgumentException naming the file when it is missing or unreadable (and whatever
     *                                  {@code parse} throws)
     */
    synchronized T get(Path file, String display, BiFunction<Path, String, T> parse) {
        List<Object> key;
        try {
            key = List.of(file.toAbsolutePath().normalize().toString(), Files.size(file), Files.getLastModifiedTime(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(display + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(display + ": cannot read: " + e.getMessage());
        }
        if (last != null && last.getKey().equals(key)) {
            return last.getValue();
        }
        T t = parse.apply(file, display);
        last = Map.entry(key, t);
        return t;
    }
}

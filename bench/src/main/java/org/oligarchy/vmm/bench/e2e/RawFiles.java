package org.oligarchy.vmm.bench.e2e;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Readers for the raw files that {@code e2e.sh} and its C helpers write: {@code key=value}
 * properties and the event lines ({@code <event> <epoch_ms> key=value…}) of
 * {@code xrun_monitor} and {@code audio_probe}.
 */
final class RawFiles
{
    /** One event line of a helper: its word, its epoch-ms time and the rest of the line. */
    record Event(String name, long epochMillis, String rest)
    {
        /**
         * A {@code key=value} field of the rest of the line.
         *
         * @param key the key.
         * @return the value, or −1 when absent.
         */
        long field(final String key)
        {
            for (final String token : rest.split(" "))
            {
                if (token.startsWith(key + "="))
                {
                    return (long)Double.parseDouble(token.substring(key.length() + 1));
                }
            }
            return -1;
        }
    }

    private RawFiles()
    {
    }

    static Properties properties(final Path file) throws IOException
    {
        final Properties properties = new Properties();
        if (Files.isRegularFile(file))
        {
            try (Reader reader = Files.newBufferedReader(file))
            {
                properties.load(reader);
            }
        }
        return properties;
    }

    static long longOf(final Properties properties, final String key, final long absent)
    {
        final String value = properties.getProperty(key);
        if (value == null || value.isBlank())
        {
            return absent;
        }
        try
        {
            return Long.parseLong(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            return absent;
        }
    }

    static List<Event> events(final Path file) throws IOException
    {
        final List<Event> events = new ArrayList<>();
        if (!Files.isRegularFile(file))
        {
            return events;
        }
        for (final String line : Files.readAllLines(file))
        {
            final String[] parts = line.trim().split(" ", 3);
            if (parts.length < 2)
            {
                continue;
            }
            try
            {
                events.add(new Event(parts[0], Long.parseLong(parts[1]), parts.length > 2 ? parts[2] : ""));
            }
            catch (final NumberFormatException ex)
            {
                // A line cut by a hard stop: ignore it.
            }
        }
        return events;
    }

    static List<String> lines(final Path file) throws IOException
    {
        return Files.isRegularFile(file) ? Files.readAllLines(file) : List.of();
    }
}

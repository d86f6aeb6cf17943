package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Golden files from the test classpath ({@code src/test/resources/golden}). Run the tests with
 * {@code -Dgolden.update=true} to rewrite them from the current output, then review the diff.
 */
public final class Golden
{
    private Golden()
    {
    }

    public static String read(final String name) throws IOException
    {
        try (InputStream in = Golden.class.getResourceAsStream("/golden/" + name))
        {
            if (in == null)
            {
                throw new IOException("golden file missing: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public static void assertMatches(final String name, final String actual) throws IOException
    {
        if (Boolean.getBoolean("golden.update"))
        {
            Files.writeString(Path.of("src/test/resources/golden", name), actual);
            return;
        }
        assertEquals(read(name), actual, "golden file " + name);
    }
}

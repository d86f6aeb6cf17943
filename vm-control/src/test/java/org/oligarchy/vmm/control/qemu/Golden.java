package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reads golden files from the test classpath ({@code src/test/resources/golden}). */
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
}

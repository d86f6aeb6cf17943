package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Polls a serial log file until a text appears; for integration tests. */
final class SerialLogWait
{
    private SerialLogWait()
    {
    }

    /**
     * @return the log content once it contains {@code text}, or null after the timeout.
     */
    static String await(final Path log, final String text, final long timeoutMillis)
        throws IOException, InterruptedException
    {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline)
        {
            if (Files.exists(log))
            {
                final String content = Files.readString(log, StandardCharsets.ISO_8859_1);
                if (content.contains(text))
                {
                    return content;
                }
            }
            Thread.sleep(50);
        }
        return null;
    }
}

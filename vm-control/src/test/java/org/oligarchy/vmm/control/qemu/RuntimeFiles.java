package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the real-QEMU tests look at in a runtime directory: types, modes, whether a socket accepts. */
public final class RuntimeFiles
{
    private RuntimeFiles()
    {
    }

    /** @return the rwx string of {@code path} itself (links not followed), such as {@code rw-rw----}. */
    public static String permissions(final Path path) throws IOException
    {
        return PosixFilePermissions.toString(
            Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).permissions());
    }

    /** @return st_mode of {@code path} itself, type and setuid/setgid/sticky bits included. */
    public static int mode(final Path path) throws IOException
    {
        return (Integer)Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * @return each entry of {@code directory} by name as type and permissions, such as
     * {@code "s rw-rw----"} (s socket, - regular file, d directory, l link, ? other).
     */
    public static Map<String, String> listing(final Path directory) throws IOException
    {
        final Map<String, String> entries = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory))
        {
            for (final Path entry : stream)
            {
                final String type = switch (mode(entry) & 0170000)
                {
                    case 0140000 -> "s";
                    case 0100000 -> "-";
                    case 0040000 -> "d";
                    case 0120000 -> "l";
                    default -> "?";
                };
                entries.put(entry.getFileName().toString(), type + " " + permissions(entry));
            }
        }
        return entries;
    }

    /** Others have no bit on the directory nor on anything in it. */
    public static void assertNothingForOthers(final Path directory) throws IOException
    {
        assertEquals("---", permissions(directory).substring(6), directory.toString());
        for (final Map.Entry<String, String> entry : listing(directory).entrySet())
        {
            assertTrue(entry.getValue().endsWith("---"), entry.getKey() + " is " + entry.getValue());
        }
    }

    /** @return true if a Unix-socket connection to {@code socket} is accepted (it is closed at once). */
    public static boolean connects(final Path socket) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            return channel.connect(UnixDomainSocketAddress.of(socket));
        }
    }
}

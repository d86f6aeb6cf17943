package org.oligarchy.vmm.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The one IPv4 address syntax of the configuration and the command lines: four decimal numbers
 * 0 … 255 without leading zeros, as {@code native-config/lib/validate.nix} matches it. Host
 * names are never resolved (NetJack2 is IPv4 only, and a start must not wait on DNS).
 */
public final class Ipv4
{
    /** Whole-string pattern, the same as Nix's {@code patterns.ipv4}. */
    public static final Pattern PATTERN = Pattern.compile(
        "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$");

    private Ipv4()
    {
    }

    /**
     * @param text dotted quad.
     * @return the address, or null when {@code text} is not an IPv4 address of {@link #PATTERN}.
     */
    public static Inet4Address parse(final String text)
    {
        if (text == null || !PATTERN.matcher(text).matches())
        {
            return null;
        }
        final String[] parts = text.split("\\.");
        final byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            bytes[i] = (byte)Integer.parseInt(parts[i]);
        }
        try
        {
            return (Inet4Address)InetAddress.getByAddress(bytes);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException("four bytes are always an address", ex);
        }
    }
}

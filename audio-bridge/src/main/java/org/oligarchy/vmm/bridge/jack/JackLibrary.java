package org.oligarchy.vmm.bridge.jack;

/**
 * What the loaded libjack is: JACK2's own, or PipeWire's JACK layer. Call only after a
 * {@link JackHost} has opened a client (libjack is then loaded in this process).
 */
public final class JackLibrary
{
    private JackLibrary()
    {
    }

    /**
     * The libjack's version string.
     *
     * @return e.g. "1.9.21" (JACK2) or "3.0.0.0 (using PipeWire 0.3.65)", or "unknown".
     */
    public static String version()
    {
        final String version = JackNative.jack_get_version_string();
        return version == null || version.isBlank() ? "unknown" : version;
    }

    /**
     * Whether the JACK server is PipeWire's JACK layer.
     *
     * @return true for PipeWire's libjack.
     */
    public static boolean isPipeWire()
    {
        return version().contains("PipeWire");
    }
}

package org.oligarchy.vmm.bridge.netjack;

/**
 * What a bridge does with MIDI events longer than 4 bytes (SysEx), which NetJack2 carries
 * out of line (docs/protocol.md §7.1). JACK2 1.9.21 and 1.9.22 send unrelated memory in place of
 * such events and write what they receive to an unrelated address (§7.2); PipeWire's netjack2
 * modules and this project's slave carry them correctly. NetJack2 gives no way to tell the two
 * apart on the wire, so sending them is the user's choice ({@code bridge.midiLongEvents},
 * {@code netjack-bridge slave --midi-long-events}).
 */
public enum MidiLongEvents
{
    /** Never send them, drop received ones; both counted in lost events (safe with a JACK2 peer). */
    DROP("drop"),
    /** Send SysEx out of line and accept received SysEx, bounds-checked (PipeWire, this project's slave). */
    SEND("send");

    /** The words the config and the CLI accept, in order. */
    public static final String ALLOWED = "\"drop\" (the default: JACK2 1.9.21/1.9.22 peers corrupt such " +
        "events) or \"send\" (peers that carry them: PipeWire's netjack2 modules, netjack-bridge)";

    private final String configName;

    MidiLongEvents(final String configName)
    {
        this.configName = configName;
    }

    /**
     * @return the name in the config file and on the command line.
     */
    public String configName()
    {
        return configName;
    }

    /**
     * The setting a name stands for.
     *
     * @param name {@code drop} or {@code send}.
     * @return the setting, or null for any other text.
     */
    public static MidiLongEvents fromConfigName(final String name)
    {
        for (final MidiLongEvents value : values())
        {
            if (value.configName.equals(name))
            {
                return value;
            }
        }
        return null;
    }
}

package org.oligarchy.vmm.bridge.netjack;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over a NetJack2 session packet ({@code session_params_t}, 644 bytes, packed), read and
 * written in place without allocation. Integers are big-endian; strings are NUL-terminated and
 * zero-filled (docs/protocol.md §3.1).
 *
 * <pre>
 *   0  char[8]   "params\0\0"            336 char[256] slave net name
 *   8  u32       protocol version (8)    592 u32  MTU
 *  12  i32       packet ID               596 u32  ID
 *  16  char[64]  name                    600 u32  transport sync
 *  80  char[256] master net name         604 i32  send audio channels   (master→slave, −1 = master decides)
 *                                        608 i32  return audio channels (slave→master)
 *                                        612 i32  send MIDI channels
 *                                        616 i32  return MIDI channels
 *                                        620 u32  sample rate           632 u32 kbps
 *                                        624 u32  period                636 u32 slave sync mode
 *                                        628 u32  sample encoder        640 u32 network latency
 * </pre>
 */
public final class SessionParamsFlyweight
{
    /** Exact length of a session packet. */
    public static final int LENGTH = 644;

    public static final int TYPE_OFFSET = 0;
    public static final int TYPE_LENGTH = 8;
    public static final int VERSION_OFFSET = 8;
    public static final int PACKET_ID_OFFSET = 12;
    public static final int NAME_OFFSET = 16;
    public static final int NAME_LENGTH = 64;
    public static final int MASTER_NET_NAME_OFFSET = 80;
    public static final int SLAVE_NET_NAME_OFFSET = 336;
    public static final int NET_NAME_LENGTH = 256;
    public static final int MTU_OFFSET = 592;
    public static final int ID_OFFSET = 596;
    public static final int TRANSPORT_SYNC_OFFSET = 600;
    public static final int SEND_AUDIO_CHANNELS_OFFSET = 604;
    public static final int RETURN_AUDIO_CHANNELS_OFFSET = 608;
    public static final int SEND_MIDI_CHANNELS_OFFSET = 612;
    public static final int RETURN_MIDI_CHANNELS_OFFSET = 616;
    public static final int SAMPLE_RATE_OFFSET = 620;
    public static final int PERIOD_OFFSET = 624;
    public static final int ENCODER_OFFSET = 628;
    public static final int KBPS_OFFSET = 632;
    public static final int SLAVE_SYNC_MODE_OFFSET = 636;
    public static final int NETWORK_LATENCY_OFFSET = 640;

    /** Largest UDP payload over IPv4. */
    private static final int MAX_UDP_PAYLOAD = 65_507;

    /** The type tag "params" followed by two NULs. */
    private static final byte[] TYPE_TAG = {'p', 'a', 'r', 'a', 'm', 's', 0, 0};

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Wraps a buffer that holds (or will hold) a session packet at {@code offset}.
     *
     * @param buffer the buffer, at least {@code offset + LENGTH} bytes long.
     * @param offset where the packet starts.
     * @return this flyweight.
     */
    public SessionParamsFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * The wrapped buffer.
     *
     * @return the buffer.
     */
    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Zero-fills the packet and writes the "params" tag and protocol version 8.
     *
     * @return this flyweight.
     */
    public SessionParamsFlyweight clear()
    {
        buffer.setMemory(offset, LENGTH, (byte)0);
        buffer.putBytes(offset + TYPE_OFFSET, TYPE_TAG);
        buffer.putInt(offset + VERSION_OFFSET, NetJack.PROTOCOL_VERSION, BE);
        return this;
    }

    /**
     * Whether a datagram starts with the "params" type tag (first 7 bytes: "params" and a NUL).
     *
     * @param buffer the datagram.
     * @param offset start of the datagram.
     * @param length datagram length.
     * @return true if the tag matches.
     */
    public static boolean hasParamsTag(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < TYPE_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < 7; i++)
        {
            if (buffer.getByte(offset + i) != TYPE_TAG[i])
            {
                return false;
            }
        }
        return true;
    }

    public int version()
    {
        return buffer.getInt(offset + VERSION_OFFSET, BE);
    }

    public SessionParamsFlyweight version(final int value)
    {
        buffer.putInt(offset + VERSION_OFFSET, value, BE);
        return this;
    }

    public int packetId()
    {
        return buffer.getInt(offset + PACKET_ID_OFFSET, BE);
    }

    public SessionParamsFlyweight packetId(final int value)
    {
        buffer.putInt(offset + PACKET_ID_OFFSET, value, BE);
        return this;
    }

    public String name()
    {
        return readString(NAME_OFFSET, NAME_LENGTH);
    }

    public SessionParamsFlyweight name(final String value)
    {
        writeString(NAME_OFFSET, NAME_LENGTH, value);
        return this;
    }

    public String masterNetName()
    {
        return readString(MASTER_NET_NAME_OFFSET, NET_NAME_LENGTH);
    }

    public SessionParamsFlyweight masterNetName(final String value)
    {
        writeString(MASTER_NET_NAME_OFFSET, NET_NAME_LENGTH, value);
        return this;
    }

    public String slaveNetName()
    {
        return readString(SLAVE_NET_NAME_OFFSET, NET_NAME_LENGTH);
    }

    public SessionParamsFlyweight slaveNetName(final String value)
    {
        writeString(SLAVE_NET_NAME_OFFSET, NET_NAME_LENGTH, value);
        return this;
    }

    public int mtu()
    {
        return buffer.getInt(offset + MTU_OFFSET, BE);
    }

    public SessionParamsFlyweight mtu(final int value)
    {
        buffer.putInt(offset + MTU_OFFSET, value, BE);
        return this;
    }

    public int id()
    {
        return buffer.getInt(offset + ID_OFFSET, BE);
    }

    public SessionParamsFlyweight id(final int value)
    {
        buffer.putInt(offset + ID_OFFSET, value, BE);
        return this;
    }

    public int transportSync()
    {
        return buffer.getInt(offset + TRANSPORT_SYNC_OFFSET, BE);
    }

    public SessionParamsFlyweight transportSync(final int value)
    {
        buffer.putInt(offset + TRANSPORT_SYNC_OFFSET, value, BE);
        return this;
    }

    public int sendAudioChannels()
    {
        return buffer.getInt(offset + SEND_AUDIO_CHANNELS_OFFSET, BE);
    }

    public SessionParamsFlyweight sendAudioChannels(final int value)
    {
        buffer.putInt(offset + SEND_AUDIO_CHANNELS_OFFSET, value, BE);
        return this;
    }

    public int returnAudioChannels()
    {
        return buffer.getInt(offset + RETURN_AUDIO_CHANNELS_OFFSET, BE);
    }

    public SessionParamsFlyweight returnAudioChannels(final int value)
    {
        buffer.putInt(offset + RETURN_AUDIO_CHANNELS_OFFSET, value, BE);
        return this;
    }

    public int sendMidiChannels()
    {
        return buffer.getInt(offset + SEND_MIDI_CHANNELS_OFFSET, BE);
    }

    public SessionParamsFlyweight sendMidiChannels(final int value)
    {
        buffer.putInt(offset + SEND_MIDI_CHANNELS_OFFSET, value, BE);
        return this;
    }

    public int returnMidiChannels()
    {
        return buffer.getInt(offset + RETURN_MIDI_CHANNELS_OFFSET, BE);
    }

    public SessionParamsFlyweight returnMidiChannels(final int value)
    {
        buffer.putInt(offset + RETURN_MIDI_CHANNELS_OFFSET, value, BE);
        return this;
    }

    public int sampleRate()
    {
        return buffer.getInt(offset + SAMPLE_RATE_OFFSET, BE);
    }

    public SessionParamsFlyweight sampleRate(final int value)
    {
        buffer.putInt(offset + SAMPLE_RATE_OFFSET, value, BE);
        return this;
    }

    public int period()
    {
        return buffer.getInt(offset + PERIOD_OFFSET, BE);
    }

    public SessionParamsFlyweight period(final int value)
    {
        buffer.putInt(offset + PERIOD_OFFSET, value, BE);
        return this;
    }

    public int encoder()
    {
        return buffer.getInt(offset + ENCODER_OFFSET, BE);
    }

    public SessionParamsFlyweight encoder(final int value)
    {
        buffer.putInt(offset + ENCODER_OFFSET, value, BE);
        return this;
    }

    public int kbps()
    {
        return buffer.getInt(offset + KBPS_OFFSET, BE);
    }

    public SessionParamsFlyweight kbps(final int value)
    {
        buffer.putInt(offset + KBPS_OFFSET, value, BE);
        return this;
    }

    public int slaveSyncMode()
    {
        return buffer.getInt(offset + SLAVE_SYNC_MODE_OFFSET, BE);
    }

    public SessionParamsFlyweight slaveSyncMode(final int value)
    {
        buffer.putInt(offset + SLAVE_SYNC_MODE_OFFSET, value, BE);
        return this;
    }

    public int networkLatency()
    {
        return buffer.getInt(offset + NETWORK_LATENCY_OFFSET, BE);
    }

    public SessionParamsFlyweight networkLatency(final int value)
    {
        buffer.putInt(offset + NETWORK_LATENCY_OFFSET, value, BE);
        return this;
    }

    /**
     * Copies the whole packet from another buffer (e.g. to answer a SLAVE_AVAILABLE in place).
     *
     * @param source the source buffer.
     * @param sourceOffset where the source packet starts.
     * @return this flyweight.
     */
    public SessionParamsFlyweight copyFrom(final DirectBuffer source, final int sourceOffset)
    {
        buffer.putBytes(offset, source, sourceOffset, LENGTH);
        return this;
    }

    /**
     * Checks the framing of an untrusted datagram: length, tag, version and packet ID.
     * Field ranges are checked by {@link #validateParameters(boolean)}.
     *
     * @param length the datagram length.
     * @return {@link RejectReason#NONE} or why the datagram is not a usable session packet.
     */
    public RejectReason validateFraming(final int length)
    {
        if (length != LENGTH)
        {
            return length < LENGTH ? RejectReason.TRUNCATED : RejectReason.BAD_SESSION_LENGTH;
        }
        if (!hasParamsTag(buffer, offset, length))
        {
            return RejectReason.BAD_TAG;
        }
        if (version() != NetJack.PROTOCOL_VERSION)
        {
            return RejectReason.BAD_VERSION;
        }
        final int packetId = packetId();
        if (packetId < NetJack.SLAVE_AVAILABLE || packetId > NetJack.KILL_MASTER)
        {
            return RejectReason.BAD_PACKET_ID;
        }
        if (!isPrintableString(NAME_OFFSET, NAME_LENGTH) ||
            !isPrintableString(SLAVE_NET_NAME_OFFSET, NET_NAME_LENGTH) ||
            !isPrintableString(MASTER_NET_NAME_OFFSET, NET_NAME_LENGTH))
        {
            return RejectReason.BAD_NAME;
        }
        return RejectReason.NONE;
    }

    /**
     * Checks every numeric field of a framed session packet.
     *
     * @param announce true for a SLAVE_AVAILABLE, where −1 channel counts are allowed and the
     *                 rate and period are stale or zero and therefore not checked
     *                 (docs/protocol.md §3.2).
     * @return {@link RejectReason#NONE} or the first field found out of range.
     */
    public RejectReason validateParameters(final boolean announce)
    {
        final int mtu = mtu();
        if (mtu < NetJack.MIN_MTU || mtu > NetJack.MAX_MTU)
        {
            return RejectReason.BAD_MTU;
        }
        if (!validChannels(sendAudioChannels(), announce) || !validChannels(returnAudioChannels(), announce) ||
            !validChannels(sendMidiChannels(), announce) || !validChannels(returnMidiChannels(), announce))
        {
            return RejectReason.BAD_CHANNEL_COUNT;
        }
        if (!announce)
        {
            final int rate = sampleRate();
            if (rate < NetJack.MIN_SAMPLE_RATE_HZ || rate > NetJack.MAX_SAMPLE_RATE_HZ)
            {
                return RejectReason.BAD_SAMPLE_RATE;
            }
            final int period = period();
            if (period < NetJack.MIN_PERIOD_FRAMES || period > NetJack.MAX_PERIOD_FRAMES)
            {
                return RejectReason.BAD_PERIOD;
            }
        }
        final int encoder = encoder();
        if (encoder != NetJack.ENCODER_FLOAT && encoder != NetJack.ENCODER_INT16)
        {
            return RejectReason.BAD_ENCODER;
        }
        // Float packets must carry at least one frame per port: MTU − 112 ≥ 4 × ports, else the
        // split of docs/protocol.md §6.1 yields subPeriod 0 and the encoder divides by zero (117+ ports at MTU 576).
        if (encoder == NetJack.ENCODER_FLOAT &&
            4L * Math.max(sendAudioChannels(), returnAudioChannels()) > NetJack.packetAvailableBytes(mtu))
        {
            return RejectReason.BAD_CHANNEL_COUNT;
        }
        // JACK2's int16 split puts the remainder of each channel in the last packet (docs/protocol.md §6.2); with
        // many channels and a long period that packet outgrows a UDP datagram (65,507 bytes).
        if (encoder == NetJack.ENCODER_INT16 && !announce)
        {
            final int channels = Math.max(sendAudioChannels(), returnAudioChannels());
            final int packets = Int16AudioCodec.numPackets(mtu, period(), channels);
            final long lastPacket = PacketHeaderFlyweight.LENGTH +
                (long)channels * Int16AudioCodec.chunkBytes(period(), packets, packets - 1);
            if (lastPacket > MAX_UDP_PAYLOAD)
            {
                return RejectReason.BAD_CHANNEL_COUNT;
            }
        }
        final int latency = networkLatency();
        if (latency < 0 || latency > NetJack.MAX_NETWORK_LATENCY)
        {
            return RejectReason.BAD_LATENCY;
        }
        return RejectReason.NONE;
    }

    private static boolean validChannels(final int count, final boolean allowMinusOne)
    {
        return (count >= 0 && count <= NetJack.MAX_CHANNELS) || (allowMinusOne && count == -1);
    }

    private boolean isPrintableString(final int fieldOffset, final int fieldLength)
    {
        for (int i = 0; i < fieldLength; i++)
        {
            final byte b = buffer.getByte(offset + fieldOffset + i);
            if (b == 0)
            {
                return true;
            }
            // Unsigned: UTF-8 bytes (≥ 0x80) are printable, only C0 controls and DEL are not.
            if ((b & 0xFF) < 0x20 || b == 0x7F)
            {
                return false;
            }
        }
        return false;
    }

    private String readString(final int fieldOffset, final int fieldLength)
    {
        int end = 0;
        while (end < fieldLength && buffer.getByte(offset + fieldOffset + end) != 0)
        {
            end++;
        }
        final byte[] bytes = new byte[end];
        buffer.getBytes(offset + fieldOffset, bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    private void writeString(final int fieldOffset, final int fieldLength, final String value)
    {
        final byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final int n = Math.min(bytes.length, fieldLength - 1);
        buffer.setMemory(offset + fieldOffset, fieldLength, (byte)0);
        buffer.putBytes(offset + fieldOffset, bytes, 0, n);
    }
}

package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Session parameters that JACK2 would accept but that cannot be carried: refused at the
 * handshake, before any buffer is sized from them.
 */
final class SessionParamsValidationTest
{
    private static SessionParamsFlyweight setup(final int encoder, final int channels, final int period, final int mtu)
    {
        return new SessionParamsFlyweight().wrap(new UnsafeBuffer(new byte[SessionParamsFlyweight.LENGTH]), 0).clear()
            .packetId(NetJack.SLAVE_SETUP).name("vm").mtu(mtu).id(1).sendAudioChannels(channels)
            .returnAudioChannels(channels).sendMidiChannels(0).returnMidiChannels(0).sampleRate(48_000)
            .period(period).encoder(encoder).networkLatency(2);
    }

    @Test
    void shouldRejectAnInt16SessionWhoseLastPacketOutgrowsAUdpDatagram()
    {
        // 256 channels x 8192 frames at MTU 576: 9040 packets, the last one 48 + 256 x 7345 bytes.
        assertEquals(RejectReason.BAD_CHANNEL_COUNT,
            setup(NetJack.ENCODER_INT16, 256, 8192, 576).validateParameters(false));
    }

    @Test
    void shouldAcceptTheInt16SessionOfCaptureC()
    {
        assertEquals(RejectReason.NONE, setup(NetJack.ENCODER_INT16, 12, 128, 1500).validateParameters(false));
    }

    @Test
    void shouldRejectAFloatSessionThatCannotCarryOneFramePerPort()
    {
        assertEquals(RejectReason.BAD_CHANNEL_COUNT,
            setup(NetJack.ENCODER_FLOAT, 117, 128, 576).validateParameters(false));
        assertEquals(RejectReason.NONE, setup(NetJack.ENCODER_FLOAT, 116, 128, 576).validateParameters(false));
    }
}

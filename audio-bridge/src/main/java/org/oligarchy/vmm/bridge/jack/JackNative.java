package org.oligarchy.vmm.bridge.jack;

import com.sun.jna.Callback;
import com.sun.jna.Native;

/**
 * The few libjack functions the real-time path (audio and MIDI buffers), latency reporting and the
 * notifications need, direct-mapped with primitive signatures so that calling them allocates nothing
 * (docs/realtime-jvm.md §1.5): jnajack's own {@code jack_port_get_buffer} returns a new
 * {@code Pointer} (24 B) per call, it has no binding at all for the latency setters, and it creates
 * its notification callbacks inside itself, where no thread initializer can reach them, so JNA
 * attached JACK's notification thread to the JVM anew for each one (a {@code java.lang.Thread} and
 * a fresh TLAB per xrun).
 */
final class JackNative
{
    static
    {
        Native.register(JackNative.class, "jack");
    }

    /** {@code JACK_DEFAULT_AUDIO_TYPE}. */
    static final String AUDIO_TYPE = "32 bit float mono audio";
    /** {@code JACK_DEFAULT_MIDI_TYPE}. */
    static final String MIDI_TYPE = "8 bit raw midi";
    /**
     * {@code jack_midi_event_t} on LP64: {@code uint32_t time} at 0, {@code size_t size} at 8,
     * {@code jack_midi_data_t *buffer} at 16.
     */
    static final int MIDI_EVENT_BYTES = 24;
    static final int MIDI_EVENT_TIME_OFFSET = 0;
    static final int MIDI_EVENT_SIZE_OFFSET = 8;
    static final int MIDI_EVENT_BUFFER_OFFSET = 16;
    static final long PORT_IS_INPUT = 0x1;
    static final long PORT_IS_OUTPUT = 0x2;
    static final long PORT_IS_TERMINAL = 0x10;
    static final int CAPTURE_LATENCY = 0;
    static final int PLAYBACK_LATENCY = 1;

    private JackNative()
    {
    }

    /** Process callback: {@code int (*)(jack_nframes_t, void*)}. */
    interface ProcessCallback extends Callback
    {
        int invoke(int nframes, long arg);
    }

    /** Latency callback: {@code void (*)(jack_latency_callback_mode_t, void*)}. */
    interface LatencyCallback extends Callback
    {
        void invoke(int mode, long arg);
    }

    /** Port connect callback: {@code void (*)(jack_port_id_t, jack_port_id_t, int connect, void*)}. */
    interface PortConnectCallback extends Callback
    {
        void invoke(int portA, int portB, int connect, long arg);
    }

    /** Xrun callback: {@code int (*)(void*)}. */
    interface XrunCallback extends Callback
    {
        int invoke(long arg);
    }

    /** Buffer size callback: {@code int (*)(jack_nframes_t, void*)}. */
    interface BufferSizeCallback extends Callback
    {
        int invoke(int nframes, long arg);
    }

    /** Sample rate callback: {@code int (*)(jack_nframes_t, void*)}. */
    interface SampleRateCallback extends Callback
    {
        int invoke(int rate, long arg);
    }

    static native int jack_set_port_connect_callback(long client, PortConnectCallback callback, long arg);

    static native int jack_set_xrun_callback(long client, XrunCallback callback, long arg);

    static native int jack_set_buffer_size_callback(long client, BufferSizeCallback callback, long arg);

    static native int jack_set_sample_rate_callback(long client, SampleRateCallback callback, long arg);

    static native long jack_port_register(long client, String name, String type, long flags, long bufferSize);

    static native int jack_port_unregister(long client, long port);

    static native long jack_port_get_buffer(long port, int nframes);

    static native int jack_set_process_callback(long client, ProcessCallback callback, long arg);

    static native int jack_set_latency_callback(long client, LatencyCallback callback, long arg);

    static native void jack_port_set_latency_range(long port, int mode, long rangeAddress);

    static native void jack_port_get_latency_range(long port, int mode, long rangeAddress);

    static native int jack_recompute_total_latencies(long client);

    /** The libjack's version: JACK2 prints e.g. "1.9.21", PipeWire "3.0.0.0 (using PipeWire 0.3.65)". */
    static native String jack_get_version_string();

    static native int jack_get_sample_rate(long client);

    static native int jack_get_buffer_size(long client);

    /** jack_nframes_t (unsigned 32-bit): the first frame of the current period. */
    static native int jack_last_frame_time(long client);

    /** Events in a MIDI port buffer this period (uint32). */
    static native int jack_midi_get_event_count(long portBuffer);

    /** Fills the {@code jack_midi_event_t} at {@code eventAddress}; 0 on success. */
    static native int jack_midi_event_get(long eventAddress, long portBuffer, int index);

    /** Events the port could not hold this period (uint32). */
    static native int jack_midi_get_lost_event_count(long portBuffer);

    /** Empties an output MIDI buffer; required once per period before writing. */
    static native void jack_midi_clear_buffer(long portBuffer);

    /** Room for one event of {@code size} bytes at frame {@code time}; 0 if refused. */
    static native long jack_midi_event_reserve(long portBuffer, int time, long size);
}

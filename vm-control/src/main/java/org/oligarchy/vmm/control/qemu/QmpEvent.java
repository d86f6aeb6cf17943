package org.oligarchy.vmm.control.qemu;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An asynchronous QMP event such as {@code RESUME}, {@code SHUTDOWN} or {@code POWERDOWN}.
 *
 * @param name              event name.
 * @param data              event data, an empty object when QEMU sent none.
 * @param timestampMicros   QEMU's timestamp in microseconds since the epoch.
 */
public record QmpEvent(String name, JsonNode data, long timestampMicros)
{
}

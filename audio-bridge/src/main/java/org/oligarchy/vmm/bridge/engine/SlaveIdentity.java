package org.oligarchy.vmm.bridge.engine;

import java.net.InetAddress;

/**
 * A NetJack2 slave as the master tells slaves apart: its address and its name (the announce's
 * {@code name} field, jackd's {@code -n}); not its port, which a restarted slave changes.
 *
 * @param address the slave's address.
 * @param name    the slave's name.
 */
public record SlaveIdentity(InetAddress address, String name)
{
}

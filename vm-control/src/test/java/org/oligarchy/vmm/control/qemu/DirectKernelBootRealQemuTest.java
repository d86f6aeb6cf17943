package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.host.SysfsWriter;
import org.oligarchy.vmm.control.model.AudioDeviceConfig;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.HugepagesConfig;
import org.oligarchy.vmm.control.model.NetjackConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Direct kernel boot through the whole launch sequence: QEMU loads the test guest's Debian kernel
 * and initramfs ({@code -kernel}, {@code -initrd}), the configured words reach the guest's
 * {@code /proc/cmdline} ({@code -append}), its init logs on the serial console, and the ACPI power
 * button (busybox acpid in the guest) powers it off on stop.
 */
class DirectKernelBootRealQemuTest
{
    @TempDir
    Path tempDir;

    @Test
    @Timeout(600)
    void shouldBootTheKernelWithItsParametersAndPowerOffOnStop() throws Exception
    {
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        final Path guest = TestGuest.directory();
        final DspVmConfig vm = new DspVmConfig(true, "dsp-kernel", isolated, List.of(), 256,
            HugepagesConfig.DISABLED, null, guest.resolve("vmlinuz").toString(), guest.resolve("initrd.img").toString(),
            List.of("console=ttyS0", "panic=-1", "netjack.master=192.0.2.1", "netjack.latency=3"), Firmware.BIOS,
            null, tempDir.resolve("run").toString(), NetjackConfig.DISABLED, AudioDeviceConfig.DISABLED, null);
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final DspVmLauncher launcher = new DspVmLauncher(TestHost.TCG, fs, SysfsWriter.of(fs),
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final long startNanos = System.nanoTime();
        final DspVmSession session = launcher.launch(vm, topology);
        try
        {
            final VmRuntimePaths paths = session.vm().paths();
            final String log = SerialLogWait.await(paths.serialLog(), TestGuest.NETJACK_LINE, 120_000);
            assertNotNull(log, "the guest's init never reported its netjack parameters");
            System.out.println("TCG: launch to guest init in " + (System.nanoTime() - startNanos) / 1_000_000 + " ms");

            assertTrue(log.contains("Kernel command line: console=ttyS0 panic=-1 netjack.master=192.0.2.1 " +
                "netjack.latency=3"), log);
            assertTrue(log.contains("guest: netjack master=192.0.2.1 port=19000 capture=2 playback=2 latency=3 "), log);
            assertNotNull(SerialLogWait.await(paths.serialLog(), "guest: power button: event", 60_000));

            final StopOutcome outcome = session.stop(30_000, 10_000);

            assertEquals(StopOutcome.GUEST_POWERED_OFF, outcome);
            assertFalse(session.vm().process().isAlive());
        }
        finally
        {
            session.vm().close();
        }
    }
}

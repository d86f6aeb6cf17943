package org.oligarchy.vmm.control.qemu;

import org.oligarchy.vmm.control.host.HostSetupException;
import org.oligarchy.vmm.control.host.HugepageReservation;
import org.oligarchy.vmm.control.host.VfioBinder;

import java.io.PrintStream;
import java.util.List;

/**
 * A running DSP VM together with what the launch changed on the host (VFIO bindings, added
 * hugepages), so that stopping gives exactly that back.
 */
public final class DspVmSession
{
    private final RunningVm vm;
    private final List<VcpuPlacement> placements;
    private final List<VfioBinder.Binding> bindings;
    private final HugepageReservation.Reservation reservation;
    private final VfioBinder vfio;
    private final HugepageReservation hugepages;
    private final PrintStream log;

    DspVmSession(
        final RunningVm vm,
        final List<VcpuPlacement> placements,
        final List<VfioBinder.Binding> bindings,
        final HugepageReservation.Reservation reservation,
        final VfioBinder vfio,
        final HugepageReservation hugepages,
        final PrintStream log)
    {
        this.vm = vm;
        this.placements = List.copyOf(placements);
        this.bindings = List.copyOf(bindings);
        this.reservation = reservation;
        this.vfio = vfio;
        this.hugepages = hugepages;
        this.log = log;
    }

    public RunningVm vm()
    {
        return vm;
    }

    public List<VcpuPlacement> placements()
    {
        return placements;
    }

    /**
     * Stop the VM gracefully, then rebind devices and release added hugepages.
     *
     * @param powerdownTimeoutMillis time the guest gets to act on the power button.
     * @param quitTimeoutMillis      time QEMU gets to exit afterwards.
     * @return how the VM stopped.
     */
    public StopOutcome stop(final long powerdownTimeoutMillis, final long quitTimeoutMillis)
        throws InterruptedException
    {
        final StopOutcome outcome = vm.stop(powerdownTimeoutMillis, quitTimeoutMillis);
        vm.qmp().close();
        log.println("qemu: stopped (" + outcome + ")");
        releaseHost(bindings, reservation, vfio, hugepages, log);
        return outcome;
    }

    static void releaseHost(
        final List<VfioBinder.Binding> bindings,
        final HugepageReservation.Reservation reservation,
        final VfioBinder vfio,
        final HugepageReservation hugepages,
        final PrintStream log)
    {
        for (final VfioBinder.Binding binding : bindings)
        {
            log.println("vfio: " + binding.address() + " now on " + vfio.release(binding));
        }
        if (reservation != null)
        {
            try
            {
                hugepages.release(reservation);
                log.println("hugepages: released " + reservation.pagesAdded() + " added pages");
            }
            catch (final HostSetupException ex)
            {
                log.println("WARNING: " + ex.getMessage());
            }
        }
    }
}

package org.oligarchy.vmm.control.cli;

/**
 * {@code dsp-console}: attach to the DSP VM's serial console (same as {@code vmctl console}).
 * Entry point of {@code bin/dsp-console}.
 */
public final class DspConsoleMain
{
    private DspConsoleMain()
    {
    }

    public static void main(final String[] args)
    {
        final String[] argv = new String[args.length + 1];
        argv[0] = "console";
        System.arraycopy(args, 0, argv, 1, args.length);
        System.exit(VmctlCommand.commandLine().execute(argv));
    }
}

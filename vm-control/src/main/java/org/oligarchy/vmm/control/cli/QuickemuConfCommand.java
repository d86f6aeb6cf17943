package org.oligarchy.vmm.control.cli;

import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.control.model.VmControlConfig;
import org.oligarchy.vmm.control.quickemu.GuestPaths;
import org.oligarchy.vmm.control.quickemu.QuickemuConf;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.util.concurrent.Callable;

/** {@code vmctl quickemu-conf NAME}: print or write the quickemu {@code .conf} of a guest. */
@Command(name = "quickemu-conf", mixinStandardHelpOptions = true,
    description = "Print the quickemu .conf generated for a guest, or write it into the guest directory.")
final class QuickemuConfCommand implements Callable<Integer>
{
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "NAME", description = "Guest name.")
    String name;

    @Option(names = "--write", description = "Write <guests-dir>/NAME/NAME.conf instead of printing.")
    boolean write;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception
    {
        final VmControlConfig config;
        try
        {
            config = common.load(spec.commandLine().getErr());
        }
        catch (final InvalidConfigException ex)
        {
            ex.problems().forEach((p) -> spec.commandLine().getErr().println("  " + p));
            return ExitCodes.CONFIG;
        }
        final GuestConfig guest = config.guest(name).orElse(null);
        if (guest == null)
        {
            spec.commandLine().getErr().println("vmctl: no guest named \"" + name + "\"; known: " +
                VmTarget.names(config));
            return ExitCodes.CONFIG;
        }
        final GuestPaths paths = GuestPaths.under(common.guestsDir, name);
        final String conf = QuickemuConf.render(guest, paths);
        if (write)
        {
            Files.createDirectories(paths.directory());
            Files.writeString(paths.conf(), conf);
            spec.commandLine().getOut().println("wrote " + paths.conf());
        }
        else
        {
            spec.commandLine().getOut().print(conf);
        }
        // picocli's writer does not flush by itself: without this the conf never reaches stdout.
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}

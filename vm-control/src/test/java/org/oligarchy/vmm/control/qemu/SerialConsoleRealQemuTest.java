package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;

import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * dsp-console's code path against a real QEMU: the console attaches while the VM is paused, the
 * guest boots (SeaBIOS, then the test boot sector) and everything it prints arrives through the
 * serial socket; Ctrl-] detaches.
 */
class SerialConsoleRealQemuTest
{
    @TempDir
    Path tempDir;

    @Test
    @Timeout(60)
    void shouldShowGuestSerialOutputAndDetachOnEscape() throws Exception
    {
        final Path disk = BootSectorImage.writeRaw(tempDir.resolve("boot.img"));
        final VmRuntimePaths paths = new VmRuntimePaths(tempDir.resolve("run"));
        final List<String> argv = new ArrayList<>(List.of(QemuCommandLine.QEMU_BINARY));
        QemuCommandLine.commonArguments(argv, "console-test", paths);
        argv.addAll(List.of("-machine", "q35,accel=tcg", "-m", "64M",
            "-drive", "file=" + disk + ",if=virtio,format=raw"));
        final RunningVm vm = QemuLauncher.start(argv, paths, List.of(0), 30_000, ProcFs.host());
        try
        {
            final PipedOutputStream keyboard = new PipedOutputStream();
            final PipedInputStream in = new PipedInputStream(keyboard);
            final ByteArrayOutputStream screen = new ByteArrayOutputStream();
            final CompletableFuture<SerialConsole.Detach> session = CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    return SerialConsole.attach(paths.serialSocket(), in, screen, SerialConsole.DEFAULT_ESCAPE);
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            Thread.sleep(200);

            final long resumedNanos = System.nanoTime();
            vm.resume(10_000);
            String text = "";
            while (!text.contains(BootSectorImage.BANNER))
            {
                Thread.sleep(20);
                synchronized (screen)
                {
                    text = screen.toString(StandardCharsets.ISO_8859_1);
                }
            }
            final long bootMillis = (System.nanoTime() - resumedNanos) / 1_000_000;
            System.out.println("TCG: cont to boot-sector banner on the serial console in " + bootMillis + " ms");

            assertTrue(text.contains("SeaBIOS (version "), text);
            assertTrue(text.indexOf("SeaBIOS") < text.indexOf(BootSectorImage.BANNER));

            keyboard.write(new byte[]{'x', 0x1d});
            keyboard.flush();
            assertEquals(SerialConsole.Detach.ESCAPE, session.get());
        }
        finally
        {
            vm.close();
        }
    }
}

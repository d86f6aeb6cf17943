package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A hand-assembled 16-bit boot sector that SeaBIOS loads from disk: it prints {@link #BANNER} on
 * COM1, enables the ACPI power-button event (PM1a_EN at 0x602; SeaBIOS puts the PM block at
 * 0x600 on both pc and q35), polls PM1a_STS for PWRBTN_STS and then writes SLP_EN with
 * SLP_TYP 0 to PM1a_CNT (0x604), which QEMU treats as a guest power-off. That is the smallest
 * "OS" that both prints on the serial port and honours {@code system_powerdown}.
 */
public final class BootSectorImage
{
    public static final String BANNER = "vmctl-test-guest: hello from the serial port";

    private static final int LOAD_ADDRESS = 0x7c00;
    private static final int MESSAGE_OFFSET = 47;

    private BootSectorImage()
    {
    }

    /**
     * Write the image as a raw disk of 1 MiB (O_DIRECT with cache=none needs whole 4 KiB blocks).
     *
     * @param file where.
     * @return the file.
     */
    public static Path writeRaw(final Path file) throws IOException
    {
        final byte[] disk = new byte[1024 * 1024];
        final byte[] code = hex(
            "FA" +          // cli
            "31C0" +        // xor ax, ax
            "8ED8" +        // mov ds, ax
            "BE" + le16(LOAD_ADDRESS + MESSAGE_OFFSET) + // mov si, message
            "BAF803" +      // mov dx, 0x3f8 (COM1 data)
            "AC" +          // next: lodsb
            "84C0" +        // test al, al
            "7403" +        // jz done
            "EE" +          // out dx, al
            "EBF8" +        // jmp next
            "BA0206" +      // done: mov dx, 0x602 (PM1a_EN)
            "B80001" +      // mov ax, 0x0100 (PWRBTN_EN)
            "EF" +          // out dx, ax
            "BA0006" +      // poll: mov dx, 0x600 (PM1a_STS)
            "F390" +        // pause
            "ED" +          // in ax, dx
            "A90001" +      // test ax, 0x0100 (PWRBTN_STS)
            "74F5" +        // jz poll
            "BA0406" +      // mov dx, 0x604 (PM1a_CNT)
            "B80020" +      // mov ax, 0x2000 (SLP_EN, SLP_TYP 0 = soft off)
            "EF" +          // out dx, ax
            "F4" +          // halt: hlt
            "EBFD");        // jmp halt
        if (code.length != MESSAGE_OFFSET)
        {
            throw new IllegalStateException("boot code is " + code.length + " bytes");
        }
        System.arraycopy(code, 0, disk, 0, code.length);
        final byte[] message = (BANNER + "\r\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(message, 0, disk, MESSAGE_OFFSET, message.length);
        disk[510] = 0x55;
        disk[511] = (byte)0xaa;
        Files.write(file, disk);
        return file;
    }

    /**
     * Write the image as qcow2 with {@code qemu-img convert}.
     *
     * @param file where.
     * @return the file.
     */
    public static Path writeQcow2(final Path file) throws IOException, InterruptedException
    {
        final Path raw = writeRaw(file.resolveSibling(file.getFileName() + ".raw"));
        final Process convert = new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "qcow2",
            raw.toString(), file.toString()).redirectErrorStream(true).start();
        final String output = new String(convert.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (convert.waitFor() != 0)
        {
            throw new IOException("qemu-img convert failed: " + output);
        }
        Files.delete(raw);
        return file;
    }

    private static String le16(final int value)
    {
        return String.format("%02X%02X", value & 0xff, (value >> 8) & 0xff);
    }

    private static byte[] hex(final String text)
    {
        final byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }
}

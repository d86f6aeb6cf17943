package org.oligarchy.vmm.control.model;

/**
 * Guest firmware. The ArchibaldOS image is MBR/GRUB and boots by BIOS; UEFI needs an OVMF code
 * file and a matching variables file.
 */
public enum Firmware
{
    BIOS("bios"),
    UEFI("uefi");

    private final String jsonName;

    Firmware(final String jsonName)
    {
        this.jsonName = jsonName;
    }

    public String jsonName()
    {
        return jsonName;
    }
}

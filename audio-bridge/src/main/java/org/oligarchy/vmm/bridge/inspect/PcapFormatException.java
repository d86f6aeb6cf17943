package org.oligarchy.vmm.bridge.inspect;

/**
 * A pcap file that cannot be read to the end: its message names the frame and the byte offset
 * where the structure broke, so an operator can cut the file there with {@code editcap}.
 */
public final class PcapFormatException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final int frameNumber;
    private final long fileOffset;

    /**
     * Creates the exception.
     *
     * @param frameNumber 1-based number of the frame being read, 0 for the file header.
     * @param fileOffset  byte offset in the file where the problem was found.
     * @param detail      what is wrong.
     */
    public PcapFormatException(final int frameNumber, final long fileOffset, final String detail)
    {
        super((frameNumber == 0 ? "file header" : "frame " + frameNumber) + " at offset " + fileOffset + ": " + detail);
        this.frameNumber = frameNumber;
        this.fileOffset = fileOffset;
    }

    /**
     * Frame being read when the problem was found.
     *
     * @return 1-based frame number, 0 for the global header.
     */
    public int frameNumber()
    {
        return frameNumber;
    }

    /**
     * Byte offset of the problem.
     *
     * @return offset from the start of the file.
     */
    public long fileOffset()
    {
        return fileOffset;
    }
}

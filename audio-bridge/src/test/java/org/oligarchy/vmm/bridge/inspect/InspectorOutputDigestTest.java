package org.oligarchy.vmm.bridge.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole CLI output, text and JSON, of every capture and of every capture cut short, pinned
 * byte for byte: SHA-256 of the exit code, the standard output and the standard error, with the
 * capture's path replaced by "FILE". The digests were taken from the inspector before it was
 * split into decoder, records and renderers (commit ea8a0ae); a renderer change that moves one
 * byte fails here. If an output must change on purpose, print the new output, review the diff,
 * and replace the digest.
 */
@Timeout(60)
class InspectorOutputDigestTest
{
    private static final String[] WHOLE = {
        "A-float-2ch-96k-128-lat5.pcap txt 106b283f8fe02e565dc05cb1e65497010dbaae1c260d0a0c03eebac07652c726",
        "A-float-2ch-96k-128-lat5.pcap json b8d10a76e458417ad88e9e1e5f2dfc30a4910d3efb065bc4b1a0d2556ded0ed0",
        "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap txt 7c3f5bd6363113edf61eaa93f991ad3f8ce43a2baad408ca018d6b86097a2dd2",
        "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap json b64f7d8a54e41643065df45c588e4bfd493f3e28263dc0f687a8165e864c92a1",
        "C-int16-12ch-48k-128-lat3-libjacknet.pcap txt 48a4be07be20ba7cf441cc4a5caee67383508208b8fb2a3b0f2d300179f656a1",
        "C-int16-12ch-48k-128-lat3-libjacknet.pcap json fc202ace1deb95272b4957cbfc19e3626d6f54a919ce136019d7f3c4a12d7ed2",
        "D-float-8ch-mtu9000-lat0.pcap txt 20d5805407543062a8cdfdd5011d6db7c822b28c4c11bfdd8c3044e9a2ef5886",
        "D-float-8ch-mtu9000-lat0.pcap json 28c4b48253754b270f7a784a002a60e8af53cefb6625f2e30b3788734a170594",
        "E-opus64-2ch-48k-128-lat3.pcap txt 810dab1c8a5d5f43702fd81a2553f2b80945dde1b3bf137a7a9a0b79bc0756ad",
        "E-opus64-2ch-48k-128-lat3.pcap json 6cdb763ddcd13a9e1d9d0bf33be5679aec8c688fc38af7a310901374842067e3",
        "H-sysex-midi-bug-48k-128.pcap txt 34f84555e8cf3d4ffbf2408962818d3ecadc48d95581f7033ad0311f14e65da4",
        "H-sysex-midi-bug-48k-128.pcap json 6153a245fcfa1f92806552dea071f0140ebf4060940286be703c0a8e8cf8ec13",
        "I-float-1of2ports-48k-1024-lat2.pcap txt 11ddf0d483d08f33f45e0432d630ce6eda4fdfdf6a332d0cf15425703ef5deb6",
        "I-float-1of2ports-48k-1024-lat2.pcap json 1e5e614bc470cd83a611cb617736961b4c7981bae229e797f8788e34b2d6baea"};

    /** The same captures cut at 3/7 of their length: the packets before the cut, the error, exit 1. */
    private static final String[] CUT = {
        "A-float-2ch-96k-128-lat5.pcap txt 01b665a02dccf8229224b7fb60854b891a8cf6800ee559bb8800db4e13ec8b84",
        "A-float-2ch-96k-128-lat5.pcap json 1ad225fc8c80c4c4318a4c7781a0f746335307789b3cae68ff8a43edeb4523ab",
        "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap txt 0849b300e0f602a290c4245064bf9f43885dba202e907f94b74aa2eb45e126d1",
        "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap json acee2e99e7650f0b8ef6d5d5d105b6b06f98731424de52a2ae6ee2e99acec8cf",
        "C-int16-12ch-48k-128-lat3-libjacknet.pcap txt a92e3e5641053674eea007ec9b6db6ca7ce17750aebcb0407558048089403b79",
        "C-int16-12ch-48k-128-lat3-libjacknet.pcap json c2d7b8b72739456fe4ecfd9287e5f2e29ca23ed80e3257c5f0daac8aadd518ce",
        "D-float-8ch-mtu9000-lat0.pcap txt 9b780cc326645993a1ba7c84ffc27a63bdb2dad7dfd35ef890401f93883ed8c4",
        "D-float-8ch-mtu9000-lat0.pcap json 0d7c4916dde74e5a38509de9855ad7d1fb8644ca1dd338444896519a70d30f2c",
        "E-opus64-2ch-48k-128-lat3.pcap txt 8561fdd241d4ad036bf648985add07de08941197b94438cd3019687f5c7f4bbd",
        "E-opus64-2ch-48k-128-lat3.pcap json 4a3b2af509c4c975325e3ac246eb0dbe18b0f51ab9f3ea8df2041edfb15b0c27",
        "H-sysex-midi-bug-48k-128.pcap txt 03ae13421f22196bcdb90af24db4c9eeba00559c00659ef1e5f8a2d016bdf74d",
        "H-sysex-midi-bug-48k-128.pcap json 83eaaa93a92918d46f3e97303aa44b12d385ac5d8f613525d8239c56a561132a",
        "I-float-1of2ports-48k-1024-lat2.pcap txt 74514a639ccd939d86361e320e45c25c0076043809f80b44d6b3786cdd2d59b1",
        "I-float-1of2ports-48k-1024-lat2.pcap json a48ca256fae3ca66127d230ad129b5e96f4b180e9026d513479e80572da406b3"};

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
    void shouldPrintEveryCaptureByteForByteAsBefore(final int row) throws Exception
    {
        final String[] expected = WHOLE[row].split(" ");
        final Path pcap = PcapReaderTest.capture(expected[0]);
        assertEquals(expected[2], digest(pcap, "json".equals(expected[1])), expected[0] + " " + expected[1]);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
    void shouldPrintEveryCutCaptureByteForByteAsBefore(final int row, @TempDir final Path directory) throws Exception
    {
        final String[] expected = CUT[row].split(" ");
        final byte[] whole = Files.readAllBytes(PcapReaderTest.capture(expected[0]));
        final Path cut = Files.write(directory.resolve(expected[0]), Arrays.copyOf(whole, whole.length * 3 / 7));
        assertEquals(expected[2], digest(cut, "json".equals(expected[1])), "cut " + expected[0] + " " + expected[1]);
    }

    private static String digest(final Path pcap, final boolean json) throws Exception
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = PacketInspector.run(pcap, json, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        final String path = pcap.toString();
        final String all = code + "\n" + out.toString(StandardCharsets.UTF_8).replace(path, "FILE") + "\0" +
            err.toString(StandardCharsets.UTF_8).replace(path, "FILE");
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(all.getBytes(StandardCharsets.UTF_8)));
    }
}

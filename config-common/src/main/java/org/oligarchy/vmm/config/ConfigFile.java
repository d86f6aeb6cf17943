package org.oligarchy.vmm.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one entry point from bytes to a tree for the configuration file (docs/config-format.md),
 * used by vmctl and by netjack-bridge alike: a missing file, an unreadable one, broken JSON, a key
 * given twice in one object, nesting deeper than {@link #MAX_NESTING_DEPTH} and trailing content
 * are each refused with their own {@link ConfigProblem}; then {@link #topLevel} checks
 * {@code version} and refuses unknown top-level keys with the same words in both programs.
 */
public final class ConfigFile
{
    /** Where the NixOS module installs the file. */
    public static final String DEFAULT_PATH = "/etc/dsp-vm/config.json";
    /** The path of a problem with the file as a whole. */
    public static final String FILE = "(file)";
    /**
     * Deepest nesting of arrays and objects accepted. The format nests 5 deep (the top object,
     * {@code guests}, a guest, {@code portForwards}, a forward); a limit well above that keeps a hostile file of
     * 100,000 {@code [} from reaching Jackson's own limits or the stack.
     */
    public static final int MAX_NESTING_DEPTH = 32;
    /** The top-level keys, in the order the unknown-key message lists them. */
    public static final List<String> TOP_LEVEL_KEYS = List.of("version", "dsp", "guests", "bridge");

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .build())
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();

    private ConfigFile()
    {
    }

    /**
     * The top level of a parsed file: its version and its fields, with {@code version} checked
     * and every key other than {@link #TOP_LEVEL_KEYS} already reported.
     *
     * @param fields  reader of the top-level object (sections are read with {@link JsonFields#value}).
     * @param version the version, or null when it is missing or wrong (a problem is recorded).
     */
    public record TopLevel(JsonFields fields, Integer version)
    {
    }

    /**
     * Reads the file's text.
     *
     * @param file the configuration file.
     * @return its text.
     * @throws InvalidConfigException saying whether it is missing, unreadable or not a file.
     */
    public static String readText(final Path file) throws InvalidConfigException
    {
        final String where = "pass --config with the path the NixOS module renders (default " + DEFAULT_PATH + ")";
        if (Files.isDirectory(file))
        {
            throw invalid(file.toString(), "is a directory, not a file; " + where);
        }
        try
        {
            return Files.readString(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw invalid(file.toString(), "does not exist; " + where);
        }
        catch (final AccessDeniedException ex)
        {
            throw invalid(file.toString(), "exists but user " + System.getProperty("user.name") +
                " may not read it (permission denied); run as a user who may, or fix its owner and mode " +
                "(the NixOS module installs it 0644)");
        }
        catch (final CharacterCodingException ex)
        {
            throw invalid(file.toString(), "is not UTF-8 text; write the file in UTF-8");
        }
        catch (final IOException ex)
        {
            throw invalid(file.toString(), "cannot be read (" + ex + "); check the disk and the path, or " + where);
        }
    }

    /**
     * Reads and parses the file.
     *
     * @param file the configuration file.
     * @return the top-level object.
     * @throws InvalidConfigException for a file that cannot be read or is not a JSON object.
     */
    public static ObjectNode read(final Path file) throws InvalidConfigException
    {
        return parse(readText(file));
    }

    /**
     * Parses configuration text.
     *
     * @param text the JSON text.
     * @return the top-level object.
     * @throws InvalidConfigException with one problem: broken JSON, a repeated key, nesting past the
     *                                limit, content after the object, or a top level that is not an object.
     */
    public static ObjectNode parse(final String text) throws InvalidConfigException
    {
        final JsonNode root;
        JsonParser parser = null;
        try
        {
            parser = MAPPER.createParser(text);
            root = MAPPER.readTree(parser);
        }
        catch (final StreamConstraintsException ex)
        {
            // Carries no location of its own (the cause of the vmctl "Cannot invoke
            // JsonLocation.getLineNr()" and the bridge's NullPointerException): the parser has it.
            throw invalid(FILE, "nests arrays and objects deeper than " + MAX_NESTING_DEPTH + " levels (" +
                at(parser == null ? null : parser.currentLocation()) + "); the format nests 5 deep at most " +
                "(guests[0].portForwards[0].host); fix the syntax");
        }
        catch (final JsonProcessingException ex)
        {
            final JsonLocation location = ex.getLocation() != null ? ex.getLocation() :
                parser == null ? null : parser.currentLocation();
            final String message = String.valueOf(ex.getOriginalMessage());
            if (message.startsWith("Duplicate field") && parser != null)
            {
                final String path = path(parser.getParsingContext());
                throw invalid(path, "appears twice in the same object (" + at(location) + "); keep one " +
                    "(readers disagree on which copy wins)");
            }
            throw invalid(FILE, "is not valid JSON (" + message + " " + at(location) + "); fix the syntax");
        }
        catch (final IOException ex)
        {
            throw invalid(FILE, "is not valid JSON (" + ex.getMessage() + "); fix the syntax");
        }
        if (!(root instanceof ObjectNode object))
        {
            throw invalid(FILE, "is not a JSON object; the file must hold { \"version\": 1, ... }");
        }
        return object;
    }

    /**
     * Checks the top level: {@code version} must be 1, and only {@link #TOP_LEVEL_KEYS} may appear.
     *
     * @param root     the parsed file.
     * @param problems where problems are recorded.
     * @return the top-level reader and version.
     */
    public static TopLevel topLevel(final ObjectNode root, final List<ConfigProblem> problems)
    {
        final JsonFields top = new JsonFields(root, "", problems);
        final Integer version = top.integer("version", 1, 1, "set \"version\": 1");
        for (final String key : TOP_LEVEL_KEYS)
        {
            top.has(key);
        }
        top.finish();
        return new TopLevel(top, version);
    }

    private static String at(final JsonLocation location)
    {
        return location == null ? "at an unknown position" :
            "at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** The JSON path ({@code bridge.cpus.jack}, {@code guests[1].name}) of the parser's current name. */
    static String path(final JsonStreamContext context)
    {
        final Deque<JsonStreamContext> chain = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent())
        {
            chain.push(c);
        }
        final StringBuilder path = new StringBuilder();
        for (final JsonStreamContext c : chain)
        {
            if (c.inArray())
            {
                path.append('[').append(Math.max(c.getCurrentIndex(), 0)).append(']');
            }
            else if (c.getCurrentName() != null)
            {
                path.append(path.length() == 0 ? "" : ".").append(c.getCurrentName());
            }
        }
        return path.length() == 0 ? FILE : path.toString();
    }

    private static InvalidConfigException invalid(final String path, final String message)
    {
        return new InvalidConfigException(List.of(new ConfigProblem(path, message)));
    }
}

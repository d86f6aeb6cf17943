package org.oligarchy.vmm.control.model;

import org.oligarchy.vmm.config.ConfigFile;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.InvalidConfigException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies {@code --set PATH=VALUE} flags to the configuration's JSON tree before it is parsed,
 * so a VM can be described by flags alone (or a file adjusted) and every value still goes
 * through the same field rules and messages. PATH uses the message notation
 * ({@code dsp.memoryMB}, {@code guests[0].cores}); VALUE is JSON ({@code 4096},
 * {@code [2,3]}, {@code true}) or, if it is not valid JSON, a string.
 */
public final class ConfigOverrides
{
    private static final Pattern SEGMENT = Pattern.compile("^([A-Za-z][A-Za-z0-9]*)(?:\\[(\\d+)])?$");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ConfigOverrides()
    {
    }

    /**
     * @param json        configuration text, or null to start from {@code {"version": 1}}.
     * @param assignments {@code PATH=VALUE} strings.
     * @return the configuration text with the assignments applied.
     * @throws InvalidConfigException for a malformed assignment or text that is not a JSON object.
     */
    public static String apply(final String json, final List<String> assignments) throws InvalidConfigException
    {
        final JsonNode parsed;
        try
        {
            // The shared reader, so a repeated key or deep nesting is not silently resolved here.
            parsed = json == null ? MAPPER.createObjectNode().put("version", 1) : ConfigFile.parse(json);
        }
        catch (final InvalidConfigException ex)
        {
            return json;
        }
        if (!(parsed instanceof ObjectNode root))
        {
            return json;
        }
        final List<ConfigProblem> problems = new ArrayList<>();
        for (final String assignment : assignments)
        {
            final int eq = assignment.indexOf('=');
            if (eq <= 0)
            {
                problems.add(new ConfigProblem("--set", "\"" + assignment + "\" is not PATH=VALUE; write it " +
                    "like dsp.memoryMB=4096"));
                continue;
            }
            final String path = assignment.substring(0, eq);
            final String text = assignment.substring(eq + 1);
            JsonNode value;
            try
            {
                value = MAPPER.readTree(text);
                value = value == null ? TextNode.valueOf(text) : value;
            }
            catch (final JsonProcessingException ex)
            {
                value = TextNode.valueOf(text);
            }
            if (!set(root, path, value))
            {
                problems.add(new ConfigProblem("--set", "\"" + path + "\" is not a field path; write it like " +
                    "dsp.netjack.sampleRate or guests[0].cores"));
            }
        }
        if (!problems.isEmpty())
        {
            throw new InvalidConfigException(problems);
        }
        return root.toString();
    }

    private static boolean set(final ObjectNode root, final String path, final JsonNode value)
    {
        final String[] segments = path.split("\\.");
        JsonNode node = root;
        for (int i = 0; i < segments.length; i++)
        {
            final Matcher m = SEGMENT.matcher(segments[i]);
            if (!m.matches() || !(node instanceof ObjectNode object))
            {
                return false;
            }
            final String key = m.group(1);
            final boolean last = i == segments.length - 1;
            if (m.group(2) == null)
            {
                if (last)
                {
                    object.set(key, value);
                    return true;
                }
                node = object.has(key) && object.get(key).isObject() ? object.get(key) : object.putObject(key);
            }
            else
            {
                final ArrayNode array = object.has(key) && object.get(key).isArray() ?
                    (ArrayNode)object.get(key) : object.putArray(key);
                final int index = Integer.parseInt(m.group(2));
                while (array.size() <= index)
                {
                    array.addObject();
                }
                if (last)
                {
                    array.set(index, value);
                    return true;
                }
                node = array.get(index);
            }
        }
        return false;
    }
}

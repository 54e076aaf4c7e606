using System.Globalization;
using System.Text;

namespace Meshwork.Ctl.Commands;

/// <summary>One sample of the Prometheus text format: metric name, labels, value.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var value) ? value : string.Empty;
}

/// <summary>
/// Reads the Prometheus text exposition format (version 0.0.4) as proxies serve it on
/// /stats/prometheus: comment lines skipped, label values unescaped, timestamps ignored.
/// </summary>
internal static class PrometheusText
{
    public static List<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var brace = line.IndexOf('{');
            var space = line.IndexOf(' ');
            string name;
            int rest;
            if (brace >= 0 && (space < 0 || brace < space))
            {
                name = line[..brace];
                rest = ParseLabels(line, brace + 1, labels);
            }
            else
            {
                name = space < 0 ? line : line[..space];
                rest = name.Length;
            }

            var valueText = line[rest..].Trim().Split(' ')[0];
            if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                samples.Add(new PrometheusSample(name, labels, value));
            }
        }

        return samples;
    }

    /// <summary>Reads name="value" pairs up to the closing brace; returns the index after it.</summary>
    private static int ParseLabels(string line, int i, Dictionary<string, string> labels)
    {
        while (i < line.Length && line[i] != '}')
        {
            var equals = line.IndexOf('=', i);
            if (equals < 0 || equals + 1 >= line.Length || line[equals + 1] != '"')
            {
                return line.Length;
            }

            var key = line[i..equals].Trim(',', ' ');
            var value = new StringBuilder();
            var j = equals + 2;
            for (; j < line.Length && line[j] != '"'; j++)
            {
                if (line[j] == '\\' && j + 1 < line.Length)
                {
                    j++;
                    value.Append(line[j] == 'n' ? '\n' : line[j]);
                }
                else
                {
                    value.Append(line[j]);
                }
            }

            labels[key] = value.ToString();
            i = j + 1;
            while (i < line.Length && line[i] == ',')
            {
                i++;
            }
        }

        return Math.Min(line.Length, i + 1);
    }
}

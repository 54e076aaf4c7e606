namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// One series' labels: names and values in output order, compared by value with a hash computed
/// once, so the pair is the series key. The standard label set is one such layout; a Telemetry
/// tag override gives a metric another (tags removed, changed or added), which is a different
/// series even where the values agree.
/// </summary>
internal class MetricLabels : IEquatable<MetricLabels>
{
    private readonly int _hash;

    public MetricLabels(string[] names, string[] values)
    {
        if (values.Length > names.Length)
        {
            throw new ArgumentException($"{values.Length} label values for {names.Length} names", nameof(values));
        }

        LabelNames = names;
        Values = values;
        var hash = default(HashCode);
        hash.Add(values.Length);
        foreach (var value in values)
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        _hash = hash.ToHashCode();
    }

    /// <summary>The names, of which the first <c>Values.Length</c> are this series' (TCP series use a prefix of the standard names).</summary>
    public string[] LabelNames { get; }

    public string[] Values { get; }

    public bool Equals(MetricLabels? other) =>
        other != null && _hash == other._hash && Values.AsSpan().SequenceEqual(other.Values)
        && (ReferenceEquals(LabelNames, other.LabelNames) || LabelNames.AsSpan(0, Values.Length).SequenceEqual(other.LabelNames.AsSpan(0, other.Values.Length)));

    public override bool Equals(object? obj) => Equals(obj as MetricLabels);

    public override int GetHashCode() => _hash;

    /// <summary>The Prometheus label block without braces: name="value",... (values escaped).</summary>
    public void WriteTo(System.Text.StringBuilder text)
    {
        for (var i = 0; i < Values.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(LabelNames[i]).Append("=\"");
            foreach (var c in Values[i])
            {
                switch (c)
                {
                    case '\\': text.Append("\\\\"); break;
                    case '"': text.Append("\\\""); break;
                    case '\n': text.Append("\\n"); break;
                    default: text.Append(c); break;
                }
            }

            text.Append('"');
        }
    }
}

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// One combination of Istio's standard metric labels (istio/proxy's order, which dashboards and
/// alerts are written against): the value array is the series key, compared by value with a hash
/// computed once. TCP series use the first <see cref="TcpCount"/> labels only.
/// </summary>
internal sealed class StandardLabels : IEquatable<StandardLabels>
{
    public static readonly string[] Names =
    [
        "reporter",
        "source_workload", "source_canonical_service", "source_canonical_revision", "source_workload_namespace",
        "source_principal", "source_app", "source_version", "source_cluster",
        "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
        "destination_version", "destination_service", "destination_canonical_service", "destination_canonical_revision",
        "destination_service_name", "destination_service_namespace", "destination_cluster",
        "connection_security_policy",
        "request_protocol", "response_code", "grpc_response_status", "response_flags",
    ];

    /// <summary>Labels up to and including connection_security_policy: what TCP metrics carry.</summary>
    public const int TcpCount = 21;

    public const string Unknown = "unknown";

    private readonly int _hash;

    public StandardLabels(string[] values)
    {
        if (values.Length != Names.Length && values.Length != TcpCount)
        {
            throw new ArgumentException($"expected {Names.Length} or {TcpCount} label values, got {values.Length}", nameof(values));
        }

        Values = values;
        var hash = default(HashCode);
        foreach (var value in values)
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        _hash = hash.ToHashCode();
    }

    public string[] Values { get; }

    public bool Equals(StandardLabels? other) =>
        other != null && _hash == other._hash && Values.AsSpan().SequenceEqual(other.Values);

    public override bool Equals(object? obj) => Equals(obj as StandardLabels);

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

            text.Append(Names[i]).Append("=\"");
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

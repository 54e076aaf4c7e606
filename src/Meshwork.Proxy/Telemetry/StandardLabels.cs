namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// One combination of Istio's standard metric labels (istio/proxy's order, which dashboards and
/// alerts are written against). TCP series use the first <see cref="TcpCount"/> labels only.
/// </summary>
internal sealed class StandardLabels : MetricLabels
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

    public StandardLabels(string[] values)
        : base(Names, values)
    {
        if (values.Length != Names.Length && values.Length != TcpCount)
        {
            throw new ArgumentException($"expected {Names.Length} or {TcpCount} label values, got {values.Length}", nameof(values));
        }
    }
}

namespace Meshwork.Proxy.Tracing;

/// <summary>Which side of a call a span records: the HCM's span on inbound and gateway listeners is SERVER, on sidecar outbound ones CLIENT (as Envoy's ingress/egress).</summary>
internal enum SpanKind
{
    Server,
    Client,
}

/// <summary>
/// A span ready to export: its context (trace, own and parent ids), name, kind, start and duration,
/// and its tags in the order they were set. Built once at the end of a sampled request, then only
/// read by the export loop.
/// </summary>
internal sealed class FinishedSpan
{
    public required TraceContext Context { get; init; }

    public required string Name { get; init; }

    public required SpanKind Kind { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required TimeSpan Duration { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; }

    /// <summary>The request failed (a 5xx or no response): Envoy's <c>error=true</c>, OTLP's status ERROR.</summary>
    public bool Error { get; init; }
}

/// <summary>The proxy as the producer of spans: Envoy's node_id and zone tags, and Zipkin's local endpoint (the node's cluster and address).</summary>
internal sealed record TracerIdentity(string NodeId, string Zone, string LocalService, string Ip)
{
    public static TracerIdentity From(ProxyOptions options) => new(
        options.NodeId,
        options.Labels.TryGetValue("topology.kubernetes.io/zone", out var zone) ? zone : string.Empty,
        $"{options.Workload}.{options.Namespace}",
        options.Ip.ToString());
}

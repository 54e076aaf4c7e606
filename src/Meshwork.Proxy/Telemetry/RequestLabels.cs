namespace Meshwork.Proxy.Telemetry;

/// <summary>What one finished request says about itself, for its standard labels.</summary>
internal readonly record struct RequestFacts(
    string Protocol,
    int ResponseCode,
    string GrpcStatus,
    string ResponseFlags,
    bool MutualTls,
    string? PeerPrincipal);

/// <summary>The destination service of a request: its host, short name and namespace (Istio's destination_service*).</summary>
internal sealed record DestinationService(string Host, string Name, string Namespace)
{
    public static readonly DestinationService Unknown = new(StandardLabels.Unknown, StandardLabels.Unknown, StandardLabels.Unknown);

    /// <summary>The first entry of Istio's cluster metadata <c>istio.services: [{host, name, namespace}]</c>, or null.</summary>
    public static DestinationService? FromClusterMetadata(Envoy.Config.Core.V3.Metadata? metadata)
    {
        if (metadata?.FilterMetadata.TryGetValue("istio", out var istio) != true
            || !istio.Fields.TryGetValue("services", out var services)
            || services.ListValue?.Values.FirstOrDefault()?.StructValue is not { } first)
        {
            return null;
        }

        string Field(string name) => first.Fields.TryGetValue(name, out var value) && value.StringValue.Length > 0 ? value.StringValue : StandardLabels.Unknown;
        return new DestinationService(Field("host"), Field("name"), Field("namespace"));
    }
}

/// <summary>
/// Builds the standard labels as Istio's stats filter fills them: the reporting side's own workload
/// from its node, the other side from the exchanged peer metadata (unknown when the peer sent none),
/// principals from mutual TLS only, and <c>connection_security_policy</c> mutual_tls or none on the
/// server and unknown on the client, as Istio reports them.
/// </summary>
internal static class RequestLabels
{
    public static StandardLabels Inbound(PeerMetadata local, string localPrincipal, PeerMetadata? peer, DestinationService service, in RequestFacts facts) =>
        new(
        [
            "destination",
            .. Source(peer, facts.MutualTls ? facts.PeerPrincipal : null),
            .. Destination(local, facts.MutualTls ? localPrincipal : null, service),
            facts.MutualTls ? "mutual_tls" : "none",
            facts.Protocol, Code(facts.ResponseCode), facts.GrpcStatus, facts.ResponseFlags,
        ]);

    public static StandardLabels Outbound(PeerMetadata local, string localPrincipal, PeerMetadata? peer, DestinationService service, in RequestFacts facts) =>
        new(
        [
            "source",
            .. Source(local, facts.MutualTls ? localPrincipal : null),
            .. Destination(peer, facts.MutualTls ? facts.PeerPrincipal : null, service),
            "unknown",
            facts.Protocol, Code(facts.ResponseCode), facts.GrpcStatus, facts.ResponseFlags,
        ]);

    private static string[] Source(PeerMetadata? who, string? principal) =>
    [
        who?.Workload ?? StandardLabels.Unknown,
        who?.CanonicalService ?? StandardLabels.Unknown,
        who?.CanonicalRevision ?? StandardLabels.Unknown,
        who?.Namespace ?? StandardLabels.Unknown,
        principal ?? StandardLabels.Unknown,
        who?.App ?? StandardLabels.Unknown,
        who?.Version ?? StandardLabels.Unknown,
        who?.Cluster ?? StandardLabels.Unknown,
    ];

    private static string[] Destination(PeerMetadata? who, string? principal, DestinationService service) =>
    [
        who?.Workload ?? StandardLabels.Unknown,
        who?.Namespace ?? StandardLabels.Unknown,
        principal ?? StandardLabels.Unknown,
        who?.App ?? StandardLabels.Unknown,
        who?.Version ?? StandardLabels.Unknown,
        service.Host,
        who?.CanonicalService ?? StandardLabels.Unknown,
        who?.CanonicalRevision ?? StandardLabels.Unknown,
        service.Name,
        service.Namespace,
        who?.Cluster ?? StandardLabels.Unknown,
    ];

    private static string Code(int status) => status is > 0 and < 1000 ? StatusText[status] : "0";

    private static readonly string[] StatusText = Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}

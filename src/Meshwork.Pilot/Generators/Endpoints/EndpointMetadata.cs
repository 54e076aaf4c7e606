using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Endpoints;

/// <summary>
/// The metadata Istio puts on every endpoint (util.AppendLbEndpointMetadata): the mTLS label a
/// cluster's <c>transport_socket_matches</c> select on, and the server workload's identity in
/// compressed form for client-side telemetry when no metadata exchange happens.
/// </summary>
public static class EndpointMetadata
{
    /// <summary>The filter metadata key Envoy matches <c>transport_socket_matches</c> against.</summary>
    public const string TransportSocketMatchKey = "envoy.transport_socket_match";

    public const string TlsModeKey = "tlsMode";
    public const string TlsModeIstio = "istio";
    public const string IstioKey = "istio";

    private static readonly string[] CanonicalNameLabels = ["service.istio.io/canonical-name", "app.kubernetes.io/name", "app"];
    private static readonly string[] CanonicalRevisionLabels = ["service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"];

    /// <summary>
    /// <c>envoy.transport_socket_match {tlsMode: istio}</c> for endpoints whose sidecar accepts Istio
    /// mTLS (Istio writes nothing for the others: the cluster's default match catches them), and
    /// <c>istio {workload: "NAME;NAMESPACE;CANONICAL_NAME;CANONICAL_REVISION;CLUSTER"}</c>.
    /// </summary>
    public static Metadata For(ServiceEndpoint endpoint)
    {
        var metadata = new Metadata();
        if (endpoint.TlsMode == EndpointTlsMode.Istio)
        {
            metadata.FilterMetadata[TransportSocketMatchKey] = new Struct { Fields = { [TlsModeKey] = Value.ForString(TlsModeIstio) } };
        }

        metadata.FilterMetadata[IstioKey] = new Struct { Fields = { ["workload"] = Value.ForString(Workload(endpoint)) } };
        return metadata;
    }

    /// <summary>Istio's compressed workload label; the canonical revision is left out when it is the default <c>latest</c>; there are no cluster ids in Meshwork.</summary>
    public static string Workload(ServiceEndpoint endpoint)
    {
        var name = CanonicalName(endpoint.Labels) ?? endpoint.WorkloadName;
        var revision = CanonicalRevision(endpoint.Labels) ?? string.Empty;
        return $"{endpoint.WorkloadName};{endpoint.WorkloadNamespace};{name};{(revision == "latest" ? string.Empty : revision)};";
    }

    /// <summary>The canonical service of a workload from its labels (as Istio's injector derives it), or null.</summary>
    public static string? CanonicalName(Meshwork.Config.Values.ValueMap<string, string> labels) => FirstLabel(labels, CanonicalNameLabels);

    /// <summary>The canonical revision of a workload from its labels, or null.</summary>
    public static string? CanonicalRevision(Meshwork.Config.Values.ValueMap<string, string> labels) => FirstLabel(labels, CanonicalRevisionLabels);

    private static string? FirstLabel(Meshwork.Config.Values.ValueMap<string, string> labels, string[] keys) =>
        keys.Select(k => labels.TryGetValue(k, out var v) && v.Length > 0 ? v : null).FirstOrDefault(v => v != null);
}

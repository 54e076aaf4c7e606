using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Who a proxy's workload is, as Istio's metadata exchange carries it between sidecars in the
/// <c>x-envoy-peer-metadata</c> header (a base64 protobuf Struct of node metadata) and
/// <c>x-envoy-peer-metadata-id</c> (the node id), with the canonical service and revision derived
/// from labels as Istio derives them. Only the fields the standard labels read are carried, and
/// the service account (Istio's node metadata SERVICE_ACCOUNT), which names the peer's identity.
/// Instances are compared by reference on the request path: one per distinct header value.
/// </summary>
internal sealed record PeerMetadata(string Workload, string Namespace, IReadOnlyDictionary<string, string> Labels, string Cluster, string? ServiceAccount = null)
{
    public const string Header = "x-envoy-peer-metadata";
    public const string IdHeader = "x-envoy-peer-metadata-id";

    /// <summary>Istio's CLUSTER_ID default where no platform names one.</summary>
    public const string DefaultCluster = "Kubernetes";

    /// <summary>A header value larger than this is not metadata anyone sent in good faith.</summary>
    private const int MaxHeaderLength = 8192;

    public string App => Labels.TryGetValue("app", out var app) ? app : StandardLabels.Unknown;

    public string Version => Labels.TryGetValue("version", out var version) ? version : StandardLabels.Unknown;

    public string CanonicalService =>
        Labels.TryGetValue("service.istio.io/canonical-name", out var name) ? name
        : Labels.TryGetValue("app.kubernetes.io/name", out name) ? name
        : Labels.TryGetValue("app", out name) ? name
        : Workload;

    public string CanonicalRevision =>
        Labels.TryGetValue("service.istio.io/canonical-revision", out var revision) ? revision
        : Labels.TryGetValue("app.kubernetes.io/version", out revision) ? revision
        : Labels.TryGetValue("version", out revision) ? revision
        : "latest";

    /// <summary>
    /// The workload Istio's endpoint metadata names in compressed form,
    /// <c>istio.workload: "NAME;NAMESPACE;CANONICAL_NAME;CANONICAL_REVISION;CLUSTER"</c> (what its
    /// stats filter falls back to without an exchange); app and version are not in it.
    /// </summary>
    public static PeerMetadata? FromEndpointMetadata(Envoy.Config.Core.V3.Metadata? metadata)
    {
        if (metadata?.FilterMetadata.TryGetValue("istio", out var istio) != true
            || !istio.Fields.TryGetValue("workload", out var value)
            || value.StringValue.Split(';') is not { Length: >= 2 } parts
            || parts[0].Length == 0)
        {
            return null;
        }

        string Part(int i) => i < parts.Length ? parts[i] : string.Empty;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Part(2).Length > 0)
        {
            labels["service.istio.io/canonical-name"] = Part(2);
        }

        if (Part(3).Length > 0)
        {
            labels["service.istio.io/canonical-revision"] = Part(3);
        }

        return new PeerMetadata(parts[0], parts[1].Length > 0 ? parts[1] : StandardLabels.Unknown, labels, Part(4).Length > 0 ? Part(4) : DefaultCluster);
    }

    /// <summary>The header value for this workload (computed once per proxy).</summary>
    public string Encode() => Convert.ToBase64String(ToStruct().ToByteArray());

    /// <summary>The node metadata Struct the header and the TCP exchange carry.</summary>
    public Struct ToStruct()
    {
        var labels = new Struct();
        foreach (var (key, value) in Labels)
        {
            labels.Fields[key] = Value.ForString(value);
        }

        var metadata = new Struct
        {
            Fields =
            {
                ["WORKLOAD_NAME"] = Value.ForString(Workload),
                ["NAMESPACE"] = Value.ForString(Namespace),
                ["CLUSTER_ID"] = Value.ForString(Cluster),
                ["LABELS"] = Value.ForStruct(labels),
            },
        };
        if (ServiceAccount != null)
        {
            metadata.Fields["SERVICE_ACCOUNT"] = Value.ForString(ServiceAccount);
        }

        return metadata;
    }

    /// <summary>The peer a header value describes, or null when it is absent or not Istio's encoding.</summary>
    public static PeerMetadata? Decode(string? header)
    {
        if (string.IsNullOrEmpty(header) || header.Length > MaxHeaderLength)
        {
            return null;
        }

        try
        {
            return FromStruct(Struct.Parser.ParseFrom(Convert.FromBase64String(header)));
        }
        catch (Exception e) when (e is FormatException or InvalidProtocolBufferException)
        {
            return null;
        }
    }

    /// <summary>The peer a node metadata Struct describes (the header's, or the TCP exchange's).</summary>
    public static PeerMetadata FromStruct(Struct metadata)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata.Fields.TryGetValue("LABELS", out var labelValue) && labelValue.StructValue != null)
        {
            foreach (var (key, value) in labelValue.StructValue.Fields)
            {
                if (value.KindCase == Value.KindOneofCase.StringValue)
                {
                    labels[key] = value.StringValue;
                }
            }
        }

        return new PeerMetadata(
            Text(metadata, "WORKLOAD_NAME") ?? Text(metadata, "NAME") ?? StandardLabels.Unknown,
            Text(metadata, "NAMESPACE") ?? StandardLabels.Unknown,
            labels,
            Text(metadata, "CLUSTER_ID") ?? StandardLabels.Unknown,
            Text(metadata, "SERVICE_ACCOUNT"));
    }

    private static string? Text(Struct metadata, string key) =>
        metadata.Fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : null;
}

using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Meshwork.Proxy.Xds;

/// <summary>
/// The xDS node this proxy presents: Istio's id and the metadata meshd reads to register the
/// workload (NAMESPACE, LABELS, SERVICE_ACCOUNT, INSTANCE_IPS, WORKLOAD_NAME, POD_PORTS).
/// </summary>
public static class ProxyNodeBuilder
{
    public const string TlsModeLabel = "security.istio.io/tlsMode";

    public static Node Build(ProxyOptions options)
    {
        var labels = new Struct();
        foreach (var (key, value) in options.Labels)
        {
            labels.Fields[key] = Value.ForString(value);
        }

        // Istio's injector labels a pod that can speak Istio mTLS "security.istio.io/tlsMode: istio";
        // auto-mTLS then sends it mTLS. A proxy can when its agent gets it a workload certificate
        // (--ca-address); without one it says so and peers reach it in plaintext, unless the operator
        // labelled the workload otherwise.
        if (!labels.Fields.ContainsKey(TlsModeLabel))
        {
            labels.Fields[TlsModeLabel] = Value.ForString(options.Agent != null ? "istio" : "disabled");
        }

        var metadata = new Struct();
        metadata.Fields["NAMESPACE"] = Value.ForString(options.Namespace);
        metadata.Fields["LABELS"] = Value.ForStruct(labels);
        metadata.Fields["SERVICE_ACCOUNT"] = Value.ForString(options.ServiceAccount);
        metadata.Fields["INSTANCE_IPS"] = Value.ForString(options.Ip.ToString());
        metadata.Fields["WORKLOAD_NAME"] = Value.ForString(options.Workload);
        // Ports are named by number: a ServiceEntry then reaches them through its port's targetPort or number.
        metadata.Fields["POD_PORTS"] = Value.ForString(PodPorts(options));
        return new Node
        {
            Id = options.NodeId,
            Cluster = $"{options.Workload}.{options.Namespace}",
            Metadata = metadata,
            Locality = new Locality(),
            UserAgentName = "meshwork-proxy",
        };
    }

    /// <summary>Istio's POD_PORTS: a JSON array of the container ports, each named by its number.</summary>
    private static string PodPorts(ProxyOptions options) => Admin.JsonText.Write(writer =>
    {
        writer.WriteStartArray();
        foreach (var inbound in options.Inbound)
        {
            writer.WriteStartObject();
            writer.WriteString("name", inbound.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteNumber("containerPort", inbound.Port);
            writer.WriteString("protocol", "TCP");
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });
}

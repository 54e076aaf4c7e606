using System.Globalization;
using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Endpoints;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace Meshwork.Pilot.Generators.Mixer;

/// <summary>
/// The Mixer servers MeshConfig names (<c>mixerCheckServer</c>, <c>mixerReportServer</c>; meshd fills
/// them in from <c>--mixer-address</c>) and the clusters sidecars reach them through, named as Istio 1.4
/// named them (<c>outbound|PORT||HOST</c>): HTTP/2 (Mixer speaks gRPC), a static endpoint for an IP
/// address, DNS for a host name.
/// </summary>
public static class MixerServers
{
    /// <summary>The check server, or null when policy checks are off (no server, or <c>disablePolicyChecks</c>).</summary>
    public static (string Host, uint Port)? Check(MeshConfig mesh) => mesh.DisablePolicyChecks ? null : Parse(mesh.MixerCheckServer);

    /// <summary>The report server, or null when there is none.</summary>
    public static (string Host, uint Port)? Report(MeshConfig mesh) => Parse(mesh.MixerReportServer);

    /// <summary>Whether sidecars get the Mixer filter at all.</summary>
    public static bool Enabled(MeshConfig mesh) => Check(mesh) != null || Report(mesh) != null;

    public static string ClusterName((string Host, uint Port) server) => ClusterNames.Outbound(server.Port, string.Empty, server.Host);

    /// <summary>One cluster per distinct server.</summary>
    public static IEnumerable<Cluster> Clusters(MeshConfig mesh)
    {
        var servers = new[] { Check(mesh), Report(mesh) }.OfType<(string Host, uint Port)>().Distinct();
        foreach (var server in servers)
        {
            var name = ClusterName(server);
            var isIp = IPAddress.TryParse(server.Host, out _);
            var cluster = new Cluster
            {
                Name = name,
                Type = isIp ? DiscoveryType.Static : DiscoveryType.StrictDns,
                ConnectTimeout = Duration.FromTimeSpan(mesh.EffectiveConnectTimeout),
                LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
                LoadAssignment = new ClusterLoadAssignment
                {
                    ClusterName = name,
                    Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = LocalityEndpoints.Address(server.Host, server.Port) } } } } },
                },
            };
            var http = new UpstreamHttpOptions();
            http.UseHttp2();
            http.WriteTo(cluster);
            yield return cluster;
        }
    }

    /// <summary><c>HOST:PORT</c> (IPv6 in brackets); null when empty or malformed (MeshConfig reading reports those).</summary>
    internal static (string Host, uint Port)? Parse(string address)
    {
        if (address.Length == 0)
        {
            return null;
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !uint.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
        {
            return null;
        }

        var host = address[..colon].Trim('[', ']');
        return (host, port);
    }
}

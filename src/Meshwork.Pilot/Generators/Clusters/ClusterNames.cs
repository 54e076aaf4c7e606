using System.Globalization;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>Istio's cluster names (model.BuildSubsetKey, BuildInboundSubsetKey, BuildDNSSrvSubsetKey) and their parsing.</summary>
public static class ClusterNames
{
    public const string BlackHole = "BlackHoleCluster";
    public const string Passthrough = "PassthroughCluster";
    public const string InboundPassthrough = "InboundPassthroughCluster";

    /// <summary><c>outbound|PORT|SUBSET|HOST</c>; the subset is empty for the service's default cluster.</summary>
    public static string Outbound(uint port, string subset, string hostname) =>
        string.Create(CultureInfo.InvariantCulture, $"outbound|{port}|{subset}|{hostname}");

    /// <summary><c>inbound|PORT||</c>: the proxy's cluster for its own workload's port.</summary>
    public static string Inbound(uint port) => string.Create(CultureInfo.InvariantCulture, $"inbound|{port}||");

    /// <summary>The SNI Istio mTLS sends (<c>outbound_.PORT_.SUBSET_.HOST</c>), so a gateway can route by it without terminating TLS.</summary>
    public static string IstioMtlsSni(uint port, string subset, string hostname) =>
        string.Create(CultureInfo.InvariantCulture, $"outbound_.{port}_.{subset}_.{hostname}");

    /// <summary>Parses <c>outbound|PORT|SUBSET|HOST</c>; false for inbound or malformed names.</summary>
    public static bool TryParseOutbound(string name, out uint port, out string subset, out string hostname)
    {
        port = 0;
        subset = hostname = string.Empty;
        var parts = name.Split('|');
        if (parts.Length != 4 || parts[0] != "outbound" || parts[3].Length == 0
            || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port == 0)
        {
            return false;
        }

        subset = parts[2];
        hostname = parts[3];
        return true;
    }
}
